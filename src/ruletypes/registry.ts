/** Built-in rule types by name (the `type:` of a rule). */
import { anyRule } from './any.ts';
import { flatlineRule } from './flatline.ts';
import { frequencyRule } from './frequency.ts';
import type { RuleTypeDefinition } from './rule-type.ts';
import { spikeRule } from './spike.ts';

export const BUILTIN_RULE_TYPES: ReadonlyMap<string, RuleTypeDefinition<never>> = new Map(
  ([anyRule, frequencyRule, flatlineRule, spikeRule] as RuleTypeDefinition<never>[]).map((t) => [t.name, t]),
);

/** ElastAlert 2 rule types esalert does not implement yet, so a rule using one gets a clear message. */
export const PLANNED_RULE_TYPES = [
  'blacklist',
  'whitelist',
  'change',
  'new_term',
  'cardinality',
  'metric_aggregation',
  'spike_aggregation',
  'percentage_match',
];
