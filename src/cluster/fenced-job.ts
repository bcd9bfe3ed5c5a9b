/**
 * A rule's job among replicas: it runs only while this instance holds the rule's lease. A run
 * under a new epoch (the rule came back from another instance) starts from the rule's status
 * document, not from what this process remembered, and a run is aborted when the lease goes.
 */
import { createRuntimeRule, type RuntimeRule } from '../engine/runtime-rule.ts';
import type { Job } from '../scheduler/scheduler.ts';
import type { Coordinator } from './coordinator.ts';

export function fencedJob(job: Job, rt: RuntimeRule, coordinator: Pick<Coordinator, 'held'>): Job {
  let epoch: number | undefined;
  return {
    ...job,
    run: async (signal) => {
      const lease = coordinator.held(job.name);
      if (!lease) return;
      if (epoch !== lease.epoch) {
        // another instance may have run it since: forget the windows, resume from the writeback
        if (epoch !== undefined || rt.state.hasRunOnce) Object.assign(rt, createRuntimeRule(rt.rule));
        epoch = lease.epoch;
      }
      await job.run(AbortSignal.any([signal, lease.lost.signal]));
    },
  };
}
