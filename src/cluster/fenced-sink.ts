/**
 * The alert path of a rule among replicas: before the first match of a run is recorded, the
 * lease is read again (in real time) and must still name this instance under the epoch the run
 * started with; every later match checks that the lease is still held. A run that lost its
 * lease ends with LEASE_LOST before it records or sends anything more; the new owner evaluates
 * its window again from the status document.
 */
import type { MatchSink } from '../engine/run-rule.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import type { Coordinator } from './coordinator.ts';

export function leaseLost(rule: string): EsalertError {
  return new EsalertError('LEASE_LOST', `rule ${rule}: this instance no longer holds its lease; stopping`);
}

export function fencedSink(sink: MatchSink, coordinator: Pick<Coordinator, 'held' | 'confirm'>): MatchSink {
  return {
    startRun(rt, run) {
      const name = rt.rule.name;
      const epoch = coordinator.held(name)?.epoch;
      let confirmed = false;
      const inner = sink.startRun(rt, run);
      return {
        async accept(match) {
          if (epoch === undefined || coordinator.held(name)?.epoch !== epoch) throw leaseLost(name);
          if (!confirmed) {
            if (!(await coordinator.confirm(name, epoch))) throw leaseLost(name);
            confirmed = true;
          }
          return inner.accept(match);
        },
      };
    },
  };
}
