import { NodeHelpers } from 'n8n-workflow';
import type { IDataObject, INodeType, INodeTypes, IVersionedNodeType } from 'n8n-workflow';

import { FieldMapper } from '../../../nodes/FieldMapper/FieldMapper.node.js';
import { FormatPayload } from '../../../nodes/FormatPayload/FormatPayload.node.js';
import { LeadTrigger } from '../../../nodes/LeadTrigger/LeadTrigger.node.js';
import { RouteByMessageType } from '../../../nodes/RouteByMessageType/RouteByMessageType.node.js';
import { WebhookDeliver } from '../../../nodes/WebhookDeliver/WebhookDeliver.node.js';

/** Node type names as they appear in workflow JSON: `<package name>.<description.name>`. */
export const PACKAGE_NAME = 'n8n-nodes-lead-delivery';
export const NODE_TYPE = {
  leadTrigger: `${PACKAGE_NAME}.leadTrigger`,
  fieldMapper: `${PACKAGE_NAME}.fieldMapper`,
  formatPayload: `${PACKAGE_NAME}.formatPayload`,
  webhookDeliver: `${PACKAGE_NAME}.webhookDeliver`,
  routeByMessageType: `${PACKAGE_NAME}.routeByMessageType`,
} as const;

/** The node-types registry WorkflowExecute needs: our five nodes and nothing else. */
export class LeadDeliveryNodeTypes implements INodeTypes {
  private readonly types = new Map<string, INodeType | IVersionedNodeType>();

  constructor() {
    for (const nodeType of [
      new LeadTrigger(),
      new FieldMapper(),
      new FormatPayload(),
      new WebhookDeliver(),
      new RouteByMessageType(),
    ] as Array<INodeType | IVersionedNodeType>) {
      this.types.set(`${PACKAGE_NAME}.${nodeType.description.name}`, nodeType);
    }
  }

  getByName(nodeType: string): INodeType | IVersionedNodeType {
    const found = this.types.get(nodeType);
    if (!found)
      throw new Error(
        `Unknown node type "${nodeType}": the runner knows only ${[...this.types.keys()].join(', ')}`,
      );
    return found;
  }

  getByNameAndVersion(nodeType: string, version?: number): INodeType {
    return NodeHelpers.getVersionedNodeType(this.getByName(nodeType), version);
  }

  getKnownTypes(): IDataObject {
    const known: IDataObject = {};
    for (const name of this.types.keys()) known[name] = { className: name, sourcePath: '' };
    return known;
  }
}
