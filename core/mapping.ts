/**
 * Field mapping (spec R2, R3): which catalogue fields go out under which names, plus constants.
 * Validation here is what the API runs when an endpoint is saved; mapLead is what every delivery
 * (and the Field Mapper node) runs per lead.
 */
import { isLeadFieldKey, LEAD_FIELDS, MEETING_FIELD_KEYS } from './catalogue.js';
import { HUBSPOT_STANDARD_MAPPINGS, hubSpotNameProblem } from './formats/hubspot.js';
import { nameCollisions, nameProblems, type NamedPath } from './names.js';
import { MESSAGE_TYPES } from './types.js';
import type {
  Constant,
  EndpointType,
  FieldMapping,
  LeadRecord,
  MappedLead,
  MessageType,
  PayloadFormat,
  ValidationProblem,
} from './types.js';
import { defineOwn, readOwn, toFieldValue } from './values.js';

export { RESERVED_OUTPUT_NAMES } from './names.js';
export { validateHeaders } from './headers.js';

/** The mappings an endpoint gets when it is created without any (R2). */
export const STANDARD_MAPPINGS: readonly FieldMapping[] = Object.freeze(
  ['firstName', 'lastName', 'email', 'phone'].map((key) =>
    Object.freeze({ field: key, output: key }),
  ),
);

/**
 * The mappings a new endpoint of `format` starts from: HubSpot's contact property internal names
 * for `hubspot` (a real form refuses `firstName`), the catalogue's own names otherwise.
 */
export function standardMappings(format: PayloadFormat): FieldMapping[] {
  const mappings = format === 'hubspot' ? HUBSPOT_STANDARD_MAPPINGS : STANDARD_MAPPINGS;
  return mappings.map(({ field, output }) => ({ field, output }));
}

/**
 * Save-time rules of a format beyond the formatters' own: HubSpot's internal names. Only checked
 * when a mapping is saved, so an endpoint saved before the rule keeps delivering until edited.
 */
function formatNameProblem(name: string, format: PayloadFormat): string | null {
  return format === 'hubspot' && name !== '' ? hubSpotNameProblem(name) : null;
}

export interface MappingSettings {
  format: PayloadFormat;
  fieldMappings: readonly FieldMapping[];
  constants: readonly Constant[];
}

export function isMessageType(value: unknown): value is MessageType {
  return typeof value === 'string' && (MESSAGE_TYPES as readonly string[]).includes(value);
}

/** Control characters would split headers-like receivers' lines or be unreadable in XML/forms. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * What is saved but will not work as the seller probably expects: an endpoint that takes lead
 * updates (`both`, `lead_updates`) without mapping a meeting field gets no lead updates at all,
 * since an update is only sent where the meeting time it carries is mapped (R4).
 */
export function endpointWarnings(settings: {
  type: EndpointType;
  fieldMappings: readonly FieldMapping[];
}): ValidationProblem[] {
  if (settings.type === 'new_leads') return [];
  if (settings.fieldMappings.some((mapping) => MEETING_FIELD_KEYS.includes(mapping.field))) {
    return [];
  }
  return [
    {
      path: 'fieldMappings',
      message: `This endpoint takes lead updates but maps no meeting field (${MEETING_FIELD_KEYS.join(', ')}), so it will receive none: map one to get them.`,
    },
  ];
}

/** Every problem of a mapping + constants setup, each with the path of the offending field. */
export function validateMappingSettings(settings: MappingSettings): ValidationProblem[] {
  const { format } = settings;
  const problems: ValidationProblem[] = [];
  const names: NamedPath[] = [];

  settings.fieldMappings.forEach((mapping, index) => {
    const fieldPath = `fieldMappings[${index}].field`;
    const outputPath = `fieldMappings[${index}].output`;
    const field = typeof mapping?.field === 'string' ? mapping.field : '';
    if (!isLeadFieldKey(field)) {
      problems.push({
        path: fieldPath,
        message:
          field === ''
            ? 'field must be a lead field key'
            : `"${field}" is not a lead field (see GET /v1/fields)`,
      });
    }
    const output = typeof mapping?.output === 'string' ? mapping.output : '';
    for (const message of nameProblems(output, format)) {
      problems.push({ path: outputPath, message: `output name ${message}` });
    }
    const outputFormatProblem = formatNameProblem(output, format);
    if (outputFormatProblem) {
      problems.push({ path: outputPath, message: `output name ${outputFormatProblem}` });
    }
    if (output !== '') {
      const fieldLabel = LEAD_FIELDS.find((candidate) => candidate.key === field)?.label;
      names.push({
        name: output,
        path: outputPath,
        label: `Field Mappings row ${index + 1}${fieldLabel ? ` (${fieldLabel})` : ''}`,
      });
    }
  });

  settings.constants.forEach((constant, index) => {
    const keyPath = `constants[${index}].key`;
    const key = typeof constant?.key === 'string' ? constant.key : '';
    for (const message of nameProblems(key, format)) {
      problems.push({ path: keyPath, message: `constant key ${message}` });
    }
    const keyFormatProblem = formatNameProblem(key, format);
    if (keyFormatProblem) {
      problems.push({ path: keyPath, message: `constant key ${keyFormatProblem}` });
    }
    if (key !== '') names.push({ name: key, path: keyPath, label: `Constants row ${index + 1}` });
    const value = constant?.value;
    if (typeof value !== 'string') {
      problems.push({
        path: `constants[${index}].value`,
        message: 'constant value must be a string',
      });
    } else if (CONTROL_CHARACTER.test(value)) {
      problems.push({
        path: `constants[${index}].value`,
        message: 'constant value must not contain line breaks or other control characters',
      });
    }
  });

  problems.push(...nameCollisions(names, format));
  return problems;
}

function assertMessageType(messageType: unknown): asserts messageType is MessageType {
  if (!isMessageType(messageType)) {
    throw new RangeError(
      `messageType must be "new_lead" or "lead_update", got ${JSON.stringify(messageType)}`,
    );
  }
}

/**
 * The ordered record a payload is built from: the mapped lead fields (null when the lead has no
 * value), then the constants. Lead values are read as own properties only, so a lead carrying
 * `__proto__` or missing `constructor` can never yield an inherited object.
 */
export function mapLead(
  lead: LeadRecord,
  fieldMappings: readonly FieldMapping[],
  constants: readonly Constant[],
  messageType: MessageType,
): MappedLead {
  assertMessageType(messageType);
  const source: object = lead !== null && typeof lead === 'object' ? lead : {};
  const entries: MappedLead['entries'] = [];
  for (const mapping of fieldMappings) {
    entries.push({
      name: mapping.output,
      value: toFieldValue(readOwn(source, mapping.field)),
      source: 'field',
    });
  }
  for (const constant of constants) {
    // A constant is kept as written (even ''), only a non-string from an n8n item is normalised.
    const value =
      typeof constant.value === 'string' ? constant.value : toFieldValue(constant.value);
    entries.push({ name: constant.key, value, source: 'constant' });
  }
  return { messageType, entries };
}

/**
 * The `{name: value}` object the Field Mapper node outputs. Built with defineProperty so a name
 * such as `__proto__` stays an ordinary own key. Note: like every JS object, integer-like names
 * ("1", "42") are enumerated before the others.
 */
export function fieldsOfMappedLead(mapped: MappedLead): Record<string, string | null> {
  const fields: Record<string, string | null> = {};
  for (const entry of mapped.entries) defineOwn(fields, entry.name, entry.value);
  return fields;
}

/**
 * The inverse of fieldsOfMappedLead, for a node that receives a Field Mapper item. Values are
 * normalised to string | null. Every entry is marked `source: 'field'` since the object does not
 * say which were constants; no format depends on the difference.
 */
export function mappedLeadFromFields(
  messageType: MessageType,
  fields: Record<string, unknown>,
): MappedLead {
  assertMessageType(messageType);
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new TypeError('fields must be an object of output name → value');
  }
  const entries: MappedLead['entries'] = Object.keys(fields).map((name) => ({
    name,
    value: toFieldValue(fields[name]),
    source: 'field',
  }));
  return { messageType, entries };
}
