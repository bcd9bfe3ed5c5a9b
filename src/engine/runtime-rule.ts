/**
 * A loaded rule plus what the engine keeps for it between runs: the rule type instance (its
 * windows), where the next query starts, and the _ids already processed in overlapping windows.
 */
import type { CompiledRule } from '../compile/compiled-rule.ts';
import type { RuleTypeContext, RuleTypeInstance } from '../ruletypes/rule-type.ts';
import { type TimestampCodec, timestampCodec } from '../query/timestamps.ts';
import { type QueryMode, queryModeOf } from './query-mode.ts';

export interface RunState {
  /** Start of the last query window (ElastAlert 2's rule['starttime']). */
  starttime: number | undefined;
  /** Never query before this (the resume point read from the status index). */
  minimumStarttime: number | undefined;
  /** End of the last completed window. */
  previousEndtime: number | undefined;
  /** _id -> timestamp of hits already handed to the rule type (buffer_time overlap). */
  processedHits: Map<string, number>;
  hasRunOnce: boolean;
  /** --start: where the first run begins. */
  initialStarttime: number | undefined;
  /** limit_execution: the next time this rule may run. */
  nextRunAt: number | undefined;
  /** The rule type restored its state or prepared itself (new_term's history scan). */
  prepared: boolean;
  /** The rule type state last saved (JSON), to save only changes. */
  savedState: string | undefined;
}

export interface RuntimeRule {
  rule: CompiledRule;
  ruleType: RuleTypeInstance;
  /** How the rule queries (hits, counts, term buckets, its aggregation), for this rule type instance. */
  mode: QueryMode;
  codec: TimestampCodec;
  state: RunState;
}

export function ruleTypeContext(rule: CompiledRule): RuleTypeContext {
  const o = rule.options;
  return {
    timestampField: o.timestampField,
    queryKey: o.queryKey,
    timezone: o.timezone,
    prettyFormat: o.prettyFormat,
    compat: { spikeOnZero: o.compatSpikeOnZero },
  };
}

export function newRunState(): RunState {
  return {
    starttime: undefined,
    minimumStarttime: undefined,
    previousEndtime: undefined,
    processedHits: new Map(),
    hasRunOnce: false,
    initialStarttime: undefined,
    nextRunAt: undefined,
    prepared: false,
    savedState: undefined,
  };
}

export function createRuntimeRule(rule: CompiledRule, carryOver?: RuntimeRule): RuntimeRule {
  const o = rule.options;
  const sameLogic = carryOver && carryOver.rule.hash === rule.hash;
  // An unchanged rule keeps its windows; a changed one starts its rule type afresh but keeps its position.
  const ruleType = sameLogic
    ? carryOver.ruleType
    : rule.type.create(ruleTypeContext(rule), rule.typeOptions as never);
  return {
    rule,
    ruleType,
    mode: sameLogic ? carryOver.mode : queryModeOf(o, rule.type.name, ruleType),
    codec: timestampCodec(o.timestampType, o.timestampFormat, o.queryTimezone),
    // a changed rule type starts over: it must restore or prepare itself again
    state: carryOver
      ? sameLogic
        ? carryOver.state
        : { ...carryOver.state, prepared: false, savedState: undefined }
      : newRunState(),
  };
}
