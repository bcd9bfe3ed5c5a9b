import { describe, expect, it } from 'vitest';
import { Cron } from '../../../src/util/cron.ts';

const t = (s: string) => Date.parse(s);
const iso = (ms: number) => new Date(ms).toISOString();

describe('Cron', () => {
  it.each([
    ['*/5 * * * *', '2024-05-14T10:03:20Z', 'UTC', '2024-05-14T10:05:00.000Z'],
    ['0 9-17 * * 1-5', '2024-05-17T17:30:00Z', 'UTC', '2024-05-20T09:00:00.000Z'],
    ['0 9 * * *', '2024-05-14T00:00:00Z', 'Asia/Shanghai', '2024-05-14T01:00:00.000Z'],
    ['30 2 1 * *', '2024-01-31T00:00:00Z', 'UTC', '2024-02-01T02:30:00.000Z'],
    ['0 0 L * *', '2024-02-10T00:00:00Z', 'UTC', '2024-02-29T00:00:00.000Z'],
    ['0 12 13 * 5', '2024-09-01T00:00:00Z', 'UTC', '2024-09-06T12:00:00.000Z'],
    ['*/10 * * * * *', '2024-05-14T10:00:01Z', 'UTC', '2024-05-14T10:00:10.000Z'],
  ])('%s after %s (%s) is %s', (expr, after, zone, want) => {
    expect(iso(new Cron(expr).next(t(after), zone))).toBe(want);
  });

  it('is strictly after the given instant', () => {
    expect(iso(new Cron('0 * * * *').next(t('2024-05-14T10:00:00Z')))).toBe('2024-05-14T11:00:00.000Z');
  });

  it("rejects bad expressions with node-cron's reason", () => {
    expect(() => new Cron('61 * * * *')).toThrow(/invalid cron expression "61 \* \* \* \*": .*minute/);
    expect(() => new Cron('every day')).toThrow(/invalid cron expression/);
  });
});
