/** Exponential realert arithmetic: ElastAlert 2's test_exponential_realert table (reference §9 case 5). */
import { describe, expect, it } from 'vitest';
import { nextAlertTime, silenceKey } from '../../../src/alerts/realert.ts';

const UNTIL = Date.parse('2015-03-24T00:00:00Z');
const S = 1000;

describe('nextAlertTime', () => {
  const table: [elapsedMs: number, exponentIn: number, exponentOut: number, waitS: number][] = [
    [5 * S, 0, 1, 20],
    [15 * S, 0, 0, 10],
    [15 * S, 1, 2, 40],
    [60 * S, 2, 1, 20],
    [60 * S, 3, 4, 160],
    [5 * 60 * S, 1, 0, 10],
    [4 * 3600 * S, 9, 0, 10],
    [4 * 3600 * S, 10, 9, 5120],
    [4 * 3600 * S, 11, 12, 40960],
  ];
  it.each(table)('now - until = %i ms, exponent %i -> %i, wait %i s', (elapsed, eIn, eOut, wait) => {
    const now = UNTIL + elapsed;
    const r = nextAlertTime(10 * S, 86_400 * S, { until: UNTIL, exponent: eIn }, now);
    expect(r.exponent).toBe(eOut);
    expect(r.until - now).toBe(wait * S);
  });

  it('caps the wait at exponential_realert and steps the exponent back', () => {
    const now = UNTIL + 1000;
    const r = nextAlertTime(10 * S, 60 * S, { until: UNTIL, exponent: 3 }, now);
    expect(r).toEqual({ until: now + 60 * S, exponent: 3 });
  });

  it('is plain realert without exponential_realert or history', () => {
    expect(nextAlertTime(60 * S, undefined, { until: UNTIL, exponent: 4 }, UNTIL)).toEqual({
      until: UNTIL + 60 * S,
      exponent: 0,
    });
    expect(nextAlertTime(60 * S, 3600 * S, undefined, UNTIL)).toEqual({ until: UNTIL + 60 * S, exponent: 0 });
  });

  it('keys silences by realert_key and query key value', () => {
    expect(silenceKey('pods', 'api-1')).toBe('pods.api-1');
    expect(silenceKey('pods', undefined)).toBe('pods');
  });
});
