/** R4: meeting times in UTC with +00:00, and displayed in the lead's own zone (DST-aware). */
import { DateTime, IANAZone } from 'luxon';

import {
  formatMeetingTime,
  isValidTimeZone,
  normalizeMeetingTime,
  withMeetingFields,
} from '../../core/meeting.js';

describe('R4 normalizeMeetingTime', () => {
  test.each([
    ['2026-04-22T15:45:00-04:00', '2026-04-22T19:45:00+00:00'],
    ['2026-04-22T19:45:00Z', '2026-04-22T19:45:00+00:00'],
    ['2026-04-22T19:45Z', '2026-04-22T19:45:00+00:00'],
    ['2026-04-22T21:45:00.987+02:00', '2026-04-22T19:45:00+00:00'],
    ['2026-04-23T01:15:00+05:30', '2026-04-22T19:45:00+00:00'],
    ['20260422T194500Z', '2026-04-22T19:45:00+00:00'],
    ['2026-04-22T19:45:00+00:00', '2026-04-22T19:45:00+00:00'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeMeetingTime(input)).toBe(expected);
  });

  test.each([
    '2026-04-22T19:45:00',
    '2026-04-22',
    'next Tuesday',
    '',
    '2026-02-30T10:00:00Z',
    '2026-04-22T25:00:00Z',
    'Wed, 22 Apr 2026 19:45:00 GMT',
    '-000001-04-22T19:45:00Z',
    '+012345-04-22T19:45:00Z',
    '0000-04-22T19:45:00Z',
    '2026-04-22T19:45:00+99:00',
    '9999-12-31T23:59:59-12:00',
  ])('refuses %p with a RangeError', (input) => {
    expect(() => normalizeMeetingTime(input)).toThrow(RangeError);
  });

  test('the message names the field, the value and what is wrong with it', () => {
    expect(() => normalizeMeetingTime('2026-04-22T19:45:00+99:00')).toThrow(
      'requestedMeetingTime "2026-04-22T19:45:00+99:00" must have an offset from -14:00 to +14:00 (or Z), not +99:00',
    );
    expect(() => normalizeMeetingTime('-000001-04-22T19:45:00Z')).toThrow(
      'requestedMeetingTime "-000001-04-22T19:45:00Z" must have a 4-digit year from 0001 to 9999',
    );
  });

  test('the furthest offsets (+14:00, -12:00) are kept as the same instant', () => {
    expect(normalizeMeetingTime('2026-04-23T09:45:00+14:00')).toBe('2026-04-22T19:45:00+00:00');
    expect(normalizeMeetingTime('2026-04-22T07:45:00-12:00')).toBe('2026-04-22T19:45:00+00:00');
  });

  test('the message of a local time says an offset is needed', () => {
    expect(() => normalizeMeetingTime('2026-04-22T19:45:00')).toThrow(/with an offset or Z/);
  });
});

describe('R4 formatMeetingTime in the lead zone', () => {
  test.each([
    // America/New_York: DST starts 2026-03-08 07:00 UTC, ends 2026-11-01 06:00 UTC
    [
      '2026-04-22T19:45:00+00:00',
      'America/New_York',
      'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
    ],
    [
      '2026-03-08T06:59:00+00:00',
      'America/New_York',
      'Sunday, March 8, 2026 at 1:59 AM Eastern Standard Time',
    ],
    [
      '2026-03-08T07:00:00+00:00',
      'America/New_York',
      'Sunday, March 8, 2026 at 3:00 AM Eastern Daylight Time',
    ],
    [
      '2026-11-01T05:30:00+00:00',
      'America/New_York',
      'Sunday, November 1, 2026 at 1:30 AM Eastern Daylight Time',
    ],
    [
      '2026-11-01T06:30:00+00:00',
      'America/New_York',
      'Sunday, November 1, 2026 at 1:30 AM Eastern Standard Time',
    ],
    [
      '2026-01-15T12:00:00+00:00',
      'America/New_York',
      'Thursday, January 15, 2026 at 7:00 AM Eastern Standard Time',
    ],
    // Europe/Berlin: DST 2026-03-29 01:00 UTC
    [
      '2026-03-29T00:59:00+00:00',
      'Europe/Berlin',
      'Sunday, March 29, 2026 at 1:59 AM Central European Standard Time',
    ],
    [
      '2026-03-29T01:00:00+00:00',
      'Europe/Berlin',
      'Sunday, March 29, 2026 at 3:00 AM Central European Summer Time',
    ],
    // Australia/Sydney: DST ends 2026-04-05 (03:00 AEDT → 02:00 AEST), the date crosses midnight
    [
      '2026-04-04T15:59:00+00:00',
      'Australia/Sydney',
      'Sunday, April 5, 2026 at 2:59 AM Australian Eastern Daylight Time',
    ],
    [
      '2026-04-04T16:00:00+00:00',
      'Australia/Sydney',
      'Sunday, April 5, 2026 at 2:00 AM Australian Eastern Standard Time',
    ],
    // Asia/Kolkata: half-hour offset, no DST
    [
      '2026-04-22T19:45:00+00:00',
      'Asia/Kolkata',
      'Thursday, April 23, 2026 at 1:15 AM India Standard Time',
    ],
  ])('%s in %s', (iso, zone, expected) => {
    expect(formatMeetingTime(iso, zone)).toBe(expected);
  });

  test.each([undefined, null, '', 'UTC', 'Etc/UTC', 'Mars/Olympus_Mons', '+02:00'])(
    'zone %p falls back to (or is) UTC: Coordinated Universal Time',
    (zone) => {
      expect(formatMeetingTime('2026-04-22T19:45:00+00:00', zone)).toBe(
        'Wednesday, April 22, 2026 at 7:45 PM Coordinated Universal Time',
      );
    },
  );
});

describe('R4 formatMeetingTime against luxon', () => {
  // The display text was luxon's `cccc, LLLL d, yyyy 'at' h:mm a ZZZZZ` in en-US; it is now built
  // from one cached Intl formatter per zone and must read the same, hour for hour across years
  // of DST changes, in zones with odd offsets and with the fallback zone.
  const zones = [
    'America/New_York',
    'America/St_Johns',
    'America/Los_Angeles',
    'America/Sao_Paulo',
    'Europe/Berlin',
    'Europe/London',
    'Europe/Dublin',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Asia/Tokyo',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'Pacific/Kiritimati',
    'Etc/GMT+5',
    'UTC',
    'Etc/UTC',
    'Mars/Olympus_Mons',
    null,
  ];
  const byLuxon = (iso: string, zone: string | null) =>
    DateTime.fromISO(iso)
      .setZone(IANAZone.create(zone && IANAZone.isValidZone(zone) ? zone : 'Etc/UTC'))
      .reconfigure({ locale: 'en-US', numberingSystem: 'latn', outputCalendar: 'gregory' })
      .toFormat("cccc, LLLL d, yyyy 'at' h:mm a ZZZZZ");

  // Every 53 h 11 min over two years (each hour of the day, each weekday), and every hour
  // on the days around the DST changes of the zones above.
  const instants: number[] = [];
  for (let at = Date.UTC(2026, 0, 1); at < Date.UTC(2028, 0, 1); at += (53 * 60 + 11) * 60_000)
    instants.push(at);
  for (const day of [
    '2026-03-08',
    '2026-03-29',
    '2026-04-05',
    '2026-09-27',
    '2026-10-25',
    '2026-11-01',
  ]) {
    const start = Date.parse(`${day}T00:00:00Z`) - 24 * 3_600_000;
    for (let step = 0; step < 48; step++) instants.push(start + step * 3_600_000);
  }

  test.each(zones)('%p', (zone) => {
    const mismatches: string[] = [];
    for (const at of instants) {
      const iso = new Date(at).toISOString().replace('.000Z', '+00:00');
      const ours = formatMeetingTime(iso, zone);
      const theirs = byLuxon(iso, zone);
      if (ours !== theirs) mismatches.push(`${iso}: ${ours} ≠ ${theirs}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

describe('R4 isValidTimeZone', () => {
  test.each(['America/New_York', 'Europe/Berlin', 'UTC', 'Asia/Kolkata', 'Etc/GMT+5'])(
    'accepts %p',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(true);
    },
  );
  test.each(['', 'Mars/Olympus_Mons', '+02:00', 'America/New York', null, 42])(
    'refuses %p',
    (zone) => {
      expect(isValidTimeZone(zone)).toBe(false);
    },
  );
});

describe('R4 withMeetingFields', () => {
  test('normalises the time and formats it in the lead zone, without touching the input', () => {
    const lead = {
      firstName: 'Jane',
      timeZone: 'America/New_York',
      requestedMeetingTime: '2026-04-22T15:45:00-04:00',
    };
    const copy = withMeetingFields(lead);
    expect(copy).toEqual({
      firstName: 'Jane',
      timeZone: 'America/New_York',
      requestedMeetingTime: '2026-04-22T19:45:00+00:00',
      formattedRequestedMeetingTime: 'Wednesday, April 22, 2026 at 3:45 PM Eastern Daylight Time',
    });
    expect(lead.requestedMeetingTime).toBe('2026-04-22T15:45:00-04:00');
  });

  test('without a zone the display is in UTC', () => {
    const copy = withMeetingFields({ requestedMeetingTime: '2026-04-22T19:45:00Z' });
    expect(copy.formattedRequestedMeetingTime).toBe(
      'Wednesday, April 22, 2026 at 7:45 PM Coordinated Universal Time',
    );
  });

  test.each([undefined, null, ''])(
    'no meeting time (%p): both fields null, a stale formatted text is cleared',
    (value) => {
      const copy = withMeetingFields({
        requestedMeetingTime: value,
        formattedRequestedMeetingTime: 'stale',
      });
      expect(copy.requestedMeetingTime).toBeNull();
      expect(copy.formattedRequestedMeetingTime).toBeNull();
    },
  );

  test('an invalid meeting time is refused', () => {
    expect(() => withMeetingFields({ requestedMeetingTime: 'tomorrow' })).toThrow(RangeError);
  });

  test('an own __proto__ key is copied as data, not as a prototype', () => {
    const lead = JSON.parse('{"__proto__":{"x":"1"},"firstName":"Jane"}');
    const copy = withMeetingFields(lead);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
  });
});
