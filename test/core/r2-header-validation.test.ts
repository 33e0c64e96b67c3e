/** R2: custom headers are HTTP tokens with safe values; delivery-owned names are refused. */
import { validateHeaders } from '../../core/mapping.js';

describe('R2 header validation', () => {
  test('ordinary authentication headers pass', () => {
    expect(
      validateHeaders([
        { name: 'Authorization', value: 'Bearer abc.def' },
        { name: 'X-Api-Key', value: 'k\tv ü' },
        { name: 'x-empty', value: '' },
      ]),
    ).toEqual([]);
  });

  test.each(['X Api', 'X:Api', 'Ünï', '', 'a\r\nb', '(x)'])(
    'refuses the non-token name %p',
    (name) => {
      expect(validateHeaders([{ name, value: 'v' }])).toEqual([
        {
          path: 'headers[0].name',
          message: expect.stringMatching(/not a valid HTTP token|must not be empty/),
        },
      ]);
    },
  );

  test.each([
    'Host',
    'content-length',
    'Transfer-Encoding',
    'CONNECTION',
    'Content-Type',
    'User-Agent',
    'webhook-id',
    'Webhook-Timestamp',
    'webhook-signature',
    'Expect',
    'Upgrade',
  ])('refuses the reserved name %p in any case', (name) => {
    expect(
      validateHeaders([
        { name: 'X-Ok', value: '1' },
        { name, value: 'v' },
      ]),
    ).toEqual([{ path: 'headers[1].name', message: expect.stringContaining('cannot be set') }]);
  });

  test.each(['a\rb', 'a\nb', 'a\r\nX-Injected: 1', 'nul\u0000'])(
    'refuses CR/LF/NUL in value %p',
    (value) => {
      expect(validateHeaders([{ name: 'X-Key', value }])).toEqual([
        {
          path: 'headers[0].value',
          message: 'header value must not contain CR, LF or NUL characters',
        },
      ]);
    },
  );

  test('refuses characters Node cannot send (beyond Latin-1, other controls)', () => {
    expect(
      validateHeaders([
        { name: 'X-A', value: 'emoji 😀' },
        { name: 'X-B', value: 'bell\u0007' },
      ]),
    ).toEqual([
      { path: 'headers[0].value', message: expect.stringContaining('visible ASCII or Latin-1') },
      { path: 'headers[1].value', message: expect.stringContaining('visible ASCII or Latin-1') },
    ]);
  });

  test('duplicate names, case-insensitive, naming both paths', () => {
    expect(
      validateHeaders([
        { name: 'X-Key', value: '1' },
        { name: 'Other', value: '2' },
        { name: 'x-key', value: '3' },
      ]),
    ).toEqual([
      {
        path: 'headers[2].name',
        message: 'header "x-key" is given twice: headers[0].name and headers[2].name',
      },
    ]);
  });
});
