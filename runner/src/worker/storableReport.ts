/**
 * An attempt's report as PostgreSQL will store it: every text in it that came from a receiver, a
 * seller or a lead (the response excerpt, the error, the request headers, the payload and its
 * content type) with NUL characters and lone surrogates replaced by U+FFFD (core/storableText.ts),
 * and a notice saying what was replaced, for the history. A response whose bytes were not UTF-8
 * already shows U+FFFD for them (core decodes it); the notice says so too.
 */
import { storableText, type Replacements } from '../../../core/storableText.js';
import { defineOwn } from '../../../core/values.js';
import type { AttemptReport } from './dispatcher.js';

export interface StorableReport {
  /** The report itself when nothing needed replacing. */
  report: AttemptReport;
  /** What was replaced, in words for the history; null when the report is stored as it was. */
  notice: string | null;
}

interface Part {
  label: string;
  replaced: Replacements;
  invalidUtf8: boolean;
}

function part(label: string): Part {
  return { label, replaced: { nul: 0, loneSurrogates: 0 }, invalidUtf8: false };
}

function storableOrNull(text: string | null, into: Part): string | null {
  return text === null ? null : storableText(text, into.replaced);
}

/** The headers themselves when nothing in them needed replacing (no copy on the common path). */
function storableHeaders(headers: Record<string, string>, into: Part): Record<string, string> {
  let result: Record<string, string> | null = null;
  const names = Object.keys(headers);
  for (let index = 0; index < names.length; index++) {
    const name = names[index];
    const value = headers[name];
    const storableName = storableText(name, into.replaced);
    const storableValue = storableText(value, into.replaced);
    if (result === null && (storableName !== name || storableValue !== value)) {
      result = {};
      for (const earlier of names.slice(0, index)) defineOwn(result, earlier, headers[earlier]);
    }
    if (result !== null) defineOwn(result, storableName, storableValue);
  }
  return result ?? headers;
}

function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function listed(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * "The response held 2 NUL characters and invalid UTF-8 bytes; they are shown as U+FFFD.", with
 * a clause for each part that had something replaced; null when none had.
 */
export function replacementNotice(parts: readonly Part[]): string | null {
  const clauses: string[] = [];
  let replacements = 0;
  for (const { label, replaced, invalidUtf8 } of parts) {
    if (replaced.nul === 0 && replaced.loneSurrogates === 0 && !invalidUtf8) continue;
    const things: string[] = [];
    if (replaced.nul > 0) things.push(counted(replaced.nul, 'NUL character'));
    if (replaced.loneSurrogates > 0)
      things.push(counted(replaced.loneSurrogates, 'lone surrogate'));
    if (invalidUtf8) things.push('invalid UTF-8 bytes');
    replacements += replaced.nul + replaced.loneSurrogates + (invalidUtf8 ? 2 : 0);
    clauses.push(`${label} held ${listed(things)}`);
  }
  if (clauses.length === 0) return null;
  const sentence = `${clauses.join('; ')}; ${replacements === 1 ? 'it is' : 'they are'} shown as U+FFFD.`;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** The report with every text made storable, and the notice saying what that replaced. */
export function storableReport(report: AttemptReport): StorableReport {
  const response = part('the response');
  response.invalidUtf8 = report.responseInvalidUtf8;
  const error = part('the error message');
  const headers = part('the request headers');
  const payload = part('the payload');
  const responseExcerpt = storableOrNull(report.responseExcerpt, response);
  const errorText = storableOrNull(report.error, error);
  const requestHeaders = storableHeaders(report.requestHeaders, headers);
  const payloadText = storableOrNull(report.payload, payload);
  const contentType = storableOrNull(report.contentType, payload);
  const notice = replacementNotice([response, error, headers, payload]);
  const unchanged =
    responseExcerpt === report.responseExcerpt &&
    errorText === report.error &&
    requestHeaders === report.requestHeaders &&
    payloadText === report.payload &&
    contentType === report.contentType;
  if (unchanged) return { report, notice };
  return {
    report: {
      ...report,
      responseExcerpt,
      error: errorText,
      requestHeaders,
      payload: payloadText,
      contentType,
    },
    notice,
  };
}
