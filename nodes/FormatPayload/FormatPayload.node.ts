import {
  NodeConnectionTypes,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';

import { formatPayload } from '../../core/formats/index.js';
import { mappedLeadFromFields } from '../../core/mapping.js';
import { PAYLOAD_FORMATS, type PayloadFormat } from '../../core/types.js';
import {
  carriedKeys,
  errorItem,
  errorMessage,
  isPlainObject,
  messageTypeOf,
  toNodeOperationError,
} from '../shared/items.js';
import { deliverySettingsOf } from '../shared/deliverySettings.js';
import { parameterReader } from '../shared/parameters.js';

/**
 * Turns a Field Mapper item (`{messageType, deliveryId?, fields}`) into the exact request body of
 * one of the four formats (spec R3): `{messageType, deliveryId?, format, body, contentType, payload}`.
 */
export class FormatPayload implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Format Payload',
    name: 'formatPayload',
    icon: {
      light: 'file:formatPayload.svg',
      dark: 'file:formatPayload.dark.svg',
    },
    group: ['transform'],
    version: 1,
    subtitle: '={{$parameter["format"]}}',
    description:
      'Build the webhook body of a mapped lead: JSON (nested by dots), XML, form-encoded or the HubSpot Forms API',
    defaults: {
      name: 'Format Payload',
    },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Format',
        name: 'format',
        type: 'options',
        options: [
          {
            name: 'JSON (Recommended)',
            value: 'json',
            description:
              'Application/json; output names with dots build nested objects, messageType is a top-level key',
          },
          {
            name: 'XML',
            value: 'xml',
            description: 'Application/xml with a <lead> root; each output name is an element',
          },
          {
            name: 'Form (URL-Encoded)',
            value: 'form',
            description: 'Application/x-www-form-urlencoded; output names are literal keys',
          },
          {
            name: 'HubSpot Forms API',
            value: 'hubspot',
            description:
              'HubSpot\'s {"fields":[{name, value, objectTypeId}], "WEBHOOKURL"} shape, without messageType',
          },
        ],
        default: 'json',
        description: 'The data format of the request body',
      },
      {
        displayName: 'Endpoint URL',
        name: 'endpointUrl',
        type: 'string',
        default: '',
        required: true,
        placeholder: 'https://api.hsforms.com/submissions/v3/integration/submit/…',
        description:
          'The URL the payload is sent to; the HubSpot format repeats it as its WEBHOOKURL property',
        displayOptions: {
          show: {
            format: ['hubspot'],
          },
        },
      },
    ],
  };

  async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
    const items = this.getInputData();
    const hostSettings = deliverySettingsOf(this);
    const read = parameterReader(this);
    const returnData: INodeExecutionData[] = [];

    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const json = items[itemIndex].json;
      try {
        const format = hostSettings?.format ?? read<string>('format', itemIndex, 'json');
        if (!(PAYLOAD_FORMATS as readonly string[]).includes(format)) {
          throw new Error(
            `Unknown format ${JSON.stringify(format)}: expected one of ${PAYLOAD_FORMATS.join(', ')}`,
          );
        }
        let webhookUrl: string | undefined;
        if (format === 'hubspot') {
          webhookUrl = (hostSettings?.url ?? read<string>('endpointUrl', itemIndex, '')).trim();
          if (webhookUrl === '') throw new Error('The HubSpot format needs the Endpoint URL');
        }
        if (!isPlainObject(json.fields)) {
          throw new Error(
            `Item ${itemIndex} has no "fields" object: Format Payload expects the output of Field Mapper ({messageType, fields})`,
          );
        }
        const messageType = messageTypeOf(json);
        const mapped = mappedLeadFromFields(messageType, json.fields);
        // The endpoint's HubSpot context and consent come as data from the host, never as parameters.
        const formatted = formatPayload(format as PayloadFormat, mapped, {
          webhookUrl,
          hubspot: hostSettings?.hubspot ?? null,
        });
        const carried = carriedKeys(json);
        const output: IDataObject = { messageType };
        if (carried.deliveryId !== undefined) output.deliveryId = carried.deliveryId;
        if (carried.test) output.test = true;
        output.format = format;
        output.body = formatted.body;
        output.contentType = formatted.contentType;
        output.payload = formatted.payload as IDataObject;
        returnData.push({ json: output, pairedItem: { item: itemIndex } });
      } catch (error) {
        if (this.continueOnFail()) {
          returnData.push(errorItem(json, errorMessage(error), itemIndex));
          continue;
        }
        throw toNodeOperationError(this.getNode(), error, itemIndex);
      }
    }
    return [returnData];
  }
}
