/**
 * storableText: NUL characters and lone surrogates (what PostgreSQL refuses in text and jsonb)
 * become U+FFFD and are counted; everything else is kept. decodeUtf8: bytes that are not UTF-8
 * become U+FFFD and are reported; a character cut off at the end of an excerpt is not.
 */
import { decodeUtf8, storableText, type Replacements } from '../../core/storableText';

const none = (): Replacements => ({ nul: 0, loneSurrogates: 0 });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

afterEach(() => jest.restoreAllMocks());

describe('storableText', () => {
  test('plain ASCII comes back as it is, without being scanned for replacements', () => {
    const replace = jest.spyOn(String.prototype, 'replace');
    const replaced = none();
    const text = '{"ok":true,"id":"lead_123"}\r\n\ttab';
    expect(storableText(text, replaced)).toBe(text);
    expect(replace).not.toHaveBeenCalled();
    expect(replaced).toEqual(none());
  });

  test('the empty string stays empty', () => {
    const replaced = none();
    expect(storableText('', replaced)).toBe('');
    expect(replaced).toEqual(none());
  });

  test('NUL characters become U+FFFD and are counted', () => {
    const replaced = none();
    expect(storableText('\u0000a\u0000\u0000b', replaced)).toBe('\uFFFDa\uFFFD\uFFFDb');
    expect(replaced).toEqual({ nul: 3, loneSurrogates: 0 });
  });

  test('lone high and low surrogates become U+FFFD, wherever they are', () => {
    const cases: Array<[string, string]> = [
      ['a\uD800b', 'a\uFFFDb'], // high, followed by no low one
      ['a\uDBFF', 'a\uFFFD'], // high at the end
      ['\uDC00a', '\uFFFDa'], // low at the start
      ['a\uDFFFb', 'a\uFFFDb'], // low after no high one
      ['\uDE00\uD83D', '\uFFFD\uFFFD'], // a pair in the wrong order
    ];
    for (const [input, expected] of cases) {
      const replaced = none();
      expect(storableText(input, replaced)).toBe(expected);
      expect(replaced.loneSurrogates).toBe(
        expected.length - expected.replace(/\uFFFD/g, '').length,
      );
      expect(replaced.nul).toBe(0);
    }
  });

  test('valid surrogate pairs (emoji) survive, also next to a lone surrogate', () => {
    const emoji = 'Thanks 😀👍🏽 — 𝄞';
    const replaced = none();
    expect(storableText(emoji, replaced)).toBe(emoji);
    expect(replaced).toEqual(none());

    expect(storableText('\uD800😀\uDC00', replaced)).toBe('\uFFFD😀\uFFFD');
    expect(replaced).toEqual({ nul: 0, loneSurrogates: 2 });
  });

  test('counts add up over calls, and the result is always well formed', () => {
    const replaced = none();
    const texts = ['ok', 'a\u0000', '\uD83Dx', 'ü\u0000\uDC00'];
    const results = texts.map((text) => storableText(text, replaced));
    expect(results).toEqual(['ok', 'a\uFFFD', '\uFFFDx', 'ü\uFFFD\uFFFD']);
    expect(replaced).toEqual({ nul: 2, loneSurrogates: 2 });
    for (const result of results) {
      expect(result).not.toContain('\u0000');
      expect(result).not.toMatch(LONE_SURROGATE);
    }
  });

  test('without a tally it only replaces', () => {
    expect(storableText('a\u0000\uD800')).toBe('a\uFFFD\uFFFD');
  });
});

describe('decodeUtf8', () => {
  test('UTF-8 is decoded as it is (NUL included: storableText deals with that)', () => {
    const text = 'héllo 😀 \u0000 日本';
    expect(decodeUtf8(Buffer.from(text), { cut: false })).toEqual({ text, invalidUtf8: false });
    expect(decodeUtf8(Buffer.alloc(0), { cut: false })).toEqual({ text: '', invalidUtf8: false });
  });

  test('bytes that are not UTF-8 (0xff 0xfe) become U+FFFD and are reported', () => {
    expect(decodeUtf8(Buffer.from([0x61, 0xff, 0xfe, 0x62]), { cut: true })).toEqual({
      text: 'a\uFFFD\uFFFDb',
      invalidUtf8: true,
    });
  });

  test('a UTF-8-encoded surrogate (ED A0 80) is invalid: U+FFFD, never a lone surrogate', () => {
    const { text, invalidUtf8 } = decodeUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80, 0x62]), {
      cut: false,
    });
    expect(invalidUtf8).toBe(true);
    expect(text).toMatch(/^a\uFFFD+b$/);
    expect(text).not.toMatch(LONE_SURROGATE);
  });

  test('a character cut off at the end of an excerpt is left out, not reported', () => {
    const bytes = Buffer.from('ab😀');
    for (const cutAt of [3, 4, 5]) {
      expect(decodeUtf8(bytes.subarray(0, cutAt), { cut: true })).toEqual({
        text: 'ab',
        invalidUtf8: false,
      });
    }
    expect(decodeUtf8(bytes, { cut: true })).toEqual({ text: 'ab😀', invalidUtf8: false });
  });

  test('an unfinished character at the end of a whole body is invalid', () => {
    expect(decodeUtf8(Buffer.from('ab😀').subarray(0, 4), { cut: false })).toEqual({
      text: 'ab\uFFFD',
      invalidUtf8: true,
    });
  });

  test('bytes at the end that start no UTF-8 character are reported even in an excerpt', () => {
    for (const last of [0xff, 0xc0, 0xf8, 0x80]) {
      const { text, invalidUtf8 } = decodeUtf8(Buffer.from([0x61, last]), { cut: true });
      expect({ last, invalidUtf8 }).toEqual({ last, invalidUtf8: true });
      expect(text).toBe('a\uFFFD');
    }
  });
});
