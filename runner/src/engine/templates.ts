import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INode, INodeParameters } from 'n8n-workflow';

import { findPackageRoot } from '../../../core/version.js';
import type { Constant, FieldMapping, HeaderPair, PayloadFormat } from '../../../core/types.js';
import type { HubSpotOptions } from '../../../core/formats/hubspot.js';
import type { DeliverySettings } from '../../../nodes/shared/deliverySettings.js';
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

/** A template file as exported; read at each call (the worker keeps what it prepares from it). */
export function loadTemplate(name: string): WorkflowDefinition {
  return JSON.parse(
    readFileSync(join(WORKFLOWS_DIR, `${name}.json`), 'utf8'),
  ) as WorkflowDefinition;
}

/** What an execution needs of an endpoint: the settings its nodes are handed as data. */
export interface EndpointDeliverySettings {
  url: string;
  format: PayloadFormat;
  headers: readonly HeaderPair[];
  constants: readonly Constant[];
  fieldMappings: readonly FieldMapping[];
  timeoutMs: number;
  hubspot?: HubSpotOptions | null;
}

/** The credential id under which each execution is served its endpoint's signing secrets. */
export const ENDPOINT_SIGNING_CREDENTIAL_ID = 'endpoint-signing-secret';

/**
 * The parameters the runner sets on a template node: its own switches only, never a seller's
 * value (those reach the nodes as data: deliverySettingsFor).
 */
function withRunnerSwitches(node: INode): INode {
  const parameters: INodeParameters = { ...node.parameters };
  // One bad item must not fail its whole batch: errors travel on as items and are recorded
  // against their own delivery.
  const filled: INode = { ...node, parameters, onError: 'continueRegularOutput' };
  switch (node.type) {
    case NODE_TYPE.leadTrigger:
      // Deliveries are seeded straight into the trigger's output; nothing is received here.
      parameters.verifySignature = false;
      // No request to answer either: Webhook Deliver's outputs are recorded, not sent back.
      parameters.respond = 'whenReceived';
      delete filled.onError;
      break;
    case NODE_TYPE.fieldMapper:
      parameters.validateMapping = true;
      break;
    case NODE_TYPE.webhookDeliver:
      parameters.signRequests = true;
      filled.credentials = {
        standardWebhooksSigningApi: {
          id: ENDPOINT_SIGNING_CREDENTIAL_ID,
          name: 'Endpoint signing secret',
        },
      };
      break;
    default:
      break;
  }
  return filled;
}

export class UntrustedExpressionError extends Error {
  constructor(readonly places: readonly string[]) {
    super(
      `the filled workflow holds expressions that are not in its template file: ${places.join(', ')}`,
    );
    this.name = 'UntrustedExpressionError';
  }
}

/** Every string inside a parameter value, with its path (`headers.header.0.value`). */
function* stringsOf(value: unknown, path: string): Generator<{ path: string; text: string }> {
  if (typeof value === 'string') {
    yield { path, text: value };
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      yield* stringsOf(child, path ? `${path}.${key}` : key);
    }
  }
}

function valueAt(root: unknown, path: string): unknown {
  let current = root;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return undefined;
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The places (`Node name › parameter path`) where `filled` holds an n8n expression (a string
 * starting with `=`) that the template file does not hold at the same place. The runner's filling
 * adds none; this guards against a change that would put a seller's value into parameter text,
 * where n8n would evaluate it.
 */
export function expressionsNotFromTemplate(
  filled: WorkflowDefinition,
  template: WorkflowDefinition,
): string[] {
  const templateNodes = new Map(template.nodes.map((node) => [node.name, node]));
  const places: string[] = [];
  for (const node of filled.nodes) {
    const original = templateNodes.get(node.name);
    for (const { path, text } of stringsOf(node.parameters, '')) {
      if (!text.startsWith('=')) continue;
      if (original?.type === node.type && valueAt(original.parameters, path) === text) continue;
      places.push(`${node.name} › ${path}`);
    }
  }
  return places;
}

/**
 * The template with the runner's switches set, the same for every endpoint of a format (a
 * seller's settings are handed to each execution as data). Refused when it holds an expression
 * the template file does not. The template file itself is never changed: the same export a
 * seller can import into n8n runs here.
 */
export function fillTemplate(template: WorkflowDefinition): WorkflowDefinition {
  const filled: WorkflowDefinition = {
    ...template,
    nodes: template.nodes.map((node) => withRunnerSwitches(node)),
  };
  const untrusted = expressionsNotFromTemplate(filled, template);
  if (untrusted.length > 0) throw new UntrustedExpressionError(untrusted);
  return filled;
}

/**
 * The workflow the runner executes for every endpoint of `format`, filled afresh at each call:
 * the worker prepares it once per format and keeps that (worker/dispatcher.ts).
 */
export function workflowForFormat(format: PayloadFormat): WorkflowDefinition {
  return fillTemplate(loadTemplate(TEMPLATE_BY_FORMAT[format]));
}

function frozenCopies<T extends object>(entries: readonly T[]): readonly T[] {
  return Object.freeze(entries.map((entry) => Object.freeze({ ...entry })));
}

function deepFrozenCopy<T>(value: T): T {
  const copy = JSON.parse(JSON.stringify(value)) as T;
  const freeze = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    Object.freeze(node);
    for (const child of Object.values(node)) freeze(child);
  };
  freeze(copy);
  return copy;
}

/**
 * An endpoint's settings as its executions hand them to the nodes, frozen: executions share the
 * object, and nothing in them may change it.
 */
export function deliverySettingsFor(
  endpoint: EndpointDeliverySettings,
  concurrency: number,
): DeliverySettings {
  return Object.freeze({
    url: endpoint.url,
    format: endpoint.format,
    headers: frozenCopies(endpoint.headers),
    constants: frozenCopies(endpoint.constants),
    fieldMappings: frozenCopies(endpoint.fieldMappings),
    timeoutMs: endpoint.timeoutMs,
    concurrency,
    hubspot: endpoint.hubspot ? deepFrozenCopy(endpoint.hubspot) : null,
  });
}
