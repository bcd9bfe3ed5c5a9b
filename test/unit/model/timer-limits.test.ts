/**
 * Timer delays (src/model/clock.ts) and the scheduler's intervals: a delay setTimeout cannot
 * honour (over 24.8 days, negative, NaN) or an interval of 0 never becomes a busy loop.
 */
import { describe, expect, it, vi } from 'vitest';
import { retryAfterMs } from '../../../src/alerters/http.ts';
import { MAX_TIMER_MS, systemClock, timerDelay } from '../../../src/model/clock.ts';
import { Scheduler } from '../../../src/scheduler/scheduler.ts';

describe('timerDelay', () => {
  it.each([
    [5000, 0, 5000],
    [40 * 86_400_000, 0, MAX_TIMER_MS],
    [Number.POSITIVE_INFINITY, 0, MAX_TIMER_MS],
    [-5, 0, 0],
    [Number.NaN, 0, 0],
    [0, 1000, 1000],
    [Number.NaN, 1000, 1000],
  ])('%d (at least %d) -> %d', (ms, min, expected) => {
    expect(timerDelay(ms, min)).toBe(expected);
  });

  it('a receiver cannot ask for a retry later than an hour', () => {
    expect(retryAfterMs({ 'retry-after': '99999999999' })).toBe(3_600_000);
    expect(retryAfterMs({ 'retry-after': '30' })).toBe(30_000);
  });
});

describe('the system clock', () => {
  it('waits out 40 days: the timer does not fire when setTimeout gives up at 24.8 days', async () => {
    vi.useFakeTimers();
    try {
      let fired = 0;
      systemClock.setTimer(() => fired++, 40 * 86_400_000);
      await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
      expect(fired).toBe(0);
      await vi.advanceTimersByTimeAsync(40 * 86_400_000 - MAX_TIMER_MS);
      expect(fired).toBe(1);
      const cancelled = systemClock.setTimer(() => fired++, 40 * 86_400_000);
      await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
      cancelled.cancel();
      await vi.advanceTimersByTimeAsync(40 * 86_400_000);
      expect(fired).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the scheduler', () => {
  it('runs a job with interval 0 at most once a second', async () => {
    let runs = 0;
    const s = new Scheduler({ clock: systemClock, maxConcurrent: 1, spreadMs: 0 });
    s.add({ name: 'zero', intervalMs: 0, run: async () => void runs++ });
    s.start();
    await new Promise((r) => setTimeout(r, 300));
    await s.stop(10);
    expect(runs).toBe(1);
  });
});
