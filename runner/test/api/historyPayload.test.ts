/** The body the history keeps of each attempt: whole up to the cap, cut there beyond it. */
import { HISTORY_PAYLOAD_MAX_CHARS, historyPayload } from '../../src/store/attempts.js';
import { troubleshootingFor } from '../../../core/troubleshooting.js';

test('a body up to the cap is kept whole, with no length', () => {
  const body = 'x'.repeat(HISTORY_PAYLOAD_MAX_CHARS);
  expect(historyPayload(body)).toEqual({ payload: body, payloadLength: null });
  expect(historyPayload(null)).toEqual({ payload: null, payloadLength: null });
});

test('a longer body is cut at the cap and its whole length kept', () => {
  const body = 'y'.repeat(HISTORY_PAYLOAD_MAX_CHARS + 10);
  const kept = historyPayload(body);
  expect(kept.payload).toBe(body.slice(0, HISTORY_PAYLOAD_MAX_CHARS));
  expect(kept.payloadLength).toBe(HISTORY_PAYLOAD_MAX_CHARS + 10);
});

test('the cut never splits a surrogate pair (a lone surrogate could not be stored)', () => {
  const body = `${'z'.repeat(HISTORY_PAYLOAD_MAX_CHARS - 1)}😀tail`;
  const kept = historyPayload(body);
  expect(kept.payload).toBe('z'.repeat(HISTORY_PAYLOAD_MAX_CHARS - 1));
});

test.each([
  [{ cause: 'connect', httpStatus: null }, 'connection'],
  [{ cause: 'dns', httpStatus: null }, 'connection'],
  [{ cause: 'http_4xx', httpStatus: 401 }, 'authentication'],
  [{ cause: 'http_4xx', httpStatus: 403 }, 'authentication'],
  [{ cause: 'rejected', httpStatus: 422 }, 'field_mapping'],
  [{ cause: 'timeout', httpStatus: null }, 'timeout'],
  [{ cause: 'http_5xx', httpStatus: 503 }, 'http_error'],
  [{ cause: 'http_3xx', httpStatus: 301 }, 'http_error'],
  [{ cause: null, httpStatus: 404 }, 'http_error'],
])('advice for %j is %s', (failure, issue) => {
  expect(troubleshootingFor({ success: false, ...failure })?.issue).toBe(issue);
});

test('no advice for a success', () => {
  expect(troubleshootingFor({ success: true, cause: null, httpStatus: 200 })).toBeNull();
});
