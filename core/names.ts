/**
 * Rules for output names (field mapping outputs and constant keys), spec R3. Shared by the save-time
 * validation (mapping.ts) and the formatters, which check again because an n8n user can hand a
 * Format Payload node any record, bypassing the endpoint validation.
 */
import { BoundedCache } from './boundedCache.js';
import { PAYLOAD_FORMATS, type PayloadFormat, type ValidationProblem } from './types.js';

/** Names the formats place themselves; a mapping may not produce them. */
export const RESERVED_OUTPUT_NAMES: readonly string[] = Object.freeze(['messageType']);

/**
 * Segments that would reach Object.prototype (or a constructor) when a dotted name is walked as a
 * property path. Refused for every format so that a mapping stays valid when the format changes.
 */
export const FORBIDDEN_SEGMENTS: readonly string[] = Object.freeze([
  '__proto__',
  'prototype',
  'constructor',
]);

export const MAX_OUTPUT_NAME_LENGTH = 200;

// XML 1.0 (fifth edition) Name production, without ':' — a colon makes the name a namespace
// prefix, and namespace-aware receivers reject an undeclared prefix.
const NAME_START =
  'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF' +
  '\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD' +
  '\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

/** True when `name` can be an XML element name (and does not start with the reserved `xml`). */
export function isXmlName(name: string): boolean {
  return XML_NAME.test(name) && !/^xml/i.test(name);
}

/** Everything wrong with one name on its own (not counting collisions with other names). */
export function nameProblems(name: string, format: PayloadFormat): string[] {
  if (typeof name !== 'string') return ['must be a string'];
  if (name.length === 0) return ['must not be empty'];
  const problems: string[] = [];
  if (name.length > MAX_OUTPUT_NAME_LENGTH) {
    problems.push(`must be at most ${MAX_OUTPUT_NAME_LENGTH} characters`);
  }
  const segments = name.split('.');
  if (segments.some((segment) => segment.length === 0)) {
    problems.push(`"${name}" has an empty segment (leading, trailing or double dot)`);
  }
  const forbidden = segments.filter((segment) => FORBIDDEN_SEGMENTS.includes(segment));
  if (forbidden.length > 0) {
    problems.push(`"${name}" uses the forbidden segment "${forbidden[0]}"`);
  }
  if (RESERVED_OUTPUT_NAMES.includes(name)) {
    problems.push(`"${name}" is reserved: every payload sets it itself`);
  } else if (format === 'json' && RESERVED_OUTPUT_NAMES.includes(segments[0])) {
    // In JSON `messageType.x` would need the top-level messageType string to be an object.
    problems.push(`"${name}" collides with the reserved top-level "${segments[0]}"`);
  }
  if (format === 'xml' && !isXmlName(name)) {
    problems.push(
      `"${name}" is not a valid XML element name (letters, digits, "-", "_", "."; no ":"; ` +
        `not starting with a digit, "-", "." or "xml")`,
    );
  }
  return problems;
}

export interface NamedPath {
  name: string;
  path: string;
  /**
   * The row as a person sees it on the settings form ("Field Mappings row 2 (Email Address)"),
   * used in messages; the path still says where the problem belongs. Default: the path.
   */
  label?: string;
}

const labelOf = (entry: NamedPath): string => entry.label ?? entry.path;

/**
 * Pairs of names that cannot live in one payload: the same name twice (every format) and, for
 * JSON, a name that is a dotted prefix of another (`contact` is a value and an object at once).
 * Each problem is reported on the later of the two paths and names both.
 */
export function nameCollisions(
  names: readonly NamedPath[],
  format: PayloadFormat,
): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const firstByName = new Map<string, NamedPath>();
  names.forEach((entry) => {
    const earlier = firstByName.get(entry.name);
    if (earlier) {
      problems.push({
        path: entry.path,
        message: `"${entry.name}" is used twice: by ${labelOf(earlier)} and by ${labelOf(entry)}`,
      });
    } else {
      firstByName.set(entry.name, entry);
    }
  });
  if (format !== 'json') return problems;

  const indexOf = new Map<string, number>();
  names.forEach((entry, index) => {
    if (!indexOf.has(entry.name)) indexOf.set(entry.name, index);
  });
  names.forEach((entry, index) => {
    const segments = entry.name.split('.');
    for (let length = 1; length < segments.length; length += 1) {
      const prefix = segments.slice(0, length).join('.');
      const prefixIndex = indexOf.get(prefix);
      if (prefixIndex === undefined) continue;
      const prefixEntry = names[prefixIndex];
      const later = prefixIndex > index ? prefixEntry : entry;
      problems.push({
        path: later.path,
        message:
          `${labelOf(prefixEntry)} "${prefix}" collides with ${labelOf(entry)} "${entry.name}": ` +
          `in JSON "${prefix}" cannot be a value and an object at once`,
      });
    }
  });
  return problems;
}

/**
 * Throws on the first name problem or collision. The formatters call this so that a record that
 * never went through endpoint validation (any n8n item) cannot pollute prototypes or emit
 * malformed XML.
 */
export function assertValidNames(names: readonly string[], format: PayloadFormat): void {
  const named = names.map((name, index) => ({ name, path: `entries[${index}]` }));
  for (const entry of named) {
    const [problem] = nameProblems(entry.name, format);
    if (problem) throw new Error(`Cannot format ${format} payload: output name ${problem}`);
  }
  const [collision] = nameCollisions(named, format);
  if (collision) throw new Error(`Cannot format ${format} payload: ${collision.message}`);
}

/**
 * The names each format accepted last. The items of one endpoint carry the same names in the same
 * order, so a batch is checked once and every further item costs a comparison: the full check
 * per item was most of the JSON formatter's time and allocation.
 */
const lastAccepted = new BoundedCache<PayloadFormat, string[]>(PAYLOAD_FORMATS.length);

function sameNames(accepted: readonly string[], entries: readonly { name: string }[]): boolean {
  if (accepted.length !== entries.length) return false;
  for (let index = 0; index < accepted.length; index += 1) {
    if (accepted[index] !== entries[index].name) return false;
  }
  return true;
}

/** assertValidNames for a mapped lead's entries, remembering the last accepted list per format. */
export function assertValidEntryNames(
  entries: readonly { name: string }[],
  format: PayloadFormat,
): void {
  const accepted = lastAccepted.get(format);
  if (accepted && sameNames(accepted, entries)) return;
  const names = entries.map((entry) => entry.name);
  assertValidNames(names, format);
  lastAccepted.set(format, names);
}
