import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type IExecuteFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
} from 'n8n-workflow';

import { LEAD_FIELDS } from '../../core/catalogue.js';
import {
  STANDARD_MAPPINGS,
  fieldsOfMappedLead,
  mapLead,
  validateMappingSettings,
} from '../../core/mapping.js';
import {
  PAYLOAD_FORMATS,
  type Constant,
  type FieldMapping,
  type LeadRecord,
  type PayloadFormat,
  type ValidationProblem,
} from '../../core/types.js';
import {
  carriedKeys,
  errorItem,
  errorMessage,
  messageTypeOf,
  toNodeOperationError,
} from '../shared/items.js';
import { deliverySettingsOf } from '../shared/deliverySettings.js';
import { parameterReader } from '../shared/parameters.js';

interface MappingParameter {
  mapping?: Array<Partial<FieldMapping>>;
}

interface ConstantParameter {
  constant?: Array<Partial<Constant>>;
}

function mappingsOf(parameter: MappingParameter): FieldMapping[] {
  return (parameter.mapping ?? []).map((entry) => ({
    field: String(entry.field ?? ''),
    output: String(entry.output ?? ''),
  }));
}

function constantsOf(parameter: ConstantParameter): Constant[] {
  return (parameter.constant ?? []).map((entry) => ({
    key: String(entry.key ?? ''),
    value: entry.value === undefined || entry.value === null ? '' : String(entry.value),
  }));
}

/** What one item is mapped with; `format` null: not validated. */
interface ItemSettings {
  fieldMappings: readonly FieldMapping[];
  constants: readonly Constant[];
  format: string | null;
}

const DEFAULT_FIELD_MAPPINGS = {
  mapping: STANDARD_MAPPINGS.map((mapping) => ({ field: mapping.field, output: mapping.output })),
};

/** The n8n parameter paths of a core validation path (`fieldMappings[2].output` → `Field Mappings #3 › Output Name`). */
function describeProblem(problem: ValidationProblem): string {
  const readable = problem.path
    .replace(
      /^fieldMappings\[(\d+)\]\.field/,
      (_m, i: string) => `Field Mappings #${Number(i) + 1} › Field`,
    )
    .replace(
      /^fieldMappings\[(\d+)\]\.output/,
      (_m, i: string) => `Field Mappings #${Number(i) + 1} › Output Name`,
    )
    .replace(/^constants\[(\d+)\]\.key/, (_m, i: string) => `Constants #${Number(i) + 1} › Key`)
    .replace(
      /^constants\[(\d+)\]\.value/,
      (_m, i: string) => `Constants #${Number(i) + 1} › Value`,
    );
  return `${readable}: ${problem.message}`;
}

/**
 * Maps a lead item (catalogue fields, as Lead Trigger emits them) to the seller's output names and
 * adds the constants: `{messageType, deliveryId?, fields: {<output name>: value}}`.
 */
export class FieldMapper implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'Field Mapper',
    name: 'fieldMapper',
    icon: {
      light: 'file:fieldMapper.svg',
      dark: 'file:fieldMapper.dark.svg',
    },
    group: ['transform'],
    version: 1,
    subtitle: '={{($parameter["fieldMappings"].mapping || []).length + " mapped fields"}}',
    description: 'Map lead fields to the names your system expects and add constant values',
    defaults: {
      name: 'Field Mapper',
    },
    usableAsTool: true,
    inputs: [NodeConnectionTypes.Main],
    outputs: [NodeConnectionTypes.Main],
    properties: [
      {
        displayName: 'Field Mappings',
        name: 'fieldMappings',
        type: 'fixedCollection',
        typeOptions: {
          multipleValues: true,
          sortable: true,
        },
        placeholder: 'Add Field Mapping',
        description:
          'Which lead fields are sent, under which names, in this order. In JSON, dots in an output name build nested objects (data.contact.email).',
        default: DEFAULT_FIELD_MAPPINGS,
        options: [
          {
            displayName: 'Mapping',
            name: 'mapping',
            values: [
              {
                displayName: 'Field',
                name: 'field',
                type: 'options',
                options: LEAD_FIELDS.map((field) => ({
                  name: field.label,
                  value: field.key,
                  description: `${field.key}, e.g. ${field.example}`,
                })),
                default: 'firstName',
                description: 'The lead field (Top Provider field) to send',
              },
              {
                displayName: 'Output Name',
                name: 'output',
                type: 'string',
                default: '',
                placeholder: 'e.g. contact.email',
                description: 'The name of the field in your system',
              },
            ],
          },
        ],
      },
      {
        displayName: 'Constants',
        name: 'constants',
        type: 'fixedCollection',
        typeOptions: {
          multipleValues: true,
          sortable: true,
        },
        placeholder: 'Add Constant',
        description: 'Fixed key/value pairs added to every payload, after the mapped fields',
        default: {},
        options: [
          {
            displayName: 'Constant',
            name: 'constant',
            values: [
              {
                displayName: 'Key',
                name: 'key',
                type: 'string',
                default: '',
                placeholder: 'e.g. source',
              },
              {
                displayName: 'Value',
                name: 'value',
                type: 'string',
                default: '',
                placeholder: 'e.g. top-provider',
              },
            ],
          },
        ],
      },
      {
        displayName: 'Validate Mapping',
        name: 'validateMapping',
        type: 'boolean',
        default: true,
        description:
          'Whether to check the output names and constants (empty, reserved or colliding names, names the format cannot carry) and fail with every problem listed',
      },
      {
        displayName: 'Format',
        name: 'format',
        type: 'options',
        options: [
          { name: 'JSON', value: 'json' },
          { name: 'XML', value: 'xml' },
          { name: 'Form (URL-Encoded)', value: 'form' },
          { name: 'HubSpot Forms API', value: 'hubspot' },
        ],
        default: 'json',
        description: 'The payload format the names are validated for (set it as in Format Payload)',
        displayOptions: {
          show: {
            validateMapping: [true],
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

    // Settings read once when they hold no expression: the same objects come back for every item,
    // so the conversions and the validation below run once per distinct setting, not per item.
    let lastRaw: { mappings?: MappingParameter; constants?: ConstantParameter } = {};
    let parameterMappings: FieldMapping[] = [];
    let parameterConstants: Constant[] = [];
    const settingsOfItem = (itemIndex: number): ItemSettings => {
      if (hostSettings) {
        return {
          fieldMappings: hostSettings.fieldMappings,
          constants: hostSettings.constants,
          format: hostSettings.format,
        };
      }
      const rawMappings = read<MappingParameter>(
        'fieldMappings',
        itemIndex,
        DEFAULT_FIELD_MAPPINGS,
      );
      const rawConstants = read<ConstantParameter>('constants', itemIndex, {});
      if (rawMappings !== lastRaw.mappings) parameterMappings = mappingsOf(rawMappings);
      if (rawConstants !== lastRaw.constants) parameterConstants = constantsOf(rawConstants);
      lastRaw = { mappings: rawMappings, constants: rawConstants };
      return {
        fieldMappings: parameterMappings,
        constants: parameterConstants,
        format: read<boolean>('validateMapping', itemIndex, true)
          ? read<string>('format', itemIndex, 'json')
          : null,
      };
    };

    let lastValidated: {
      mappings?: readonly FieldMapping[];
      constants?: readonly Constant[];
      format?: string;
    } = {};
    let lastProblems: ValidationProblem[] = [];

    for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
      const json = items[itemIndex].json;
      try {
        const { fieldMappings, constants, format } = settingsOfItem(itemIndex);
        if (format !== null) {
          if (!(PAYLOAD_FORMATS as readonly string[]).includes(format)) {
            throw new Error(
              `Unknown format ${JSON.stringify(format)}: expected one of ${PAYLOAD_FORMATS.join(', ')}`,
            );
          }
          if (
            lastValidated.mappings !== fieldMappings ||
            lastValidated.constants !== constants ||
            lastValidated.format !== format
          ) {
            lastProblems = validateMappingSettings({
              format: format as PayloadFormat,
              fieldMappings,
              constants,
            });
            lastValidated = { mappings: fieldMappings, constants, format };
          }
          if (lastProblems.length > 0) {
            const lines = lastProblems.map(describeProblem);
            throw new NodeOperationError(
              this.getNode(),
              `The field mapping is invalid for the ${format} format (${lines.length} ${
                lines.length === 1 ? 'problem' : 'problems'
              }): ${lines.join('; ')}`,
              { itemIndex, description: lines.join('\n') },
            );
          }
        }

        const messageType = messageTypeOf(json);
        const mapped = mapLead(json as LeadRecord, fieldMappings, constants, messageType);
        const output: IDataObject = { messageType };
        const { deliveryId, test } = carriedKeys(json);
        if (deliveryId !== undefined) output.deliveryId = deliveryId;
        if (test) output.test = true;
        output.fields = fieldsOfMappedLead(mapped);
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
