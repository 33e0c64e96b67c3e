/**
 * The one parser of ISO 8601 instants: a lead's meeting time and creation time, the range of a
 * replay or backfill, a history cursor. Everything that takes an instant applies the same rule,
 * so a value one of them accepts is never one another refuses (or mistakes for another time).
 *
 * Accepted: a calendar date, `T`, a time of day and an offset, each in the extended
 * (`2026-04-22T15:45:00-04:00`) or the basic form (`20260422T154500-0400`); seconds and fractions
 * of a second optional; `Z` for UTC. Refused, with a reason naming what is wrong:
 * - no offset: a local time is ambiguous (whose local time?), so it is not guessed;
 * - a year that is not 4 digits from 0001 to 9999: signed and expanded years (`-000001`,
 *   `+012345`) are not written the same way by any two libraries, and the year 0000 (1 BC) is
 *   refused by PostgreSQL's dates;
 * - a day the calendar does not have (`2026-02-30`), an hour beyond 23 (`24:00` is the next
 *   day's midnight, write that) or a leap second (a JavaScript date cannot hold one);
 * - an offset beyond ±14:00, the furthest any zone is from UTC (hours ≤ 14, minutes ≤ 59): a
 *   larger one is a typo, and `+99:00` would silently move the time by days;
 * - an instant that falls outside the years 0001 to 9999 once moved to UTC, so that its UTC form
 *   is again an instant this parser accepts.
 * Pure: no Node or luxon imports.
 */

/** Why a text is not an instant; the messages are predicates, read after the value or its name. */
export const INSTANT_PROBLEMS = {
  format:
    'must be an ISO 8601 date-time with an offset or Z (e.g. 2026-04-22T15:45:00-04:00 or 2026-04-22T19:45:00Z)',
  year: 'must have a 4-digit year from 0001 to 9999',
  time: 'is not a time of day: hours run from 00 to 23, minutes and seconds from 00 to 59',
  offset: 'must have an offset from -14:00 to +14:00 (or Z)',
  range: 'must fall within the years 0001 to 9999 once moved to UTC',
} as const;

/** The latest offset any zone uses, in minutes. */
const MAX_OFFSET_MINUTES = 14 * 60;

// Date `YYYY-MM-DD` or `YYYYMMDD`, time `HH:MM[:SS[.fraction]]` or `HHMM[SS[.fraction]]` (the
// back-references keep one form within the date and within the time), offset `Z`, `±HH:MM`,
// `±HHMM` or `±HH`.
const INSTANT =
  /^(\d{4})(-?)(\d{2})\2(\d{2})T(\d{2})(:?)(\d{2})(?:\6(\d{2})(?:[.,](\d{1,9}))?)?(Z|([+-])(\d{2})(?::?(\d{2}))?)$/i;

/** A date whose year is signed or longer than 4 digits (ISO 8601's expanded years). */
const EXPANDED_YEAR = /^(?:[+-]\d+|\d{5,})-\d/;

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Milliseconds since the epoch of a UTC date and time; years below 100 are taken as written. */
function utcMillis(year: number, month: number, day: number, ms: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime() + ms;
}

const EARLIEST = utcMillis(1, 1, 1, 0);
const LATEST = utcMillis(9999, 12, 31, 86_400_000 - 1);

/**
 * The instant `text` names, or a RangeError whose message says why it is not one (one of
 * INSTANT_PROBLEMS, or which day the calendar lacks). Fractions beyond milliseconds are dropped.
 */
export function parseInstant(text: string): Date {
  if (typeof text !== 'string') throw new RangeError(INSTANT_PROBLEMS.format);
  const match = INSTANT.exec(text);
  if (!match) {
    throw new RangeError(
      EXPANDED_YEAR.test(text) ? INSTANT_PROBLEMS.year : INSTANT_PROBLEMS.format,
    );
  }
  const [, y, , mo, d, h, , mi, s = '0', fraction = '', zone, sign, oh, om = '0'] = match;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  if (year < 1) throw new RangeError(INSTANT_PROBLEMS.year);
  if (month < 1 || month > 12) {
    throw new RangeError(`is not a calendar date: there is no month ${mo}`);
  }
  if (day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(
      `is not a calendar date: ${MONTH_NAMES[month - 1]} ${y} has ${daysInMonth(year, month)} days`,
    );
  }
  const [hours, minutes, seconds] = [Number(h), Number(mi), Number(s)];
  if (hours > 23 || minutes > 59 || seconds > 59) throw new RangeError(INSTANT_PROBLEMS.time);
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const [offsetHours, offsetRest] = [Number(oh), Number(om)];
    offsetMinutes = offsetHours * 60 + offsetRest;
    if (offsetHours > 14 || offsetRest > 59 || offsetMinutes > MAX_OFFSET_MINUTES) {
      throw new RangeError(`${INSTANT_PROBLEMS.offset}, not ${zone}`);
    }
    if (sign === '-') offsetMinutes = -offsetMinutes;
  }
  const millisOfDay =
    ((hours * 60 + minutes - offsetMinutes) * 60 + seconds) * 1000 +
    Number(fraction.slice(0, 3).padEnd(3, '0'));
  const instant = utcMillis(year, month, day, millisOfDay);
  if (instant < EARLIEST || instant > LATEST) throw new RangeError(INSTANT_PROBLEMS.range);
  return new Date(instant);
}

/**
 * An instant in UTC as the runner writes it: `2026-04-22T19:45:00+00:00` (seconds always, no
 * fraction). Every instant parseInstant returns has a 4-digit UTC year, so this is one it accepts.
 */
export function utcInstantText(instant: Date): string {
  return `${instant.toISOString().slice(0, 19)}+00:00`;
}

/** True when `text` is an instant parseInstant accepts. */
export function isInstant(text: string): boolean {
  try {
    parseInstant(text);
    return true;
  } catch {
    return false;
  }
}
