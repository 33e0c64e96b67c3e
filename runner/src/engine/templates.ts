import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode, INodeParameters } from 'n8n-workflow';

import { findPackageRoot } from '../../../core/version.js';
import type { Constant, FieldMapping, HeaderPair, PayloadFormat } from '../../../core/types.js';
import type { WorkflowDefinition } from './execute.js';
import { NODE_TYPE } from './nodeTypes.js';

/** The template each endpoint format runs: a file in `workflows/`, executed as exported. */
export const TEMPLATE_BY_FORMAT: Record<PayloadFormat, string> = {
  json: 'json-delivery',
  xml: 'xml-delivery',
  form: 'form-delivery',
  hubspot: 'hubspot-delivery',
};

export const WORKFLOWS_DIR = join(findPackageRoot(__dirname), 'workflows');

const loaded = new Map<string, WorkflowDefinition>();

export function loadTemplate(name: string): WorkflowDefinition {
  let template = loaded.get(name);
  if (!template) {
    template = JSON.parse(
      readFileSync(join(WORKFLOWS_DIR, `${name}.json`), 'utf8'),
    ) as WorkflowDefinition;
    loaded.set(name, template);
  }
  return template;
}

/** What a template needs from an endpoint to deliver for it. */
export interface EndpointDeliverySettings {
  id: string;
  url: string;
  format: PayloadFormat;
  headers: HeaderPair[];
  constants: Constant[];
  fieldMappings: FieldMapping[];
  timeoutMs: number;
  /** Id under which the engine's credentials helper serves this endpoint's signing secrets. */
  signingCredentialId: string;
  /** Concurrent requests per execution (Webhook Deliver's Concurrency). */
  concurrency: number;
}

function fillParameters(node: INode, endpoint: EndpointDeliverySettings): INode {
  const parameters: INodeParameters = { ...node.parameters };
  // One bad item must not fail its whole batch: errors travel on as items and are recorded
  // against their own delivery.
  const filled: INode = { ...node, parameters, onError: 'continueRegularOutput' };
  switch (node.type) {
    case NODE_TYPE.leadTrigger:
      // Deliveries are seeded straight into the trigger's output; nothing is received here.
      parameters.verifySignature = false;
      delete filled.onError;
      break;
    case NODE_TYPE.fieldMapper:
      parameters.fieldMappings = { mapping: endpoint.fieldMappings.map((m) => ({ ...m })) };
      parameters.constants = { constant: endpoint.constants.map((c) => ({ ...c })) };
      parameters.validateMapping = true;
      parameters.format = endpoint.format;
      break;
    case NODE_TYPE.formatPayload:
      parameters.format = endpoint.format;
      parameters.endpointUrl = endpoint.url;
      break;
    case NODE_TYPE.webhookDeliver:
      parameters.url = endpoint.url;
      parameters.headers = { header: endpoint.headers.map((h) => ({ ...h })) };
      parameters.timeoutMs = endpoint.timeoutMs;
      parameters.signRequests = true;
      parameters.concurrency = endpoint.concurrency;
      filled.credentials = {
        standardWebhooksSigningApi: {
          id: endpoint.signingCredentialId,
          name: `Endpoint ${endpoint.id}`,
        },
      };
      break;
    default:
      break;
  }
  return filled;
}

/**
 * A copy of the template with its nodes' parameters set from the endpoint, by node type. The
 * template file itself is never changed: the same export a seller can import into n8n runs here.
 */
export function fillTemplate(
  template: WorkflowDefinition,
  endpoint: EndpointDeliverySettings,
): WorkflowDefinition {
  return {
    ...template,
    id: `${template.id}:${endpoint.id}`,
    nodes: template.nodes.map((node) => fillParameters(node, endpoint)),
  };
}

export function workflowForEndpoint(endpoint: EndpointDeliverySettings): WorkflowDefinition {
  return fillTemplate(loadTemplate(TEMPLATE_BY_FORMAT[endpoint.format]), endpoint);
}
