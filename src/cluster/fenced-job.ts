/**
 * A rule's job among replicas: it runs only while this instance holds the rule's lease. A run
 * under a new epoch (the rule came back from another instance) starts from the rule's status
 * document, not from what this process remembered, and a run is aborted when the lease goes.
 * A run that failed (lease lost while handling its matches) is followed by one from the status
 * document as well.
 */
import { createRuntimeRule, type RuntimeRule } from '../engine/runtime-rule.ts';
import type { Job } from '../scheduler/scheduler.ts';
import type { Coordinator } from './coordinator.ts';

/**
 * `epochs` holds, per rule name, the epoch its last run here had: it outlives the job, which a
 * reload of the rule replaces.
 */
export function fencedJob(
  job: Job,
  rt: RuntimeRule,
  coordinator: Pick<Coordinator, 'held'>,
  epochs: Map<string, number>,
): Job {
  return {
    ...job,
    run: async (signal) => {
      const lease = coordinator.held(job.name);
      if (!lease) return;
      const last = epochs.get(job.name);
      if (last !== lease.epoch) {
        // another instance may have run it since: forget the windows, resume from the writeback
        if (last !== undefined || rt.state.hasRunOnce) Object.assign(rt, createRuntimeRule(rt.rule));
        epochs.set(job.name, lease.epoch);
      }
      try {
        await job.run(AbortSignal.any([signal, lease.lost.signal]));
      } catch (err) {
        // a run cut short (its lease lapsed while it handled matches) has marked hits as seen that
        // it never alerted: the next run evaluates the window again from the status document
        Object.assign(rt, createRuntimeRule(rt.rule));
        epochs.delete(job.name);
        throw err;
      }
    },
  };
}
