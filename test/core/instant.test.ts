/** The one rule for ISO 8601 instants (core/instant.ts), which every route and the nodes apply. */
import { INSTANT_PROBLEMS, isInstant, parseInstant, utcInstantText } from '../../core/instant.js';

describe('parseInstant accepts', () => {
  test.each([
    ['2026-04-22T19:45:00Z', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22t19:45:00z', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22T15:45:00-04:00', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22T19:45Z', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22T21:45:00.987654+02:00', '2026-04-22T19:45:00.987Z'],
    ['2026-04-22T21:45:00,5+02', '2026-04-22T19:45:00.500Z'],
    ['20260422T194500Z', '2026-04-22T19:45:00.000Z'],
    ['20260423T011500+0530', '2026-04-22T19:45:00.000Z'],
    ['2026-04-23T09:45:00+14:00', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22T07:45:00-12:00', '2026-04-22T19:45:00.000Z'],
    ['2026-04-22T05:45:00-14:00', '2026-04-22T19:45:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('%s → %s', (text, iso) => {
    expect(parseInstant(text).toISOString()).toBe(iso);
    expect(isInstant(text)).toBe(true);
  });
});

describe('parseInstant refuses, saying why', () => {
  const offset = (zone: string) => `${INSTANT_PROBLEMS.offset}, not ${zone}`;
  test.each([
    ['2026-04-22T19:45:00', INSTANT_PROBLEMS.format],
    ['2026-04-22', INSTANT_PROBLEMS.format],
    ['', INSTANT_PROBLEMS.format],
    [' 2026-04-22T19:45:00Z', INSTANT_PROBLEMS.format],
    ['2026-04-22 19:45:00Z', INSTANT_PROBLEMS.format],
    ['2026-0422T19:45:00Z', INSTANT_PROBLEMS.format],
    ['2026-04-22T1945:00Z', INSTANT_PROBLEMS.format],
    ['2026-W17-3T19:45:00Z', INSTANT_PROBLEMS.format],
    ['2026-112T19:45:00Z', INSTANT_PROBLEMS.format],
    ['2026-04-22T19:45:00.1234567890Z', INSTANT_PROBLEMS.format],
    ['Wed, 22 Apr 2026 19:45:00 GMT', INSTANT_PROBLEMS.format],
    ['-000001-04-22T19:45:00Z', INSTANT_PROBLEMS.year],
    ['+012345-04-22T19:45:00Z', INSTANT_PROBLEMS.year],
    ['+2026-04-22T19:45:00Z', INSTANT_PROBLEMS.year],
    ['12026-04-22T19:45:00Z', INSTANT_PROBLEMS.year],
    ['20260422', INSTANT_PROBLEMS.format],
    ['0000-01-01T00:00:00Z', INSTANT_PROBLEMS.year],
    ['2026-00-10T00:00:00Z', 'is not a calendar date: there is no month 00'],
    ['2026-13-10T00:00:00Z', 'is not a calendar date: there is no month 13'],
    ['2026-02-29T00:00:00Z', 'is not a calendar date: February 2026 has 28 days'],
    ['1900-02-29T00:00:00Z', 'is not a calendar date: February 1900 has 28 days'],
    ['2026-04-31T00:00:00Z', 'is not a calendar date: April 2026 has 30 days'],
    ['2026-04-00T00:00:00Z', 'is not a calendar date: April 2026 has 30 days'],
    ['2026-04-22T24:00:00Z', INSTANT_PROBLEMS.time],
    ['2026-04-22T19:60:00Z', INSTANT_PROBLEMS.time],
    ['2016-12-31T23:59:60Z', INSTANT_PROBLEMS.time],
    ['2026-04-22T19:45:00+25:00', offset('+25:00')],
    ['2026-04-22T19:45:00+99:00', offset('+99:00')],
    ['2026-04-22T19:45:00+14:01', offset('+14:01')],
    ['2026-04-22T19:45:00-1401', offset('-1401')],
    ['2026-04-22T19:45:00+05:60', offset('+05:60')],
    ['2026-04-22T19:45:00+15', offset('+15')],
    ['9999-12-31T23:59:59-00:01', INSTANT_PROBLEMS.range],
    ['0001-01-01T00:00:00+00:01', INSTANT_PROBLEMS.range],
  ])('%p: %s', (text, problem) => {
    expect(() => parseInstant(text)).toThrow(new RangeError(problem));
    expect(isInstant(text)).toBe(false);
  });
});

describe('utcInstantText', () => {
  test('writes UTC with +00:00, seconds always, no fraction; the result parses to the same second', () => {
    for (const text of [
      '2026-04-22T15:45:12.9-04:00',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
    ]) {
      const written = utcInstantText(parseInstant(text));
      expect(written).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/);
      expect(Math.floor(parseInstant(written).getTime() / 1000)).toBe(
        Math.floor(parseInstant(text).getTime() / 1000),
      );
    }
    expect(utcInstantText(parseInstant('2026-04-22T15:45:12.9-04:00'))).toBe(
      '2026-04-22T19:45:12+00:00',
    );
  });
});
