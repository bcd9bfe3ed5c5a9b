import { describe, expect, it } from 'vitest';
import {
  parseTimestamp,
  prettyTimestamp,
  strftime,
  strptime,
  timedeltaText,
  toIso,
  wallTime,
} from '../../../src/util/time.ts';

const t = (s: string) => Date.parse(s);

describe('timestamps', () => {
  it.each([
    ['2024-05-14T03:21:09.512Z', '2024-05-14T03:21:09.512Z'],
    ['2024-05-14T03:21:09Z', '2024-05-14T03:21:09.000Z'],
    ['2024-05-14 03:21:09', '2024-05-14T03:21:09.000Z'],
    ['2024-05-14T11:21:09+08:00', '2024-05-14T03:21:09.000Z'],
    ['2024-05-14T11:21:09+0800', '2024-05-14T03:21:09.000Z'],
    ['2024-05-14T03:21:09.123456Z', '2024-05-14T03:21:09.123Z'],
    ['2024-05-14', '2024-05-14T00:00:00.000Z'],
    ['2014-9-26T12:0:0Z', undefined],
  ])('parses %s', (input, want) => {
    const ms = parseTimestamp(input);
    if (want === undefined) expect(ms === undefined || !Number.isNaN(ms)).toBe(true);
    else expect(new Date(ms!).toISOString()).toBe(want);
  });

  it('formats like ElastAlert 2 dt_to_ts (Z, milliseconds only when present)', () => {
    expect(toIso(t('2014-09-26T12:00:00Z'))).toBe('2014-09-26T12:00:00Z');
    expect(toIso(t('2024-05-14T03:21:09.512Z'))).toBe('2024-05-14T03:21:09.512Z');
  });

  it('strftime: index patterns and week numbers (EA2 test_format_index)', () => {
    expect(strftime('logstash-%Y.%m.%d', t('2018-06-25T12:00:00Z'))).toBe('logstash-2018.06.25');
    expect(strftime('logstash-%Y.%W', t('2018-06-25T12:00:00Z'))).toBe('logstash-2018.26');
    expect(strftime('logstash-%Y.%W', t('2018-06-24T12:00:00Z'))).toBe('logstash-2018.25');
    expect(strftime('%j %a %b %y %H:%M:%S.%f %%', t('2024-02-05T07:08:09.010Z'))).toBe(
      '036 Mon Feb 24 07:08:09.010000 %',
    );
  });

  it('strftime in a time zone', () => {
    expect(strftime('%Y-%m-%d %H:%M %Z %z', t('2024-05-14T20:30:00Z'), 'Asia/Shanghai')).toBe(
      '2024-05-15 04:30 CST +0800',
    );
    expect(wallTime(t('2024-07-01T12:00:00Z'), 'Europe/Berlin').offsetMinutes).toBe(120);
    expect(prettyTimestamp(t('2024-05-14T03:21:09Z'))).toBe('2024-05-14 03:21 UTC');
  });

  it('strptime (EA2 test_ts_to_dt_with_format)', () => {
    expect(strptime('2021/02/01 12:30:00', '%Y/%m/%d %H:%M:%S')).toBe(t('2021-02-01T12:30:00Z'));
    expect(strptime('01/02/2021 12:30:00', '%d/%m/%Y %H:%M:%S')).toBe(t('2021-02-01T12:30:00Z'));
    expect(strptime('01/02/2021 12:30:00 +0900', '%d/%m/%Y %H:%M:%S %z')).toBe(t('2021-02-01T03:30:00Z'));
    expect(strptime('not a date', '%Y')).toBeUndefined();
  });

  it('timedelta text like Python', () => {
    expect(timedeltaText(600_000)).toBe('0:10:00');
    expect(timedeltaText(86_400_000 + 7_200_000)).toBe('1 day, 2:00:00');
    expect(timedeltaText(2 * 86_400_000 + 500)).toBe('2 days, 0:00:00.500000');
  });
});
