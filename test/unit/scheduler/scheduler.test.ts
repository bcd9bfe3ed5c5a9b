/** The scheduler on a clock whose timers fire only as the test moves it. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/model/clock.ts';
import { firstRunOffset, type Job, Scheduler } from '../../../src/scheduler/scheduler.ts';

const MINUTE = 60_000;

/** A job whose runs the test finishes by hand. */
function manualJob(name: string, clock: ManualClock, intervalMs = MINUTE) {
  const starts: number[] = [];
  const open: (() => void)[] = [];
  let aborted = 0;
  const job: Job = {
    name,
    intervalMs,
    run: (signal) =>
      new Promise<void>((resolve) => {
        starts.push(clock.now());
        open.push(resolve);
        signal.addEventListener('abort', () => (aborted++, resolve()), { once: true });
      }),
  };
  return { job, starts, finish: () => open.shift()?.(), open, aborted: () => aborted };
}

describe('scheduler', () => {
  it('runs each job every interval at a fixed rate', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0 });
    const starts: number[] = [];
    s.add({ name: 'a', intervalMs: MINUTE, run: async () => void starts.push(clock.now()) });
    s.start();
    await clock.advance(3 * MINUTE);
    expect(starts).toEqual([0, MINUTE, 2 * MINUTE, 3 * MINUTE]);
    expect(s.stats('a')).toMatchObject({ runs: 4, skipped: 0, nextRun: 4 * MINUTE });
    await s.stop(0);
  });

  it('runs a job soon when asked, and keeps its rhythm from then', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0 });
    const starts: number[] = [];
    s.add({ name: 'a', intervalMs: MINUTE, run: async () => void starts.push(clock.now()) });
    s.runSoon('a'); // not started yet: nothing
    s.start();
    await clock.advance(20_000);
    s.runSoon('a');
    await clock.advance(MINUTE);
    expect(starts).toEqual([0, 20_000, 20_000 + MINUTE]);
    await s.stop(0);
  });

  it('spreads first runs by a stable offset of the name within the spread', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 15_000 });
    s.add({ name: 'some rule', intervalMs: MINUTE, run: async () => {} });
    s.start();
    const first = s.stats('some rule')!.nextRun!;
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(15_000);
    const again = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 15_000 });
    again.add({ name: 'some rule', intervalMs: MINUTE, run: async () => {} });
    again.start();
    expect(again.stats('some rule')!.nextRun).toBe(first);
    await s.stop(0);
    await again.stop(0);
  });

  it('spreads first runs over evenly spaced whole ticks, about rulesPerTick rules to a tick', async () => {
    const offsets = (jobs: number, perTick = 25) =>
      new Set(
        Array.from({ length: jobs }, (_, i) => firstRunOffset(`rule-${i}`, MINUTE, jobs, 1000, perTick)),
      );
    const sorted = (s: Set<number>) => [...s].sort((a, b) => a - b);
    // twenty rules: one tick; a hundred: four, 15 s apart; a thousand: forty, a second apart;
    // ten thousand: every second of the minute
    expect(sorted(offsets(20))).toEqual([0]);
    expect(sorted(offsets(100))).toEqual([0, 15_000, 30_000, 45_000]);
    expect(sorted(offsets(1000))).toEqual(Array.from({ length: 40 }, (_, i) => i * 1000));
    expect(sorted(offsets(10_000))).toEqual(Array.from({ length: 60 }, (_, i) => i * 1000));
    expect(sorted(offsets(100, 100))).toEqual([0]);
    expect(firstRunOffset('x', 15_000, 10_000, 1000, 25)).toBeLessThan(15_000);
  });

  it('starts the rules due in one tick together, on one timer per tick', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 1000, spreadMs: MINUTE, rulesPerTick: 2 });
    const started: { name: string; at: number }[] = [];
    const jobs = Array.from({ length: 6 }, (_, i) => `rule-${i}`);
    for (const name of jobs)
      s.add({
        name,
        intervalMs: MINUTE,
        run: async () => void started.push({ name, at: clock.now() }),
      });
    s.start();
    // three ticks for six rules at two to a tick
    const ticks = new Set(jobs.map((n) => s.stats(n)!.nextRun));
    expect(ticks.size).toBeLessThanOrEqual(3);
    expect(clock.pending).toBe(ticks.size);
    for (let t = 1000; t < MINUTE; t += 1000) {
      await clock.advance(1000);
    }
    expect(started).toHaveLength(6);
    expect(new Set(started.map((r) => r.at))).toEqual(ticks);
    for (const r of started) expect(r.at).toBe(s.stats(r.name)!.nextRun! - MINUTE);
    await s.stop(0);
  });

  it('never runs a job twice at once: a run still going when the next is due is skipped', async () => {
    const clock = new ManualClock(0);
    const skipped: string[] = [];
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0, onSkipped: (n) => skipped.push(n) });
    const a = manualJob('a', clock);
    s.add(a.job);
    s.start();
    await clock.advance(2 * MINUTE + 1);
    expect(a.starts).toEqual([0]);
    expect(skipped).toEqual(['a', 'a']);
    a.finish();
    await clock.advance(MINUTE);
    expect(a.starts).toEqual([0, 3 * MINUTE]);
    a.finish();
    await s.stop(0);
  });

  it('runs at most maxConcurrent jobs together; the others wait their turn', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    const a = manualJob('a', clock);
    const b = manualJob('b', clock);
    s.add(a.job);
    s.add(b.job);
    s.start();
    await clock.advance(1000);
    expect([a.starts, b.starts]).toEqual([[0], []]);
    a.finish();
    await clock.advance(1000);
    expect(b.starts).toEqual([1000]); // as soon as a finished
    b.finish();
    await s.stop(0);
  });

  it('a job that is done is not run again, and finished() resolves when every job is', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0 });
    let runs = 0;
    s.add({ name: 'a', intervalMs: MINUTE, run: async () => void runs++, done: () => runs >= 2 });
    s.start();
    let finished = false;
    void s.finished().then(() => (finished = true));
    await clock.advance(5 * MINUTE);
    expect(runs).toBe(2);
    expect(finished).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('nextAllowed holds a job back until then (limit_execution)', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0 });
    const starts: number[] = [];
    s.add({
      name: 'a',
      intervalMs: MINUTE,
      nextAllowed: () => 10 * MINUTE,
      run: async () => void starts.push(clock.now()),
    });
    s.start();
    await clock.advance(11 * MINUTE);
    expect(starts).toEqual([10 * MINUTE, 11 * MINUTE]);
    await s.stop(0);
  });

  it('stop() lets running jobs finish within the grace, then aborts them', async () => {
    const clock = new ManualClock(0);
    const s = new Scheduler({ clock, maxConcurrent: 10, spreadMs: 0 });
    const a = manualJob('a', clock);
    s.add(a.job);
    s.start();
    await clock.advance(1);
    let stopped = false;
    const stopping = s.stop(30_000).then(() => (stopped = true));
    await clock.advance(29_000);
    expect(stopped).toBe(false);
    await clock.advance(1000);
    await stopping;
    expect(a.aborted()).toBe(1);
    expect(clock.pending).toBe(0);
  });
});
