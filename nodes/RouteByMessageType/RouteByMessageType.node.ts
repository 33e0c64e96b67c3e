import {
  NodeConnectionTypes,
  NodeOperationError,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';

import { errorMessage, toNodeOperationError } from '../shared/items.js';
import { parameterReader } from '../shared/parameters.js';

const OUTPUT_NEW_LEAD = 0;
const OUTPUT_LEAD_UPDATE = 1;
const OUTPUT_OTHER = 2;

/**
 * Sends each item to "New Lead" (messageType new_lead) or "Lead Update" (lead_update), unchanged.
 * The third output, "Other", always exists so that the outputs never change shape: it receives
 * items of any other (or no) messageType when "Unknown Types" is "Send to 'Other' Output", and the
 * error items of unknown types when the node fails on them but "Continue On Fail" is set.
 */
export class RouteByMessageType implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Route by messageType',
    name: 'routeByMessageType',
    icon: {
      light: 'file:routeByMessageType.svg',
      dark: 'file:routeByMessageType.dark.svg',
    },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["unknownTypes"] === "output" ? "unknown → Other" : ""}}',
    description:
      'Route lead items by messageType: new leads to output 1, lead updates to output 2, anything else to output 3 (Other) or an error',
    defaults: {
      name: 'Route by messageType',
    },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
    outputNames: ['New Lead', 'Lead Update', 'Other'],
    properties: [
      {
        displayName:
          'Items with messageType "new_lead" go to New Lead, "lead_update" to Lead Update. The Other output receives unknown types when chosen below, and their error items when the node fails with "Continue On Fail" set.',
        name: 'notice',
        type: 'notice',
        default: '',
      },
      {
        displayName: 'Unknown Types',
        name: 'unknownTypes',
        type: 'options',
        options: [
          {
            name: 'Fail the Node',
            value: 'error',
            description: 'An item with any other messageType (or none) is an error',
          },
          {
            name: "Send to 'Other' Output",
            value: 'output',
            description: 'Items with any other messageType (or none) go to the third output',
          },
        ],
        default: 'error',
        description:
          'What to do with an item whose messageType is neither new_lead nor lead_update',
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const read = parameterReader(this);
    const outputs: INodeExecutionData[][] = [[], [], []];

    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const item = items[itemIndex];
      const messageType = item.json.messageType;
      if (messageType === 'new_lead') {
        outputs[OUTPUT_NEW_LEAD].push({ ...item, pairedItem: { item: itemIndex } });
        continue;
      }
      if (messageType === 'lead_update') {
        outputs[OUTPUT_LEAD_UPDATE].push({ ...item, pairedItem: { item: itemIndex } });
        continue;
      }
      try {
        const unknownTypes = read<string>('unknownTypes', itemIndex, 'error');
        if (unknownTypes === 'output') {
          outputs[OUTPUT_OTHER].push({ ...item, pairedItem: { item: itemIndex } });
          continue;
        }
        const shown = messageType === undefined ? 'none' : JSON.stringify(messageType);
        throw new NodeOperationError(
          this.getNode(),
          `Item ${itemIndex} has an unknown messageType (${shown}): expected "new_lead" or "lead_update"`,
          {
            itemIndex,
            description:
              'Set "Unknown Types" to "Send to \'Other\' Output" to route such items instead of failing.',
          },
        );
      } catch (error) {
        if (!this.continueOnFail()) throw toNodeOperationError(this.getNode(), error, itemIndex);
        outputs[OUTPUT_OTHER].push({
          json: { ...item.json, error: errorMessage(error) },
          pairedItem: { item: itemIndex },
        });
      }
    }
    return outputs;
  }
}
