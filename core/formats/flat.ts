/** The flat `{messageType, ...entries}` record the XML and form formats are written from. */
import type { MappedLead } from '../types.js';
import { defineOwn } from '../values.js';

/** A value-less entry becomes '' here: both formats write it as empty (element or field). */
export function flatRecord(mapped: MappedLead): Record<string, string> {
  const record: Record<string, string> = {};
  defineOwn(record, 'messageType', mapped.messageType);
  for (const { name, value } of mapped.entries) defineOwn(record, name, value ?? '');
  return record;
}
