/**
 * The rule type's state across restarts: restored before the first run when it was saved for the
 * same type and options (else the rule type prepares itself: new_term scans its history), and
 * saved after a run when it changed.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../model/clock.ts';
import { indexFor } from '../query/index-names.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { RuleStateStore } from '../state/writeback.ts';
import type { RuntimeRule } from './runtime-rule.ts';

/** What persisted rule type state was built for: the type and its options. */
function stateFingerprint(rt: RuntimeRule): string {
  return createHash('sha1')
    .update(
      JSON.stringify([rt.rule.type.name, rt.rule.typeOptions ?? null, rt.rule.options.queryKey ?? null]),
    )
    .digest('hex');
}

export interface PrepareDeps {
  clock: Clock;
  logger: Logger;
  ruleState: RuleStateStore;
  search: SearchPort;
}

/**
 * Once before the first run: restore the rule type's persisted state (when built for the same
 * options), or let it prepare itself (new_term scans its history up to `start`, or now).
 */
export async function prepareRuleType(
  rt: RuntimeRule,
  deps: PrepareDeps,
  start: number | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (rt.state.prepared) return;
  const t = rt.ruleType;
  let restored = false;
  if (t.importState) {
    const saved = await deps.ruleState.loadRuleState(rt.rule.name, signal);
    if (saved && saved.fingerprint === stateFingerprint(rt)) {
      t.importState(saved.state);
      rt.state.savedState = JSON.stringify(saved.state);
      restored = true;
      deps.logger.info('restored the rule state saved by the previous run');
    }
  }
  if (!restored && t.prepare) {
    const o = rt.rule.options;
    await t.prepare({
      search: deps.search,
      indexFor: (from, to) => indexFor(o, from, to),
      filters: o.filters,
      timestampField: o.timestampField,
      writeTimestamp: (ms) => rt.codec.write(ms),
      historyEnd: rt.state.initialStarttime ?? start ?? deps.clock.now(),
      ...(signal ? { signal } : {}),
    });
  }
  rt.state.prepared = true;
}

/** Saves the rule type's state when it changed since it was last saved (or restored). */
export async function saveRuleTypeState(rt: RuntimeRule, ruleState: RuleStateStore): Promise<void> {
  const state = rt.ruleType.exportState?.();
  if (state === undefined) return;
  const json = JSON.stringify(state);
  if (json === rt.state.savedState) return;
  await ruleState.saveRuleState(rt.rule.name, stateFingerprint(rt), state);
  rt.state.savedState = json;
}
