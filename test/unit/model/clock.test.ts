import { describe, expect, it } from 'vitest';
import { FakeClock, ManualClock, sleep } from '../../../src/model/clock.ts';

describe('clocks', () => {
  it('a manual clock fires its timers in time order as it advances, each at its own time', async () => {
    const clock = new ManualClock('2024-05-14T00:00:00Z');
    const t0 = clock.now();
    const fired: [string, number][] = [];
    clock.setTimer(() => fired.push(['b', clock.now() - t0]), 200);
    clock.setTimer(() => fired.push(['a', clock.now() - t0]), 100);
    const cancelled = clock.setTimer(() => fired.push(['never', clock.now() - t0]), 150);
    cancelled.cancel();
    await clock.advance(150);
    expect(fired).toEqual([['a', 100]]);
    expect(clock.now() - t0).toBe(150);
    await clock.advance(50);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(clock.pending).toBe(0);
  });

  it('timers set by a firing timer fire within the same advance when they fall due', async () => {
    const clock = new ManualClock(0);
    const at: number[] = [];
    const tick = () => {
      at.push(clock.now());
      clock.setTimer(tick, 60);
    };
    clock.setTimer(tick, 60);
    await clock.advance(200);
    expect(at).toEqual([60, 120, 180]);
  });

  it('sleep resolves after its time on the clock, or at once when aborted', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    const slept = sleep(clock, 1000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await slept;
    expect(woke).toBe(true);
    const abort = new AbortController();
    const aborted = sleep(clock, 60_000, abort.signal);
    abort.abort();
    await aborted;
    expect(clock.pending).toBe(0);
  });

  it('a fake clock stands still while its timers run on the event loop', async () => {
    const clock = new FakeClock('2024-05-14T00:00:00Z');
    await sleep(clock, 5);
    expect(clock.now()).toBe(Date.parse('2024-05-14T00:00:00Z'));
  });
});
