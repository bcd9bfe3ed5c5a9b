/**
 * Timer delays (src/util/timers.ts) and the scheduler's long waits: a delay setTimeout cannot
 * honour (over 24.8 days, negative, NaN) never becomes a 1 ms busy loop.
 */
import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../../src/app/clock.ts';
import { retryAfterMs } from '../../../src/alerters/http.ts';
import { Scheduler } from '../../../src/scheduler/scheduler.ts';
import { MAX_TIMER_MS, timerDelay } from '../../../src/util/timers.ts';

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

describe('the scheduler', () => {
  it('waits out a run due in 40 days: the timer that ends after 24.8 days re-arms, it does not run', async () => {
    vi.useFakeTimers();
    try {
      const clock = new FakeClock('2024-05-14T00:00:00Z');
      const due = clock.now() + 40 * 86_400_000;
      let runs = 0;
      const s = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
      s.add({ name: 'far', intervalMs: 86_400_000, run: async () => void runs++, nextAllowed: () => due });
      s.start();
      clock.advance(MAX_TIMER_MS + 1000);
      await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
      expect(runs).toBe(0);
      clock.set(due);
      await vi.advanceTimersByTimeAsync(40 * 86_400_000 - MAX_TIMER_MS);
      expect(runs).toBe(1);
      await s.stop(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs a job with interval 0 at most once a second', async () => {
    const clock = { now: () => Date.now() };
    let runs = 0;
    const s = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    s.add({ name: 'zero', intervalMs: 0, run: async () => void runs++ });
    s.start();
    await new Promise((r) => setTimeout(r, 300));
    await s.stop(10);
    expect(runs).toBe(1);
  });
});
