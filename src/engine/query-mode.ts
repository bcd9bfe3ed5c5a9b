/**
 * How a rule asks Elasticsearch, decided once per rule type instance: the hits themselves, a
 * count per segment (use_count_query), term buckets per segment (use_terms_query), or the rule
 * type's own aggregation (metric_aggregation, spike_aggregation, percentage_match). Each mode
 * carries what the rule type is given back, so the engine never calls an optional method.
 */
import type { RuleOptions } from '../model/rule-options.ts';
import type { TermsBucket } from '../model/match.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import type { AggregationQuerySpec, RuleTypeInstance } from '../ruletypes/rule-type.ts';

export type QueryMode =
  | { kind: 'hits' }
  | { kind: 'count'; addCountData(endMs: number, count: number): void }
  | {
      kind: 'terms';
      /** The query_key field whose values are counted. */
      field: string;
      addTermsData(endMs: number, buckets: TermsBucket[]): void;
    }
  | {
      kind: 'aggregation';
      spec: AggregationQuerySpec;
      addAggregationData(endMs: number, aggregations: Record<string, unknown>): void;
    };

function missing(typeName: string, what: string): never {
  throw new EsalertError('INTERNAL', `the ${typeName} rule type does not implement ${what}`);
}

export function queryModeOf(o: RuleOptions, typeName: string, t: RuleTypeInstance): QueryMode {
  if (t.aggregationQuery) {
    const add = t.addAggregationData?.bind(t) ?? missing(typeName, 'addAggregationData');
    return { kind: 'aggregation', spec: t.aggregationQuery, addAggregationData: add };
  }
  if (o.useCountQuery) {
    const add = t.addCountData?.bind(t) ?? missing(typeName, 'addCountData (use_count_query)');
    return { kind: 'count', addCountData: add };
  }
  if (o.useTermsQuery) {
    const add = t.addTermsData?.bind(t) ?? missing(typeName, 'addTermsData (use_terms_query)');
    const field = o.queryKey;
    if (!field) throw new EsalertError('RULE_INVALID', 'use_terms_query needs query_key');
    return { kind: 'terms', field, addTermsData: add };
  }
  return { kind: 'hits' };
}
