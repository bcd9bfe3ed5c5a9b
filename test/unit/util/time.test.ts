import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { DEFAULT_DATE_FORMATS, parseDocumentDate } from '../../../src/query/memory/dates.ts';
import { toRuleHits, type UnreadableTimestamp } from '../../../src/query/hits-reader.ts';
import { timestampCodec } from '../../../src/query/timestamps.ts';
import {
  parseDocumentTimestamp,
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

describe('document timestamps as Elasticsearch reads a date field (strict_date_optional_time||epoch_millis)', () => {
  it.each([
    [1715656869512, t('2024-05-14T03:21:09.512Z')],
    ['1715656869512', t('2024-05-14T03:21:09.512Z')],
    [1715656869512.7, t('2024-05-14T03:21:09.512Z')],
    [0, 0],
    [-1000, -1000],
    ['2024', t('2024-01-01T00:00:00Z')],
    ['20240514', 20240514],
    ['2024-05-14T03:21:09Z', t('2024-05-14T03:21:09Z')],
    ['2024-05-14', t('2024-05-14T00:00:00Z')],
    ['yesterday', undefined],
    [Number.NaN, undefined],
    [true, undefined],
    [null, undefined],
  ])('%j', (value, expected) => {
    expect(parseDocumentTimestamp(value)).toBe(expected);
  });

  it('reads numbers and digit texts as the in-memory backend (checked against Elasticsearch) does', () => {
    for (const v of [1715656869512, '1715656869512', 42, '-5', '2024', '19700101', 1.5e12])
      expect(parseDocumentTimestamp(v), String(v)).toBe(parseDocumentDate(v, DEFAULT_DATE_FORMATS));
  });

  it('the default timestamp_type reads epoch milliseconds; epoch seconds need timestamp_type: unix', () => {
    expect(timestampCodec('iso').read(1715656869512)).toBe(t('2024-05-14T03:21:09.512Z'));
    expect(timestampCodec('unix').read(1715656869)).toBe(t('2024-05-14T03:21:09Z'));
    expect(timestampCodec('unix').read('1715656869')).toBe(t('2024-05-14T03:21:09Z'));
  });
});

describe('hits with an unreadable timestamp', () => {
  const hits = [
    { _id: 'a', _index: 'i', _source: { '@timestamp': '2024-05-14T03:21:09Z' } },
    { _id: 'b', _index: 'i', _source: { '@timestamp': 'not a time' } },
    { _id: 'c', _index: 'i', _source: { other: 1 } },
    { _id: 'd', _index: 'i', _source: { '@timestamp': 1715656869512 } },
  ];
  const processing = { timestampField: '@timestamp', codec: timestampCodec('iso') };

  it('are skipped and reported, the others read', () => {
    const skipped: UnreadableTimestamp[] = [];
    const read = toRuleHits(structuredClone(hits), processing, (s) => skipped.push(s));
    expect(read.map((h) => h.doc._id)).toEqual(['a', 'd']);
    expect(skipped).toEqual([
      {
        id: 'b',
        index: 'i',
        problem: expect.stringContaining('cannot read the timestamp "not a time" of document b'),
      },
      { id: 'c', index: 'i', problem: expect.stringContaining('"@timestamp" is not in document c') },
    ]);
  });

  it('are an error when nobody takes the report', () => {
    expect(() => toRuleHits(structuredClone(hits), processing)).toThrow(/document b/);
  });
});

describe('the local time zone', () => {
  const ROOT = new URL('../../../', import.meta.url).pathname;
  // each zone in its own process (Node reads TZ once); the answer, and whether Intl.DateTimeFormat was used
  const zoneWith = (tz: string): [string, boolean] => {
    const script = `
      let used = false;
      const D = Intl.DateTimeFormat;
      Intl.DateTimeFormat = new Proxy(D, {
        construct: (t, a) => ((used = true), new t(...a)),
        apply: (t, _, a) => ((used = true), t(...a)),
      });
      const { localTimeZone } = await import('./src/util/time.ts');
      console.log(JSON.stringify([localTimeZone(), used]));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as [string, boolean];
  };

  it('is UTC on a UTC clock, found without Intl.DateTimeFormat (which loads ICU locale data)', () => {
    expect(zoneWith('UTC')).toEqual(['UTC', false]);
    expect(zoneWith('Etc/UTC')).toEqual(['UTC', false]);
  });

  it('is the IANA name of any other zone, as Intl gives it', () => {
    expect(zoneWith('Asia/Shanghai')).toEqual(['Asia/Shanghai', true]);
    expect(zoneWith('Europe/London')).toEqual(['Europe/London', true]);
    expect(zoneWith('Africa/Abidjan')).toEqual(['Africa/Abidjan', true]);
  });
});
