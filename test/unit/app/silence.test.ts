import { describe, expect, it } from 'vitest';
import { parseSilenceDuration } from '../../../src/app/silence.ts';

describe('parseSilenceDuration', () => {
  it.each([
    ['hours=4', 4 * 3_600_000],
    ['days=2', 2 * 86_400_000],
    ['4h', 4 * 3_600_000],
    ['90m', 90 * 60_000],
    ['1h30m', 90 * 60_000],
    ['1w', 604_800_000],
    ['45s', 45_000],
    ['1.5h', 5_400_000],
  ])('%s', (text, ms) => {
    expect(parseSilenceDuration(text)).toBe(ms);
  });

  it.each(['4', 'soon', 'hours=', 'h4', '1h 30m', '0m', 'fortnights=1'])('rejects %s', (text) => {
    expect(() => parseSilenceDuration(text)).toThrow(/is not a duration: write 4h/);
  });
});
