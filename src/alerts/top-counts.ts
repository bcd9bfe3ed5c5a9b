/**
 * ElastAlert 2's top_count_keys: for each match, the most frequent values of each key around
 * the match (a terms aggregation per key over [match time - timeframe, match time + 10 minutes],
 * restricted to the match's query_key value), added to the match as top_events_<key>.
 */
import { buildBaseQuery, type EsQuery } from '../query/filters.ts';
import { indexFor } from '../query/index-names.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonStr } from '../model/lookup.ts';
import { parseTimestamp } from '../util/time.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';

const MINUTE = 60_000;

export interface TopCountOptions {
  /** The index expression for [start, end] (strftime indices resolved). */
  indexFor(startMs: number, endMs: number): string;
  /** The rule's filters (including what the rule type adds, e.g. blacklist's list). */
  filters: readonly EsQuery[];
  timestampField: string;
  writeTimestamp(ms: number): string | number;
  /** top_count_keys as written in the rule. */
  keys: readonly string[];
  /** The query_key fields (one, or the compound key's fields). */
  queryKeyFields: readonly string[];
  /** raw_count_keys (default true): count on <key><string_multi_field_name>, filter on <qk>.keyword. */
  rawCountKeys: boolean;
  /** string_multi_field_name from config.yaml (default .keyword). */
  stringMultiFieldName: string;
  /** top_count_number (default 5): the terms aggregation's size and how many are kept. */
  number: number;
  minDocCount: number;
  /** How far before the match to count: timeframe (twice it for flatline), else 10 minutes. */
  lookBackMs: number;
}

/** The top count options of a loaded rule. */
export function topCountOptions(rt: RuntimeRule): TopCountOptions | undefined {
  const o = rt.rule.options;
  const top = o.topCounts;
  if (!top) return undefined;
  const tf = o.timeframeMs;
  return {
    indexFor: (start, end) => indexFor(o, start, end),
    filters: o.filters,
    timestampField: o.timestampField,
    writeTimestamp: (ms) => rt.codec.write(ms),
    keys: top.keys,
    queryKeyFields: o.compoundQueryKey ?? (o.queryKey ? [o.queryKey] : []),
    rawCountKeys: top.rawCountKeys,
    stringMultiFieldName: top.stringMultiFieldName,
    number: top.number,
    minDocCount: o.minDocCount,
    lookBackMs: tf === undefined ? 10 * MINUTE : rt.rule.type.name === 'flatline' ? 2 * tf : tf,
  };
}

/** ElastAlert 2's query_key_filters: the value split on "," (and spaces) paired with the key fields. */
export function queryKeyFilters(fields: readonly string[], value: unknown, raw: boolean): EsQuery[] {
  if (value === undefined || value === null) return [];
  const values = pythonStr(value).split(/,\s*/);
  const out: EsQuery[] = [];
  for (let i = 0; i < Math.min(fields.length, values.length); i++) {
    let key = fields[i]!;
    if (raw && !key.endsWith('.keyword')) key += '.keyword';
    out.push({ term: { [key]: values[i] } });
  }
  return out;
}

/** The counted field of a top_count_keys entry. */
export function countedField(key: string, o: Pick<TopCountOptions, 'rawCountKeys' | 'stringMultiFieldName'>) {
  return o.rawCountKeys && !key.endsWith(o.stringMultiFieldName) ? key + o.stringMultiFieldName : key;
}

/**
 * `{top_events_<key>: {term: count}}` for one match, most frequent first. `queryKeyValue` is the
 * match's query_key value (undefined: no restriction). A key whose query fails gets {} and the
 * error goes to `onError`, as ElastAlert 2 logs it and carries on.
 */
export async function topCounts(
  search: SearchPort,
  o: TopCountOptions,
  match: Match,
  queryKeyValue: unknown,
  onError?: (key: string, err: unknown) => void,
  signal?: AbortSignal,
): Promise<Record<string, Record<string, number>>> {
  const ts = parseTimestamp(lookupField(match as Doc, o.timestampField));
  const out: Record<string, Record<string, number>> = {};
  if (ts === undefined) return out;
  const start = ts - o.lookBackMs;
  const end = ts + 10 * MINUTE;
  const query = buildBaseQuery(
    [...o.filters, ...queryKeyFilters(o.queryKeyFields, queryKeyValue, o.rawCountKeys)],
    {
      field: o.timestampField,
      gt: o.writeTimestamp(start),
      lte: o.writeTimestamp(end),
    },
  );
  for (const written of o.keys) {
    const field = countedField(written, o);
    const counts: Record<string, number> = {};
    out[`top_events_${field}`] = counts;
    if (o.number <= 0) continue;
    try {
      const res = await search.search(
        {
          index: o.indexFor(start, end),
          query,
          size: 0,
          aggs: { counts: { terms: { field, size: o.number, min_doc_count: o.minDocCount } } },
        },
        signal,
      );
      const buckets =
        (res.aggregations?.counts as { buckets?: { key: unknown; doc_count: number }[] } | undefined)
          ?.buckets ?? [];
      const sorted = buckets
        .map((b) => [pythonStr(b.key), b.doc_count] as const)
        .sort((a, b) => b[1] - a[1])
        .slice(0, o.number);
      for (const [term, count] of sorted) counts[term] = count;
    } catch (err) {
      onError?.(field, err);
    }
  }
  return out;
}
