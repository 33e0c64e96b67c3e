/**
 * Text PostgreSQL will store. A text column refuses NUL (U+0000); jsonb refuses NUL and lone
 * UTF-16 surrogates (half of a pair, which has no UTF-8 form); both refuse bytes that are not
 * UTF-8. A receiver's answer, a seller's setting or a lead can carry any of them. They are
 * replaced by U+FFFD, the standard replacement character, so that a replacement stays visible,
 * and counted, so that whoever stores the text can say what was replaced.
 */
import { isUtf8 } from 'node:buffer';

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** What storableText replaced, added up over the texts it was given. */
export interface Replacements {
  nul: number;
  loneSurrogates: number;
}

/**
 * Any surrogate: only a text holding one (or a NUL) needs a closer look. Two checks rather than
 * one character class with NUL in it: on the common text, which holds neither, the two are
 * cheaper together than that one class.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

/** A NUL, a high surrogate not followed by a low one, or a low one not after a high one. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` with every NUL and lone surrogate replaced by U+FFFD, counted into `replaced` when given.
 * A text with nothing to replace (the common case) is returned as it is, not copied.
 */
export function storableText(text: string, replaced?: Replacements): string {
  if (!text.includes('\u0000') && !SURROGATE.test(text)) return text;
  let nul = 0;
  let loneSurrogates = 0;
  const result = text.replace(UNSTORABLE, (match) => {
    if (match === '\u0000') nul += 1;
    else loneSurrogates += 1;
    return REPLACEMENT_CHARACTER;
  });
  if (nul === 0 && loneSurrogates === 0) return text;
  if (replaced) {
    replaced.nul += nul;
    replaced.loneSurrogates += loneSurrogates;
  }
  return result;
}

export interface DecodedText {
  text: string;
  /** Some bytes were not UTF-8: each such sequence is a U+FFFD in `text`. */
  invalidUtf8: boolean;
}

/**
 * How many bytes at the end of `bytes` are the start of a multi-byte character whose other bytes
 * are missing (0 when the last character is whole). Only a lead byte that can begin a valid
 * sequence counts: anything else is invalid wherever the bytes were cut.
 */
function cutCharacterLength(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    if (byte < 0xc2 || byte > 0xf4) return 0; // ASCII, or no lead byte of UTF-8
    const length = byte <= 0xdf ? 2 : byte <= 0xef ? 3 : 4;
    return length > back ? back : 0;
  }
  return 0;
}

/**
 * Decodes bytes that should be UTF-8, saying whether they were. `cut`: the bytes are the start of
 * something longer (a response excerpt), so a character cut off at the end is left out rather
 * than reported; otherwise an unfinished character at the end is invalid too.
 */
export function decodeUtf8(bytes: Buffer, options: { cut: boolean }): DecodedText {
  const end = options.cut ? bytes.length - cutCharacterLength(bytes) : bytes.length;
  const whole = end === bytes.length ? bytes : bytes.subarray(0, end);
  // Buffer's decoder replaces each invalid sequence with U+FFFD (as TextDecoder does).
  return { text: whole.toString('utf8'), invalidUtf8: !isUtf8(whole) };
}
