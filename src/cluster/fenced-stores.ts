/**
 * What a run writes among replicas: the run status and the rule type state of a rule are written
 * only while this instance holds its lease, so an instance that lost it (paused, partitioned)
 * cannot move the resume point of the new owner.
 */
import type { Stores } from '../state/writeback.ts';
import type { Coordinator } from './coordinator.ts';
import { leaseLost } from './fenced-sink.ts';

export function fencedStores(stores: Stores, coordinator: Pick<Coordinator, 'holds'>): Stores {
  return {
    ...stores,
    status: {
      lastStatus: (rule, signal) => stores.status.lastStatus(rule, signal),
      async writeStatus(doc, signal) {
        if (!coordinator.holds(doc.rule_name)) throw leaseLost(doc.rule_name);
        await stores.status.writeStatus(doc, signal);
      },
    },
    ruleState: {
      loadRuleState: (rule, signal) => stores.ruleState.loadRuleState(rule, signal),
      async saveRuleState(rule, fingerprint, state, signal) {
        if (!coordinator.holds(rule)) throw leaseLost(rule);
        await stores.ruleState.saveRuleState(rule, fingerprint, state, signal);
      },
    },
  };
}
