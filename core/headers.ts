/** Validation of an endpoint's custom HTTP headers (spec R2), used at save time and at send time. */
import type { HeaderPair, ValidationProblem } from './types.js';

// RFC 7230 §3.2.6 token: the only characters a header field name may contain.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function isHttpToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * Header names a seller may not set, lowercase, with the reason shown to them.
 * - Framing and hop-by-hop headers: Node computes them, and a wrong value would desynchronise the
 *   connection (request smuggling) or hang it (`Expect: 100-continue`).
 * - Headers the delivery owns: the format decides Content-Type (a different one would mislabel
 *   the body), User-Agent identifies us, and the webhook-* headers carry the Standard Webhooks
 *   signature; a seller's value would break verification or idempotency on the receiver.
 */
export const REFUSED_HEADER_NAMES: ReadonlyMap<string, string> = new Map([
  ['host', 'is set from the webhook URL'],
  ['content-length', 'is computed from the body'],
  ['transfer-encoding', 'is managed by the HTTP client'],
  ['connection', 'is managed by the HTTP client'],
  ['keep-alive', 'is managed by the HTTP client'],
  ['proxy-connection', 'is managed by the HTTP client'],
  ['upgrade', 'is managed by the HTTP client'],
  ['te', 'is managed by the HTTP client'],
  ['trailer', 'is managed by the HTTP client'],
  ['expect', 'is managed by the HTTP client'],
  ['content-type', 'is set by the data format'],
  ['user-agent', 'is set by the delivery (lead-delivery/<version>)'],
  ['webhook-id', 'is set by the delivery (Standard Webhooks)'],
  ['webhook-timestamp', 'is set by the delivery (Standard Webhooks)'],
  ['webhook-signature', 'is set by the delivery (Standard Webhooks)'],
  ['webhook-test', 'is set by the delivery (Send test)'],
]);

// What Node's http client accepts in a header value (tab, visible ASCII, Latin-1); anything else
// makes http.request throw, so it is refused at save time instead of failing every delivery.
const VALID_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function headerValueProblem(value: string): string | null {
  if (/[\r\n\0]/.test(value)) return 'must not contain CR, LF or NUL characters';
  if (!VALID_VALUE.test(value)) {
    return 'may only contain visible ASCII or Latin-1 characters, spaces and tabs';
  }
  return null;
}

/** Every problem of a header list, each with its path (`headers[1].name`, `headers[1].value`). */
export function validateHeaders(headers: readonly HeaderPair[]): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const firstIndexByName = new Map<string, number>();
  headers.forEach((header, index) => {
    const namePath = () => `headers[${index}].name`;
    const name = typeof header?.name === 'string' ? header.name : '';
    const value = typeof header?.value === 'string' ? header.value : null;
    const lower = name.toLowerCase();
    if (!isHttpToken(name)) {
      problems.push({
        path: namePath(),
        message:
          name.length === 0
            ? 'header name must not be empty'
            : `header name ${JSON.stringify(name)} is not a valid HTTP token`,
      });
    } else if (REFUSED_HEADER_NAMES.has(lower)) {
      problems.push({
        path: namePath(),
        message: `header "${name}" cannot be set: it ${REFUSED_HEADER_NAMES.get(lower)}`,
      });
    }
    const earlier = firstIndexByName.get(lower);
    if (earlier !== undefined && name.length > 0) {
      problems.push({
        path: namePath(),
        message: `header "${name}" is given twice: headers[${earlier}].name and ${namePath()}`,
      });
    } else if (name.length > 0) {
      firstIndexByName.set(lower, index);
    }
    const valueProblem = value === null ? 'must be a string' : headerValueProblem(value);
    if (valueProblem) {
      problems.push({ path: `headers[${index}].value`, message: `header value ${valueProblem}` });
    }
  });
  return problems;
}
