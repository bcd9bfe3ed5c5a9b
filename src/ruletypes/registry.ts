/** Built-in rule types by name (the `type:` of a rule). */
import { anyRule } from './any.ts';
import { blacklistRule } from './blacklist.ts';
import { cardinalityRule } from './cardinality.ts';
import { changeRule } from './change.ts';
import { flatlineRule } from './flatline.ts';
import { frequencyRule } from './frequency.ts';
import { metricAggregationRule } from './metric-aggregation.ts';
import { newTermRule } from './new-term.ts';
import { percentageMatchRule } from './percentage-match.ts';
import type { RuleTypeDefinition } from './rule-type.ts';
import { spikeAggregationRule } from './spike-aggregation.ts';
import { spikeRule } from './spike.ts';
import { whitelistRule } from './whitelist.ts';

export const BUILTIN_RULE_TYPES: ReadonlyMap<string, RuleTypeDefinition<never>> = new Map(
  (
    [
      anyRule,
      blacklistRule,
      whitelistRule,
      changeRule,
      frequencyRule,
      spikeRule,
      flatlineRule,
      newTermRule,
      cardinalityRule,
      metricAggregationRule,
      spikeAggregationRule,
      percentageMatchRule,
    ] as RuleTypeDefinition<never>[]
  ).map((t) => [t.name, t]),
);
