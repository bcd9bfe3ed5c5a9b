/**
 * Fencing of a rule among replicas: its job runs only under a held lease and starts from the
 * writeback when the epoch changed; its alert path refuses matches once the lease is gone or the
 * lease document names another epoch; its run status is not written without the lease.
 */
import { describe, expect, it } from 'vitest';
import type { HeldLease } from '../../../src/cluster/coordinator.ts';
import { fencedJob } from '../../../src/cluster/fenced-job.ts';
import { fencedSink } from '../../../src/cluster/fenced-sink.ts';
import { fencedStores } from '../../../src/cluster/fenced-stores.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import type { MatchSink } from '../../../src/engine/run-rule.ts';
import { createMemoryWriteback } from '../../../src/state/memory-writeback.ts';
import { writebackStores } from '../../../src/state/writeback.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';

function fakeCoordinator() {
  const leases = new Map<string, HeldLease>();
  let confirms = 0;
  let documentEpoch: number | undefined;
  return {
    leases,
    get confirms() {
      return confirms;
    },
    set documentEpoch(e: number | undefined) {
      documentEpoch = e;
    },
    grant(rule: string, epoch: number) {
      leases.set(rule, {
        epoch,
        version: { seqNo: epoch, primaryTerm: 1 },
        since: 0,
        lost: new AbortController(),
      });
      documentEpoch = epoch;
    },
    held: (rule: string) => leases.get(rule),
    holds: (rule: string) => leases.has(rule),
    async confirm(rule: string, epoch: number) {
      confirms++;
      return leases.get(rule)?.epoch === epoch && documentEpoch === epoch;
    },
  };
}

const rule = () =>
  createRuntimeRule(compileTestRule({ name: 'fenced', type: 'any', index: 'x', alert: ['debug'] }));

describe('fencing', () => {
  it('a job runs only under a held lease, and forgets its windows when the epoch changed', async () => {
    const c = fakeCoordinator();
    const rt = rule();
    const runs: AbortSignal[] = [];
    const epochs = new Map<string, number>();
    const job = fencedJob(
      {
        name: 'fenced',
        intervalMs: 60_000,
        run: async (signal) => {
          runs.push(signal);
          rt.state.hasRunOnce = true;
          rt.state.previousEndtime = 1000;
        },
      },
      rt,
      c,
      epochs,
    );
    await job.run(new AbortController().signal);
    expect(runs).toHaveLength(0);
    c.grant('fenced', 1);
    await job.run(new AbortController().signal);
    await job.run(new AbortController().signal);
    expect(runs).toHaveLength(2);
    expect(rt.state.previousEndtime).toBe(1000);
    // a reload replaces the job: same epoch, the windows stay
    let seen: number | undefined = -1;
    const reloaded = fencedJob(
      { name: 'fenced', intervalMs: 60_000, run: async () => void (seen = rt.state.previousEndtime) },
      rt,
      c,
      epochs,
    );
    await reloaded.run(new AbortController().signal);
    expect(seen).toBe(1000);
    // the rule went to another instance and came back: a fresh rule type, resuming from the writeback
    c.grant('fenced', 3);
    const before = rt.ruleType;
    await reloaded.run(new AbortController().signal);
    expect(seen).toBeUndefined();
    expect(rt.state.hasRunOnce).toBe(false);
    expect(rt.ruleType).not.toBe(before);
    await job.run(new AbortController().signal);
    // losing the lease aborts the run going on
    c.leases.get('fenced')!.lost.abort();
    expect(runs.at(-1)!.aborted).toBe(true);
  });

  it('the alert path checks the lease document before the first match and the lease before every match', async () => {
    const c = fakeCoordinator();
    const rt = rule();
    const accepted: unknown[] = [];
    const inner: MatchSink = {
      startRun: () => ({
        accept: async (m) => {
          accepted.push(m);
          return { match: m, outcome: 'alerted' };
        },
      }),
    };
    const sink = fencedSink(inner, c);
    const run = { search: undefined as never, logger: undefined as never };
    c.grant('fenced', 1);
    const a = sink.startRun(rt, run);
    await a.accept({ n: 1 });
    await a.accept({ n: 2 });
    expect(c.confirms).toBe(1);
    expect(accepted).toHaveLength(2);
    // another instance claimed it (epoch 2 in the lease document): refused before anything is recorded
    c.documentEpoch = 2;
    const b = sink.startRun(rt, run);
    await expect(b.accept({ n: 3 })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    // the lease went in the middle of a run
    c.grant('fenced', 4);
    const d = sink.startRun(rt, run);
    await d.accept({ n: 4 });
    c.leases.delete('fenced');
    await expect(d.accept({ n: 5 })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(accepted).toHaveLength(3);
  });

  it('the run status and rule state are written only under the lease', async () => {
    const c = fakeCoordinator();
    const w = createMemoryWriteback();
    const stores = fencedStores(writebackStores(w), c);
    const status = {
      rule_name: 'fenced',
      starttime: 'a',
      endtime: 'b',
      matches: 0,
      hits: 0,
      time_taken: 0,
      '@timestamp': 'c',
    };
    await expect(stores.status.writeStatus(status)).rejects.toMatchObject({ code: 'LEASE_LOST' });
    await expect(stores.ruleState.saveRuleState('fenced', 'f', {})).rejects.toMatchObject({
      code: 'LEASE_LOST',
    });
    c.grant('fenced', 1);
    await stores.status.writeStatus(status);
    expect(w.statuses).toHaveLength(1);
  });
});
