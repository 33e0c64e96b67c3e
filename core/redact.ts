/**
 * Redaction of request headers for the notification history (R6, R9): custom header values are
 * often credentials (Authorization, API keys), so only a hint of them is kept.
 */

import { defineOwn } from './values.js';

/**
 * Headers whose values are kept: set by the delivery itself and not secret. The signature is an
 * HMAC output; it reveals nothing about the secret and helps debug verification failures.
 */
export const SAFE_HEADER_NAMES: readonly string[] = Object.freeze([
  'host',
  'content-type',
  'content-length',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'webhook-test',
]);

const DEFAULT_SAFE: ReadonlySet<string> = new Set(SAFE_HEADER_NAMES);

export const REDACTION_MARK = '••••';

/** Values at least this long keep their last 4 characters, enough to tell two keys apart. */
const HINT_MIN_LENGTH = 12;

export interface RedactOptions {
  /** More header names (any case) whose values may be kept, e.g. `accept`. */
  safeNames?: readonly string[];
}

export function redactValue(value: string): string {
  return value.length >= HINT_MIN_LENGTH ? REDACTION_MARK + value.slice(-4) : REDACTION_MARK;
}

/** A copy with every non-safe value redacted; names and their order are kept. */
export function redactHeaders(
  headers: Record<string, string>,
  options: RedactOptions = {},
): Record<string, string> {
  const safe = options.safeNames
    ? new Set([...SAFE_HEADER_NAMES, ...options.safeNames].map((n) => n.toLowerCase()))
    : DEFAULT_SAFE;
  const redacted: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = String(headers[name]);
    defineOwn(redacted, name, safe.has(name.toLowerCase()) ? value : redactValue(value));
  }
  return redacted;
}
