/**
 * The contract between the engine and a rule type.
 *
 * A rule type is pure: it receives data (hits, counts, term buckets) and the passage of time
 * (garbage collection at each segment end), keeps its state in plain objects, and emits matches.
 * It reads no clock and does no I/O, so each type is tested with tables of (events, options,
 * times) -> matches.
 */
import type { z } from 'zod';
import type { EsQuery } from '../query/filters.ts';
import type { SearchPort } from '../query/search-port.ts';
import { type Doc, setField } from '../model/lookup.ts';
import type { Hit, Match, TermsBucket } from '../model/match.ts';
import { toIso } from '../util/time.ts';

/** What every rule type may need from the rule beyond its own options. */
export interface RuleTypeContext {
  timestampField: string;
  /** The query key field ("a,b" for compound keys, whose joined value the engine stores under that name). */
  queryKey: string | undefined;
  /** Display settings for match texts. */
  timezone: string;
  prettyFormat: string | undefined;
  /** Compatibility switches (see docs/deviations.md). */
  compat: CompatOptions;
}

export interface CompatOptions {
  /** Spike: fire on 0 vs 0 and on any count against an empty reference, as ElastAlert 2 does. */
  spikeOnZero: boolean;
}

/** Aggregation rule types (metric_aggregation, ...): what to ask Elasticsearch instead of hits. */
export interface AggregationQuerySpec {
  /** The metric aggregation(s), ElastAlert 2's aggregation_query_element. */
  element: Record<string, unknown>;
  /** bucket_interval: a date_histogram of this fixed interval around the element. */
  bucketInterval?: { ms: number; period: string };
  syncBucketInterval?: boolean;
  /** Segments of run_every instead of buffer_time. */
  useRunEveryQuerySize?: boolean;
  allowBufferTimeOverlap?: boolean;
}

/** What a rule type may use once before its first run (new_term's history scan). */
export interface PrepareContext {
  search: SearchPort;
  /** The index expression covering [start, end]. */
  indexFor(startMs: number, endMs: number): string;
  filters: EsQuery[];
  timestampField: string;
  writeTimestamp(ms: number): string | number;
  /** Where the history ends: --start, or now. */
  historyEnd: number;
  signal?: AbortSignal;
}

/**
 * send_resolved: how a key that alerted is seen to clear. `observed`: the rule type says when it
 * checked a key and found the condition no longer holds (takeCleared). `quiet`: the condition has
 * cleared once no match came for the key for `ms` of event time.
 */
export type Clearing = { kind: 'observed' } | { kind: 'quiet'; ms: number };

export interface RuleTypeInstance {
  addData(hits: Hit[]): void;
  /** send_resolved: how a firing key clears (default: quiet for the rule's resolve_timeout). */
  readonly clearing?: Clearing;
  /**
   * Clearing `observed`: the keys checked since the last call whose condition did not hold, each
   * with the latest (event) time it was seen so. Keys are those of firingKey.
   */
  takeCleared?(): Map<string, number>;
  /** The key a match fires for (default: its query_key value, or "all"), as takeCleared names it. */
  firingKey?(match: Match): string;
  /** Set by aggregation types: the engine then queries aggregations and calls addAggregationData. */
  aggregationQuery?: AggregationQuerySpec;
  addAggregationData?(endMs: number, aggregations: Record<string, unknown>): void;
  /** Runs once before the first query (may search; errors fail the rule's run and are retried). */
  prepare?(ctx: PrepareContext): Promise<void>;
  /** State worth keeping across restarts (plain JSON), and its restoration. */
  exportState?(): unknown;
  importState?(state: unknown): void;
  addCountData?(endMs: number, count: number): void;
  addTermsData?(endMs: number, buckets: TermsBucket[]): void;
  /** Time has reached `ms` (end of a queried segment), with or without data. */
  garbageCollect(ms: number): void;
  /** Matches found so far; the engine drains them after each run. */
  takeMatches(): Match[];
  /** The rule-type paragraph of the default alert text (ElastAlert 2's get_match_str). */
  matchText(match: Match): string;
  /** The value that keys realert/silence for a match, when it is not the query_key value. */
  silenceKeyValue?(match: Match): string | undefined;
}

export interface RuleTypeDefinition<O = unknown> {
  name: string;
  summary: string;
  /** Schema of the type's own options, read from the (merged) rule mapping. */
  options: z.ZodType<O>;
  /** Every option name the type reads, for unknown-option warnings. */
  optionNames: readonly string[];
  supportsCountQuery: boolean;
  supportsTermsQuery: boolean;
  /** Filters the type adds to the rule's own (blacklist/whitelist filter_by_list). */
  extraFilters?(options: O, raw: Doc): EsQuery[];
  /**
   * The document fields the type reads from hits, besides the timestamp and the query key, when
   * few hits become matches: the engine then fetches only these fields of each hit and completes
   * each match (and its related events) from its whole document before handing it on
   * (engine/complete-matches.ts). Absent: the type gets whole documents, as for types whose every
   * hit is a match (any, blacklist, whitelist).
   */
  hitFields?(options: O): string[];
  create(ctx: RuleTypeContext, options: O): RuleTypeInstance;
}

/** Collects matches the way ElastAlert 2's add_match does: a deep copy, timestamp as ISO text. */
export class MatchCollector {
  private list: Match[] = [];
  private readonly tsField: string;

  constructor(tsField: string) {
    this.tsField = tsField;
  }

  add(doc: Doc, ts: number, extra?: Doc): void {
    const match = structuredClone(doc);
    if (!setField(match, this.tsField, toIso(ts))) match[this.tsField] = toIso(ts);
    if (extra) Object.assign(match, extra);
    this.list.push(match);
  }

  take(): Match[] {
    const out = this.list;
    this.list = [];
    return out;
  }
}
