/**
 * The recorder's choke point: every text of an attempt's report made storable, and the notice the
 * history shows saying what was replaced where.
 */
import type { AttemptReport } from '../../src/worker/dispatcher.js';
import { storableReport } from '../../src/worker/storableReport.js';

function report(overrides: Partial<AttemptReport> = {}): AttemptReport {
  return {
    deliveryId: 'msg_1',
    startedAt: new Date('2026-05-04T10:00:00Z'),
    durationMs: 12,
    success: true,
    outcome: 'success',
    httpStatus: 200,
    error: null,
    retryAfterMs: null,
    responseExcerpt: '{"ok":true}',
    responseInvalidUtf8: false,
    requestHeaders: { 'Content-Type': 'application/json', 'X-Api-Key': '••••1234' },
    payload: '{"firstName":"Jane 😀"}',
    contentType: 'application/json',
    cause: null,
    ...overrides,
  };
}

test('a report with nothing to replace is the same object, without a notice', () => {
  const plain = report();
  expect(storableReport(plain)).toEqual({ report: plain, notice: null });
  expect(storableReport(plain).report).toBe(plain);
});

test('invalid UTF-8 alone: the texts are kept, the notice says so', () => {
  const invalid = report({ responseExcerpt: 'a\uFFFDb', responseInvalidUtf8: true });
  const { report: stored, notice } = storableReport(invalid);
  expect(stored).toBe(invalid);
  expect(notice).toBe('The response held invalid UTF-8 bytes; they are shown as U+FFFD.');
});

test('every text is made storable, and the notice names each part that held something', () => {
  const { report: stored, notice } = storableReport(
    report({
      success: false,
      outcome: 'permanent',
      httpStatus: 400,
      error: 'HTTP 400 Bad \u0000Request',
      responseExcerpt: 'no\u0000\u0000',
      responseInvalidUtf8: true,
      requestHeaders: { 'X-Trace': 'a\uD800', 'Content-Type': 'application/json' },
      payload: '{"note":"\u0000"}',
      contentType: 'application/json\u0000',
    }),
  );
  expect(stored).toMatchObject({
    error: 'HTTP 400 Bad \uFFFDRequest',
    responseExcerpt: 'no\uFFFD\uFFFD',
    requestHeaders: { 'X-Trace': 'a\uFFFD', 'Content-Type': 'application/json' },
    payload: '{"note":"\uFFFD"}',
    contentType: 'application/json\uFFFD',
    httpStatus: 400,
  });
  expect(notice).toBe(
    'The response held 2 NUL characters and invalid UTF-8 bytes; the error message held 1 NUL ' +
      'character; the request headers held 1 lone surrogate; the payload held 2 NUL characters; ' +
      'they are shown as U+FFFD.',
  );
});

test('one replacement reads in the singular', () => {
  expect(storableReport(report({ responseExcerpt: 'ok\u0000' })).notice).toBe(
    'The response held 1 NUL character; it is shown as U+FFFD.',
  );
});

test('a header named __proto__ stays an ordinary header when its value is replaced', () => {
  const headers: Record<string, string> = {};
  Object.defineProperty(headers, '__proto__', {
    value: 'x\u0000',
    enumerable: true,
    writable: true,
    configurable: true,
  });
  const { report: stored } = storableReport(report({ requestHeaders: headers }));
  expect(Object.getPrototypeOf(stored.requestHeaders)).toBe(Object.prototype);
  expect(Object.entries(stored.requestHeaders)).toEqual([['__proto__', 'x\uFFFD']]);
});
