/**
 * One rule's job under the scheduler, end to end in memory: a clock whose timers the test moves,
 * the in-memory search port, the memory stores and a recording channel.
 */
import { describe, expect, it } from 'vitest';
import { createRuntimeRule, type RuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { ManualClock } from '../../../src/model/clock.ts';
import { createMemorySearchPort, type MemoryDocument } from '../../../src/query/memory/memory-search-port.ts';
import type { SearchPort } from '../../../src/query/search-port.ts';
import { BACKFILL_FAILURES, createRuleJob } from '../../../src/scheduler/rule-job.ts';
import { Scheduler } from '../../../src/scheduler/scheduler.ts';
import { toIso } from '../../../src/util/time.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';
import { memoryAlertPath, memoryEngineDeps } from '../../support/memory-alert-path.ts';

const MINUTE = 60_000;
const T0 = Date.parse('2024-05-14T10:00:00Z');

/** A back-off event of `pod` every `everyMs` from `from`, `n` times. */
function backoffs(pod: string, from: number, n: number, everyMs: number): MemoryDocument[] {
  return Array.from({ length: n }, (_, i) => ({
    _id: `${pod}-${i}`,
    _source: { '@timestamp': new Date(from + i * everyMs).toISOString(), reason: 'BackOff', pod },
  }));
}

function setup(port: SearchPort, clock: ManualClock, extra: Record<string, unknown> = {}) {
  const path = memoryAlertPath(clock);
  const { store, sent, pipeline } = path;
  const rt: RuntimeRule = createRuntimeRule(
    compileTestRule({
      name: 'crashloop',
      type: 'frequency',
      index: 'events',
      num_events: 3,
      timeframe: { minutes: 10 },
      query_key: 'pod',
      realert: { minutes: 30 },
      run_every: { minutes: 1 },
      buffer_time: { minutes: 5 },
      alert: ['debug'],
      ...extra,
    }),
  );
  const engine = memoryEngineDeps(clock, port, path);
  return { store, sent, pipeline, rt, engine };
}

describe('the job of a rule', () => {
  it('a backfill covers its window segment by segment, alerts, and is done at --end', async () => {
    const clock = new ManualClock(T0 + 60 * MINUTE);
    const port = createMemorySearchPort(backoffs('web-1', T0 + 5 * MINUTE, 4, MINUTE));
    const { sent, pipeline, rt, engine, store } = setup(port, clock);
    rt.state.initialStarttime = T0;
    const scheduler = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    const segments: number[] = [];
    scheduler.add(
      createRuleJob(rt, {
        clock,
        engine,
        endAt: T0 + 30 * MINUTE,
        progress: { segment: (_r, p) => segments.push(p.segmentsDone), ruleRun: () => {} },
      }),
    );
    scheduler.start();
    let done = false;
    void scheduler.finished().then(() => (done = true));
    await clock.advance(1);
    expect(done).toBe(true);
    expect(segments).toEqual([1, 2, 3, 4, 5, 6]); // 30 minutes in segments of buffer_time
    await pipeline.drain(1000);
    expect(sent.map((a) => a.matches[0]!.pod)).toEqual(['web-1']);
    expect(store.statuses.at(-1)!.endtime).toBe(toIso(T0 + 30 * MINUTE));
    expect(clock.pending).toBe(0);
  });

  it(`a backfill whose runs keep failing is given up after ${BACKFILL_FAILURES} runs`, async () => {
    const clock = new ManualClock(T0 + 60 * MINUTE);
    let queries = 0;
    const broken: SearchPort = {
      search: async () => {
        queries++;
        throw new Error('HTTP 503');
      },
      count: async () => 0,
    };
    const { rt, engine, store } = setup(broken, clock);
    rt.state.initialStarttime = T0;
    const scheduler = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    scheduler.add(createRuleJob(rt, { clock, engine, endAt: T0 + 30 * MINUTE }));
    scheduler.start();
    let done = false;
    void scheduler.finished().then(() => (done = true));
    await clock.advance((BACKFILL_FAILURES - 2) * MINUTE);
    expect(done).toBe(false);
    await clock.advance(2 * MINUTE);
    expect(done).toBe(true);
    expect(queries).toBe(BACKFILL_FAILURES);
    expect(store.errors).toHaveLength(BACKFILL_FAILURES);
  });

  it('live, each run ends query_delay before now and looks back buffer_time', async () => {
    const clock = new ManualClock(T0);
    const port = createMemorySearchPort(backoffs('web-2', T0 + 30_000, 3, 20_000));
    const { sent, pipeline, rt, engine, store } = setup(port, clock, { query_delay: { seconds: 30 } });
    const scheduler = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    scheduler.add(createRuleJob(rt, { clock, engine, endAt: undefined }));
    scheduler.start();
    await clock.advance(3 * MINUTE);
    await scheduler.stop(0);
    await pipeline.drain(1000);
    // hits rules look back buffer_time each run; what the overlap brings again is not handed on twice
    const ends = [0, 1, 2, 3].map((i) => T0 + i * MINUTE - 30_000);
    expect(store.statuses.map((s) => [s.starttime, s.endtime])).toEqual(
      ends.map((end) => [toIso(end - 5 * MINUTE), toIso(end)]),
    );
    expect(sent.map((a) => a.matches[0]!.pod)).toEqual(['web-2']);
  });

  it('limit_execution: outside the cron window the first run waits for the next cron time', async () => {
    const clock = new ManualClock(T0 + 20 * MINUTE); // 10:20
    const { rt, engine, store } = setup(createMemorySearchPort([]), clock, {
      limit_execution: '0 11 * * *',
      limit_execution_coverage: true,
    });
    const scheduler = new Scheduler({ clock, maxConcurrent: 1, spreadMs: 0 });
    scheduler.add(createRuleJob(rt, { clock, engine, endAt: undefined }));
    scheduler.start();
    await clock.advance(1);
    expect(store.statuses).toEqual([]);
    expect(rt.state.nextRunAt).toBe(T0 + 60 * MINUTE);
    // with limit_execution_coverage the paused time is not queried later
    expect(rt.state.minimumStarttime).toBe(T0 + 60 * MINUTE);
    expect(scheduler.stats('crashloop')!.nextRun).toBe(T0 + 60 * MINUTE);
    await scheduler.stop(0);
  });
});
