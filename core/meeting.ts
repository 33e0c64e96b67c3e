/**
 * Meeting times (spec R4): stored and sent as ISO 8601 UTC with `+00:00`, and shown to the seller
 * in the lead's own time zone, e.g. `Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time`.
 */
import { IANAZone } from 'luxon';
import { BoundedCache } from './boundedCache.js';
import { parseInstant, utcInstantText } from './instant.js';
import type { LeadRecord } from './types.js';

/** Used when the lead has no zone (or an unknown one): renders as "Coordinated Universal Time". */
const UTC_ZONE = 'Etc/UTC';

// Fixed so the text does not change with the host's locale settings.
const LOCALE = 'en-US';

// An IANA name starts with a letter (`Europe/Berlin`, `UTC`, `Etc/GMT+5`); the platform would
// also take raw offsets such as `+02:00`, which are not zones and have no display name.
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

/**
 * Parses an ISO 8601 instant that carries an offset or `Z` (core/instant.ts: the rule every
 * instant follows) and writes it in UTC as `2026-04-22T19:45:00+00:00`: seconds always present,
 * fractions of a second dropped (truncated). Throws a RangeError naming the field and saying what
 * is wrong for anything else, including a local time without an offset.
 */
export function normalizeMeetingTime(input: string): string {
  return utcInstantText(parseMeetingTime(input));
}

function parseMeetingTime(input: string): Date {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new RangeError('requestedMeetingTime must be an ISO 8601 date-time string');
  }
  const text = input.trim();
  try {
    return parseInstant(text);
  } catch (err) {
    throw new RangeError(`requestedMeetingTime "${text}" ${(err as Error).message}`);
  }
}

/** True for a zone name the platform's time zone database knows (IANA names such as `Europe/Berlin`). */
// luxon checks a zone by building an Intl.DateTimeFormat, which costs more than formatting the
// date itself; leads name few distinct zones, so the answers are kept (bounded).
const zoneValidity = new BoundedCache<string, boolean>(1000);

export function isValidTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || !ZONE_NAME.test(zone)) return false;
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    zoneValidity.set(zone, valid);
  }
  return valid;
}

/**
 * One formatter per zone, which gives every part of the display text. Building an
 * Intl.DateTimeFormat costs many times more than formatting with one, and luxon builds one for the
 * zone's long name on every call; leads name few distinct zones, so the formatters are kept
 * (bounded).
 */
const displayFormatters = new BoundedCache<string, Intl.DateTimeFormat>(1000);

function displayFormatter(zone: string): Intl.DateTimeFormat {
  let formatter = displayFormatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(LOCALE, {
      timeZone: zone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      year: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      hourCycle: 'h12',
      timeZoneName: 'long',
    });
    displayFormatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The display string of a UTC instant in the lead's zone, as `Wednesday, April 22, 2026 at
 * 3:45 PM Eastern Daylight Time`. A missing, empty or unknown zone falls back to UTC instead of
 * throwing: zones are validated when a lead is taken in (isValidTimeZone), and a delivery should
 * not fail over the display text of one field.
 */
export function formatMeetingTime(isoUtc: string, timeZone?: string | null): string {
  const instant = parseMeetingTime(isoUtc);
  const zone = isValidTimeZone(timeZone) ? timeZone : UTC_ZONE;
  const part: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const { type, value } of displayFormatter(zone).formatToParts(instant)) part[type] = value;
  const year = (part.year ?? '').padStart(4, '0');
  return (
    `${part.weekday}, ${part.month} ${part.day}, ${year} at ` +
    `${part.hour}:${part.minute} ${part.dayPeriod} ${part.timeZoneName}`
  );
}

/**
 * A copy of the lead with `requestedMeetingTime` normalised to UTC and
 * `formattedRequestedMeetingTime` computed from it; both null when there is no meeting time.
 * Throws a RangeError when the meeting time is present but not a valid instant.
 */
export function withMeetingFields(lead: LeadRecord): LeadRecord {
  // Spread copies own properties as data properties, so an own `__proto__` key stays a key.
  const copy: LeadRecord = { ...lead };
  const raw = Object.hasOwn(lead, 'requestedMeetingTime') ? lead.requestedMeetingTime : null;
  if (raw === undefined || raw === null || raw === '') {
    copy.requestedMeetingTime = null;
    copy.formattedRequestedMeetingTime = null;
    return copy;
  }
  const timeZone = Object.hasOwn(lead, 'timeZone') ? lead.timeZone : null;
  const normalized = normalizeMeetingTime(raw);
  copy.requestedMeetingTime = normalized;
  copy.formattedRequestedMeetingTime = formatMeetingTime(normalized, timeZone);
  return copy;
}
