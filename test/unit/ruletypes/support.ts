/**
 * Table-driven rule type tests: a case is (type, options, context) and steps of data, counts,
 * terms, aggregations and time, interleaved with the matches expected so far.
 */
import { expect } from 'vitest';
import { BUILTIN_RULE_TYPES } from '../../../src/ruletypes/registry.ts';
import type { RuleTypeContext, RuleTypeInstance } from '../../../src/ruletypes/rule-type.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { parseTimestamp, toIso } from '../../../src/util/time.ts';
import type { Hit, Match } from '../../../src/model/match.ts';

export type Step =
  | { data: Doc[] }
  | { count: [string, number] }
  | { terms: [string, [string | number, number][]] }
  | { agg: [string, Doc] }
  | { gc: string }
  | { matches: number; where?: Doc[]; exact?: Doc[] }
  | { clear: true };

export interface Case {
  name: string;
  type: string;
  options: Doc;
  tsField?: string;
  queryKey?: string;
  compatSpikeOnZero?: boolean;
  steps: Step[];
}

export const BASE = Date.parse('2014-09-26T12:00:00Z');

/** ElastAlert 2's test helper hits(n): n events one second apart from 2014-09-26T12:00:00Z. */
export function hits(n: number, extra: Doc = {}, tsField = '@timestamp'): Doc[] {
  return Array.from({ length: n }, (_, i) => ({
    [tsField]: toIso(BASE + i * 1000),
    ...structuredClone(extra),
  }));
}

export const at = (iso: string, extra: Doc = {}, tsField = '@timestamp'): Doc => ({
  [tsField]: iso,
  ...extra,
});

export function context(c: Pick<Case, 'tsField' | 'queryKey' | 'compatSpikeOnZero'>): RuleTypeContext {
  return {
    timestampField: c.tsField ?? '@timestamp',
    queryKey: c.queryKey,
    timezone: 'UTC',
    prettyFormat: undefined,
    compat: { spikeOnZero: c.compatSpikeOnZero ?? false },
  };
}

export function create(c: Pick<Case, 'type' | 'options' | 'tsField' | 'queryKey' | 'compatSpikeOnZero'>) {
  const def = BUILTIN_RULE_TYPES.get(c.type)!;
  const parsed = def.options.safeParse(c.options);
  if (!parsed.success) throw new Error(`${c.type} options: ${parsed.error.message}`);
  return { def, options: parsed.data as unknown, rule: def.create(context(c), parsed.data as never) };
}

export function apply(rule: RuleTypeInstance, step: Step, tsField: string): void {
  if ('data' in step) {
    const batch: Hit[] = step.data.map((doc) => ({ doc, ts: parseTimestamp(doc[tsField])! }));
    rule.addData(batch);
  } else if ('count' in step) {
    rule.addCountData!(parseTimestamp(step.count[0])!, step.count[1]);
  } else if ('terms' in step) {
    rule.addTermsData!(
      parseTimestamp(step.terms[0])!,
      step.terms[1].map(([key, doc_count]) => ({ key, doc_count })),
    );
  } else if ('agg' in step) {
    rule.addAggregationData!(parseTimestamp(step.agg[0])!, step.agg[1]);
  } else if ('gc' in step) {
    rule.garbageCollect(parseTimestamp(step.gc)!);
  }
}

/** Runs the steps; returns the rule and every match it produced. */
export function run(c: Case): { rule: RuleTypeInstance; all: Match[] } {
  const { rule } = create(c);
  const tsField = c.tsField ?? '@timestamp';
  let all: Match[] = [];
  const everything: Match[] = [];
  c.steps.forEach((step, i) => {
    const where = `step ${i} of "${c.name}"`;
    if ('clear' in step) {
      everything.push(...rule.takeMatches());
      all = [];
    } else if ('matches' in step) {
      const fresh = rule.takeMatches();
      all.push(...fresh);
      everything.push(...fresh);
      expect(all.length, `${where}: ${JSON.stringify(all)}`).toBe(step.matches);
      if (step.where)
        for (const [j, fields] of step.where.entries())
          expect(all[j], `${where}, match ${j}`).toMatchObject(fields);
      if (step.exact) expect(all, where).toEqual(step.exact);
    } else {
      apply(rule, step, tsField);
    }
  });
  return { rule, all: everything };
}
