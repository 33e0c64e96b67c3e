/** R6/R9: request headers in the history never show a custom header value in full. */
import { redactHeaders, SAFE_HEADER_NAMES } from '../../core/redact.js';

describe('R9 redactHeaders', () => {
  const sent = {
    Host: 'receiver.example.com',
    Authorization: 'Bearer abcdefghijklmnop1234',
    'X-Short': 'tiny-secret',
    'X-Twelve': '123456789012',
    'Content-Type': 'application/json',
    'Content-Length': '42',
    'User-Agent': 'lead-delivery/0.1.0',
    'webhook-id': 'dlv_1',
    'webhook-timestamp': '1776887100',
    'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  };

  test('safe headers kept; long values keep their last 4 characters; short ones are fully masked', () => {
    expect(redactHeaders(sent)).toEqual({
      ...sent,
      Authorization: '••••1234',
      'X-Short': '••••',
      'X-Twelve': '••••9012',
    });
  });

  test('names and their order are kept; the input is not modified', () => {
    const copy = { ...sent };
    expect(Object.keys(redactHeaders(sent))).toEqual(Object.keys(sent));
    expect(sent).toEqual(copy);
  });

  test('safe names match in any case and can be extended', () => {
    expect(
      redactHeaders(
        { 'CONTENT-TYPE': 'text/xml', Accept: 'application/json' },
        { safeNames: ['accept'] },
      ),
    ).toEqual({
      'CONTENT-TYPE': 'text/xml',
      Accept: 'application/json',
    });
    expect(SAFE_HEADER_NAMES).toEqual(
      expect.arrayContaining(['webhook-signature', 'content-type', 'user-agent']),
    );
  });

  test('a header named __proto__ is redacted as an ordinary key', () => {
    const headers = JSON.parse('{"__proto__":"secret-value-long-enough"}');
    const redacted = redactHeaders(headers);
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(redacted, '__proto__')?.value).toBe('••••ough');
  });
});
