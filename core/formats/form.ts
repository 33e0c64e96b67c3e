/** Form payload (R3): application/x-www-form-urlencoded, messageType first, keys literal. */
import { assertValidEntryNames } from '../names.js';
import type { FormattedPayload, MappedLead } from '../types.js';
import { flatRecord } from './flat.js';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export function formatForm(mapped: MappedLead): FormattedPayload {
  assertValidEntryNames(mapped.entries, 'form');
  const payload = flatRecord(mapped);
  // Appended from the entries (not the record) so the body keeps entry order even for
  // integer-like names, which objects enumerate first.
  const params = new URLSearchParams();
  params.append('messageType', mapped.messageType);
  for (const { name, value } of mapped.entries) params.append(name, value ?? '');
  return { body: params.toString(), contentType: FORM_CONTENT_TYPE, payload };
}
