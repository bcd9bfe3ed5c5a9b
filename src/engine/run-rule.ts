/**
 * One run of one rule: choose the window, query it segment by segment, feed the rule type, then
 * pass each match through silence/realert to the alert pipeline, and record the run.
 *
 * A query that fails ends the run: the segments already queried count (their matches are
 * handled and the status records where they end), the failed segment and everything after it is
 * queried again next run. A failed query is never taken for "no events".
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../model/clock.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { buildBaseQuery, type EsQuery } from '../query/filters.ts';
import { readHits, toRuleHits } from '../query/hits-reader.ts';
import { indexFor } from '../query/index-names.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { Match, TermsBucket } from '../model/match.ts';
import type { SilenceEntry, WritebackStore } from '../state/writeback.ts';
import { lookupField, pythonStr } from '../model/lookup.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import { nextAlertTime, ruleSilenceKey, silenceKey } from './realert.ts';
import { topCountOptions, topCounts } from './top-counts.ts';
import type { RuntimeRule } from './runtime-rule.ts';

/** Where matches go once they passed silence/realert: the alert pipeline (alert now or aggregate). */
/** What became of an accepted match: alerted now, added to an aggregation sent at alertTime, or already alerted before. */
export interface SinkOutcome {
  outcome: 'alerted' | 'aggregated' | 'already-alerted';
  alertTime?: string;
}

export interface MatchSink {
  accept(
    rt: RuntimeRule,
    match: Match,
    decision: { silence?: { key: string; entry: SilenceEntry } },
  ): Promise<SinkOutcome>;
}

export interface EngineGlobals {
  runEveryMs: number;
  oldQueryLimitMs: number;
}

export interface EngineDeps {
  clock: Clock;
  logger: Logger;
  writeback: WritebackStore;
  sink: MatchSink;
  search(rt: RuntimeRule): SearchPort;
  globals: EngineGlobals;
  /** Silence entries by key, shared by all rules (realert_key may be shared). */
  silenceCache: Map<string, SilenceEntry>;
}

export interface SegmentReport {
  start: string;
  end: string;
  index: string;
  query: EsQuery;
  hits: number;
  duplicates: number;
  pages: number;
  truncated: boolean;
}

export type MatchOutcome =
  | {
      match: Match;
      outcome: 'alerted' | 'aggregated' | 'already-alerted';
      /** aggregated: when the aggregate is sent */
      alertTime?: string;
      silence?: { key: string; until: string };
    }
  | { match: Match; outcome: 'dropped'; reason: string }
  | { match: Match; outcome: 'silenced'; key: string; until: string };

export interface MatchTally {
  matches: number;
  outcomes: Record<MatchOutcome['outcome'], number>;
  /** Alerted matches that set a realert silence, by silence key. */
  realertKeys: Map<string, number>;
}

export interface RunReport {
  rule: string;
  start: string;
  end: string;
  skipped?: string;
  segments: SegmentReport[];
  hits: number;
  duplicates: number;
  /** Each match and what became of it; empty with RunOptions.slimReport (see `tally`). */
  matches: MatchOutcome[];
  /** The matches counted by outcome, always. */
  tally: MatchTally;
  error?: EsalertError;
  /** End of the last segment that completed (the resume point). */
  completedTo: string | undefined;
  timeTakenMs: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Explicit start (backfill / test-rule). */
  start?: number;
  /** Keep the per-segment queries in the report (explain). */
  recordQueries?: boolean;
  /** Do not write status documents (dry runs). */
  dryRun?: boolean;
  /**
   * Count the matches by outcome (`report.tally`) without keeping them in `report.matches`: a
   * long-running service needs the counts only, and a catch-up can find millions of matches.
   */
  slimReport?: boolean;
  /** Called after each queried segment (progress of long backfills). */
  onProgress?: (p: {
    segmentsDone: number;
    segmentsTotal: number;
    hits: number;
    from: string;
    to: string;
  }) => void;
}

/** ElastAlert 2's set_starttime: resume from the status index on the first run, else from the buffer or the previous end. */
async function chooseStart(rt: RuntimeRule, end: number, deps: EngineDeps): Promise<number> {
  const s = rt.state;
  const o = rt.rule.options;
  if (s.starttime === undefined && !o.scanEntireTimeframe) {
    const last = await deps.writeback.lastStatus(rt.rule.name);
    const lastEnd = last ? parseTimestamp(last.endtime) : undefined;
    if (lastEnd !== undefined) {
      if (deps.clock.now() - lastEnd < deps.globals.oldQueryLimitMs) {
        const resumed = withAggregationOverlap(rt, lastEnd);
        s.minimumStarttime = resumed;
        return resumed;
      }
      deps.logger.info(
        { endtime: last!.endtime },
        'previous run is older than old_query_limit; not resuming from it',
      );
    }
  }
  if (!o.useCountQuery && !o.useTermsQuery) {
    const bufferDelta = end - (o.scanEntireTimeframe ? (o.timeframeMs ?? 0) : o.bufferTimeMs);
    if (s.minimumStarttime !== undefined && s.minimumStarttime > bufferDelta) return s.minimumStarttime;
    if (s.previousEndtime !== undefined && s.previousEndtime < bufferDelta)
      return withAggregationOverlap(rt, s.previousEndtime);
    return bufferDelta;
  }
  if (o.scanEntireTimeframe) return end - (o.timeframeMs ?? 0);
  return s.previousEndtime ?? end - deps.globals.runEveryMs;
}

/** allow_buffer_time_overlap: aggregation rules resuming from a previous end look back buffer_time - run_every more. */
function withAggregationOverlap(rt: RuntimeRule, start: number): number {
  const agg = rt.ruleType.aggregationQuery;
  const o = rt.rule.options;
  if (agg?.allowBufferTimeOverlap && !agg.useRunEveryQuerySize && o.bufferTimeMs > o.runEveryMs)
    return start - (o.bufferTimeMs - o.runEveryMs);
  return start;
}

/** ElastAlert 2 splits long windows: buffer_time for hits, the global run_every for count/terms. */
function segmentSize(rt: RuntimeRule, deps: EngineDeps): number {
  const o = rt.rule.options;
  const agg = rt.ruleType.aggregationQuery;
  if (agg) return agg.useRunEveryQuerySize ? deps.globals.runEveryMs : o.bufferTimeMs;
  return o.useCountQuery || o.useTermsQuery ? deps.globals.runEveryMs : o.bufferTimeMs;
}

async function querySegment(
  rt: RuntimeRule,
  start: number,
  end: number,
  deps: EngineDeps,
  signal: AbortSignal | undefined,
): Promise<SegmentReport> {
  const o = rt.rule.options;
  const index = indexFor(o, start, end);
  const query = buildBaseQuery(o.filters, {
    field: o.timestampField,
    gt: rt.codec.write(start),
    lte: rt.codec.write(end),
  });
  const report: SegmentReport = {
    start: toIso(start),
    end: toIso(end),
    index,
    query,
    hits: 0,
    duplicates: 0,
    pages: 0,
    truncated: false,
  };
  const port = deps.search(rt);
  if (o.useCountQuery) {
    const count = await port.count(index, query, signal);
    report.hits = count;
    report.pages = 1;
    rt.ruleType.addCountData!(end, count);
    return report;
  }
  if (o.useTermsQuery) {
    const res = await port.search(
      {
        index,
        query,
        size: 0,
        aggs: { counts: { terms: { field: o.queryKey, size: o.termsSize, min_doc_count: o.minDocCount } } },
      },
      signal,
    );
    report.pages = 1;
    const buckets = (res.aggregations?.counts as { buckets?: TermsBucket[] } | undefined)?.buckets;
    if (buckets) {
      report.hits = buckets.length;
      rt.ruleType.addTermsData!(end, buckets);
    }
    return report;
  }
  const processing = {
    timestampField: o.timestampField,
    codec: rt.codec,
    ...(o.compoundQueryKey ? { compoundQueryKey: { name: o.queryKey!, fields: o.compoundQueryKey } } : {}),
    ...(o.compoundAggregationKey
      ? { compoundAggregationKey: { name: o.aggregationKey!, fields: o.compoundAggregationKey } }
      : {}),
  };
  const seen = rt.state.processedHits;
  const read = await readHits(
    port,
    {
      index,
      query,
      timestampField: o.timestampField,
      pageSize: o.maxQuerySize,
      maxPages: o.maxScrollingCount,
      sourceIncludes: o.include,
      keepAlive: o.scrollKeepalive,
    },
    (page) => {
      report.hits += page.length;
      const fresh = toRuleHits(page, processing).filter((h) => {
        const id = h.doc._id as string;
        if (seen.has(id)) {
          report.duplicates++;
          return false;
        }
        seen.set(id, h.ts);
        return true;
      });
      // hits Elasticsearch cannot leave out without a script (k8s_skip_resync); see Rule.hitFilter
      const { hitFilter } = rt.rule;
      const kept = hitFilter ? fresh.filter((h) => hitFilter(h.doc)) : fresh;
      if (kept.length > 0) rt.ruleType.addData(kept);
    },
    signal,
  );
  report.pages = read.pages;
  report.truncated = read.truncated;
  if (read.truncated) {
    deps.logger.warn(
      { window: [report.start, report.end], total: read.total, read: read.hits },
      `stopped after max_scrolling_count (${o.maxScrollingCount}) pages of max_query_size (${o.maxQuerySize}) hits; the rest of this window is not evaluated`,
    );
  }
  return report;
}

/** What persisted rule type state was built for: the type and its options. */
function stateFingerprint(rt: RuntimeRule): string {
  return createHash('sha1')
    .update(
      JSON.stringify([rt.rule.type.name, rt.rule.typeOptions ?? null, rt.rule.options.queryKey ?? null]),
    )
    .digest('hex');
}

/**
 * Once before the first run: restore the rule type's persisted state (when built for the same
 * options), or let it prepare itself (new_term scans its history).
 */
async function prepareRuleType(rt: RuntimeRule, deps: EngineDeps, options: RunOptions): Promise<void> {
  if (rt.state.prepared) return;
  const t = rt.ruleType;
  let restored = false;
  if (t.importState && !options.dryRun) {
    const saved = await deps.writeback.loadRuleState(rt.rule.name);
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
      search: deps.search(rt),
      indexFor: (from, to) => indexFor(o, from, to),
      filters: o.filters,
      timestampField: o.timestampField,
      writeTimestamp: (ms) => rt.codec.write(ms),
      historyEnd: rt.state.initialStarttime ?? options.start ?? deps.clock.now(),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  rt.state.prepared = true;
}

async function saveRuleTypeState(rt: RuntimeRule, deps: EngineDeps): Promise<void> {
  const state = rt.ruleType.exportState?.();
  if (state === undefined) return;
  const json = JSON.stringify(state);
  if (json === rt.state.savedState) return;
  await deps.writeback.saveRuleState(rt.rule.name, stateFingerprint(rt), state);
  rt.state.savedState = json;
}

/** ElastAlert 2's get_aggregation_query: query-key terms (outer), then the interval histogram, then the metric. */
function aggregationQueryBody(rt: RuntimeRule, offsetSeconds: number | undefined): Record<string, unknown> {
  const agg = rt.ruleType.aggregationQuery!;
  const o = rt.rule.options;
  let aggs: Record<string, unknown> = agg.element;
  if (agg.bucketInterval) {
    const histogram: Record<string, unknown> = {
      field: o.timestampField,
      fixed_interval: agg.bucketInterval.period,
    };
    if (offsetSeconds) histogram.offset = `+${offsetSeconds}s`;
    aggs = { interval_aggs: { date_histogram: histogram, aggs } };
  }
  if (o.queryKey) {
    for (const key of o.queryKey.split(',').reverse()) {
      aggs = {
        bucket_aggs: { terms: { field: key, size: o.termsSize, min_doc_count: o.minDocCount }, aggs },
      };
    }
  }
  return aggs;
}

async function queryAggregationSegment(
  rt: RuntimeRule,
  start: number,
  end: number,
  offsetSeconds: number | undefined,
  deps: EngineDeps,
  signal: AbortSignal | undefined,
): Promise<SegmentReport> {
  const o = rt.rule.options;
  const index = indexFor(o, start, end);
  const query = buildBaseQuery(o.filters, {
    field: o.timestampField,
    gt: rt.codec.write(start),
    lte: rt.codec.write(end),
  });
  const res = await deps
    .search(rt)
    .search(
      { index, query, size: 0, trackTotalHits: true, aggs: aggregationQueryBody(rt, offsetSeconds) },
      signal,
    );
  if (res.aggregations) rt.ruleType.addAggregationData!(end, res.aggregations);
  return {
    start: toIso(start),
    end: toIso(end),
    index,
    query,
    hits: res.total ?? 0,
    duplicates: 0,
    pages: 1,
    truncated: false,
  };
}

/** ElastAlert 2's segmentation: full segments from the start, the last one up to the end. */
export function splitWindow(start: number, end: number, segment: number): [number, number][] {
  const out: [number, number][] = [];
  let cursor = start;
  while (cursor < end) {
    const to = end - cursor > segment ? cursor + segment : end;
    out.push([cursor, to]);
    cursor = to;
  }
  return out;
}

const MAX_SEGMENTS_PER_REQUEST = 720;

/** Count/terms segments can be fetched together when the timestamp is a date field (ISO). */
function canBatchSegments(rt: RuntimeRule): boolean {
  const o = rt.rule.options;
  return (o.useCountQuery || o.useTermsQuery) && o.timestampType === 'iso' && !o.queryTimezone;
}

/**
 * Where a `gt`/`lte` bound written as `toIso(t)` really falls, as the first millisecond it
 * excludes (for lte) or includes (for gt). Elasticsearch rounds a bound without a fraction up to
 * the end of its second (`lte 03:47:00Z` includes 03:47:00.259); one with milliseconds is exact.
 */
export function effectiveEdge(t: number): number {
  return t % 1000 === 0 ? t + 1000 : t + 1;
}

/**
 * The counts (or term buckets) of many segments in one search: a date_range aggregation whose
 * ranges reproduce the per-segment queries' bounds exactly. A segment is (start, end] while a
 * date range is [from, to), so each edge is where Elasticsearch puts the per-segment query's
 * bound (see effectiveEdge), and the outer query's bounds are the first and last of those edges.
 */
async function queryAggregatedSegments(
  rt: RuntimeRule,
  segments: [number, number][],
  deps: EngineDeps,
  signal: AbortSignal | undefined,
): Promise<{ count: number; buckets: TermsBucket[] | undefined; report: SegmentReport }[]> {
  const o = rt.rule.options;
  const first = segments[0]![0];
  const last = segments.at(-1)![1];
  const index = indexFor(o, first, last);
  const query = buildBaseQuery(o.filters, {
    field: o.timestampField,
    gt: rt.codec.write(first),
    lte: rt.codec.write(last),
  });
  const ranges = segments.map(([from, to], i) => ({
    key: `s${i}`,
    from: effectiveEdge(from),
    to: effectiveEdge(to),
  }));
  const sub = o.useTermsQuery
    ? { aggs: { counts: { terms: { field: o.queryKey, size: o.termsSize, min_doc_count: o.minDocCount } } } }
    : {};
  const res = await deps.search(rt).search(
    {
      index,
      query,
      size: 0,
      aggs: { segments: { date_range: { field: o.timestampField, ranges, keyed: true }, ...sub } },
    },
    signal,
  );
  const buckets = ((
    res.aggregations?.segments as
      { buckets?: Record<string, { doc_count: number; counts?: { buckets: TermsBucket[] } }> } | undefined
  )?.buckets ?? {}) as Record<string, { doc_count: number; counts?: { buckets: TermsBucket[] } }>;
  return segments.map(([from, to], i) => {
    const b = buckets[`s${i}`];
    const count = b?.doc_count ?? 0;
    const terms = o.useTermsQuery ? (b?.counts?.buckets ?? []) : undefined;
    return {
      count,
      buckets: terms,
      report: {
        start: toIso(from),
        end: toIso(to),
        index,
        query: i === 0 ? query : {},
        hits: terms ? terms.length : count,
        duplicates: 0,
        pages: i === 0 ? 1 : 0,
        truncated: false,
      },
    };
  });
}

/**
 * What ElastAlert 2 adds to a match before alerting: top_count_keys, include_rule_params_in_matches, then the
 * match_enhancements in order (an enhancement returning null drops the match; one that throws
 * is logged and skipped, as ElastAlert 2 does with EAException).
 */
async function enrichMatch(
  rt: RuntimeRule,
  match: Match,
  deps: EngineDeps,
  first: boolean,
): Promise<Match | undefined> {
  const raw = rt.rule.raw;
  const top = topCountOptions(rt);
  if (top) {
    const qk = rt.rule.options.queryKey ? lookupField(match, rt.rule.options.queryKey) : undefined;
    Object.assign(
      match,
      await topCounts(deps.search(rt), top, match, qk, (key, err) =>
        deps.logger.error({ rule: rt.rule.name, key, err: errorMessage(err) }, 'top_count_keys query failed'),
      ),
    );
  }
  const params = raw.include_rule_params_in_matches;
  if (Array.isArray(params) && (first || raw.include_rule_params_in_first_match_only !== true)) {
    for (const p of params) match[`rule_param_${String(p)}`] = raw[String(p)] ?? null;
  }
  let current: Match = match;
  const ctx = {
    rule: {
      name: rt.rule.name,
      timestampField: rt.rule.options.timestampField,
      timezone: rt.rule.options.timezone,
      options: raw,
    },
  };
  for (const e of rt.rule.enhancements) {
    try {
      const next = await e.process(current, ctx);
      if (next === null) return undefined;
      if (next !== undefined) current = next;
    } catch (err) {
      deps.logger.error(
        { enhancement: e.name, err: errorMessage(err) },
        'match enhancement failed; the match is kept as it was',
      );
    }
  }
  return current;
}

/** The query key value that keys silences: flatline's `key`, else the match's query_key field. */
function queryKeyValue(rt: RuntimeRule, match: Match): string | undefined {
  const own = rt.ruleType.silenceKeyValue?.(match);
  if (own !== undefined) return own;
  const qk = rt.rule.options.queryKey;
  if (!qk) return undefined;
  const v = lookupField(match, qk);
  return v === undefined ? undefined : pythonStr(v);
}

async function silencedUntil(
  key: string,
  deps: EngineDeps,
  checked: Set<string>,
): Promise<number | undefined> {
  const now = deps.clock.now();
  const cached = deps.silenceCache.get(key);
  // A silence this process set stands until it ends; one read from the store is read again once
  // per run, so lifting it (`esalert silence lift`) takes effect without a restart.
  if (cached && now < cached.until && (!cached.fromStore || checked.has(key))) return cached.until;
  if (checked.has(key)) return undefined;
  checked.add(key);
  const stored = await deps.writeback.silence(key);
  if (!stored) {
    if (cached?.fromStore) deps.silenceCache.delete(key);
    return undefined;
  }
  // keep the exponent we computed ourselves if we have one (ElastAlert 2 does the same)
  const own = cached && !cached.fromStore && cached.until >= stored.until;
  deps.silenceCache.set(
    key,
    own ? cached : { until: stored.until, exponent: cached?.exponent ?? stored.exponent, fromStore: true },
  );
  return now < stored.until ? stored.until : undefined;
}

/**
 * At most this many matches are held before they are handled: a catch-up or backfill that finds
 * more handles them in batches as its segments complete, so memory stays bounded (ElastAlert 2
 * holds every match of the run; docs/deviations.md).
 */
export const MATCH_BATCH = 10_000;

/** What a run's batches of matches share. */
interface MatchHandling {
  /** The next match is the run's first (include_rule_params_in_first_match_only). */
  first: boolean;
  /** The silences read from the store during this run. */
  checked: Set<string>;
  slim: boolean;
}

export function emptyTally(): MatchTally {
  return {
    matches: 0,
    outcomes: { alerted: 0, aggregated: 0, 'already-alerted': 0, dropped: 0, silenced: 0 },
    realertKeys: new Map(),
  };
}

function noteOutcome(report: RunReport, m: MatchOutcome, slim: boolean): void {
  const t = report.tally;
  t.matches++;
  t.outcomes[m.outcome]++;
  if (m.outcome === 'alerted' && m.silence)
    t.realertKeys.set(m.silence.key, (t.realertKeys.get(m.silence.key) ?? 0) + 1);
  if (!slim) report.matches.push(m);
}

async function handleMatches(
  rt: RuntimeRule,
  matches: Match[],
  hits: number,
  deps: EngineDeps,
  report: RunReport,
  handling: MatchHandling,
): Promise<void> {
  const o = rt.rule.options;
  const { checked } = handling;
  for (const match of matches) {
    match.num_hits = hits;
    match.num_matches = matches.length;
    const key = silenceKey(o.realertKey, queryKeyValue(rt, match));
    const until =
      (await silencedUntil(key, deps, checked)) ??
      (await silencedUntil(ruleSilenceKey(rt.rule.name), deps, checked));
    if (until !== undefined) {
      deps.logger.debug({ key, until: toIso(until) }, 'match suppressed: silenced');
      noteOutcome(report, { match, outcome: 'silenced', key, until: toIso(until) }, handling.slim);
      continue;
    }
    let silence: { key: string; entry: SilenceEntry } | undefined;
    if (o.realertMs > 0) {
      const entry = nextAlertTime(
        o.realertMs,
        o.exponentialRealertMs,
        deps.silenceCache.get(key),
        deps.clock.now(),
      );
      deps.silenceCache.set(key, entry);
      silence = { key, entry };
    }
    const enriched = await enrichMatch(rt, match, deps, handling.first);
    handling.first = false;
    if (!enriched) {
      noteOutcome(
        report,
        { match, outcome: 'dropped', reason: 'a match enhancement dropped it' },
        handling.slim,
      );
      continue;
    }
    const sunk = await deps.sink.accept(rt, enriched, silence ? { silence } : {});
    noteOutcome(
      report,
      {
        match,
        outcome: sunk.outcome,
        ...(sunk.alertTime ? { alertTime: sunk.alertTime } : {}),
        ...(silence ? { silence: { key, until: toIso(silence.entry.until) } } : {}),
      },
      handling.slim,
    );
  }
}

/** An error from handling matches in the middle of a run, told apart from a failed query. */
class HandlingFailure {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

export async function runRule(
  rt: RuntimeRule,
  end: number,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<RunReport> {
  const started = deps.clock.now();
  const o = rt.rule.options;
  let start = options.start ?? (await chooseStart(rt, end, deps));
  // bucket_interval: align to bucket boundaries (sync) or tell the histogram where buckets start
  let offsetSeconds: number | undefined;
  const bucket = rt.ruleType.aggregationQuery?.bucketInterval;
  if (bucket) {
    const offsetMs = Math.floor(start / 1000) % Math.round(bucket.ms / 1000);
    if (rt.ruleType.aggregationQuery!.syncBucketInterval) start -= offsetMs * 1000;
    else offsetSeconds = offsetMs;
  }
  rt.state.starttime = start;
  const report: RunReport = {
    rule: rt.rule.name,
    start: toIso(start),
    end: toIso(end),
    segments: [],
    hits: 0,
    duplicates: 0,
    matches: [],
    tally: emptyTally(),
    completedTo: undefined,
    timeTakenMs: 0,
  };
  if (deps.clock.now() <= start) {
    report.skipped = 'the query would start in the future';
    deps.logger.warn({ start: report.start }, 'query start time is in the future; skipping this run');
    return report;
  }
  const size = segmentSize(rt, deps);
  let segments = splitWindow(start, end, size);
  if (rt.ruleType.aggregationQuery) {
    // aggregation rules query whole segments only: a shorter tail waits for the next run
    segments = segments.filter(([from, to]) => to - from === size);
    if (segments.length === 0) {
      report.skipped = 'the window is shorter than one aggregation segment';
      rt.state.starttime = undefined;
      return report;
    }
    report.end = toIso(segments.at(-1)![1]);
  }
  let completed: number | undefined;
  const handling: MatchHandling = { first: true, checked: new Set(), slim: options.slimReport === true };
  const pending: Match[] = [];
  /** Handles the rule type's matches once at least `min` are waiting. */
  const handlePending = async (min: number) => {
    for (const m of rt.ruleType.takeMatches()) pending.push(m);
    if (pending.length === 0 || pending.length < min) return;
    await handleMatches(rt, pending.splice(0), report.hits, deps, report, handling);
  };
  // ElastAlert 2 garbage-collects an aggregation rule after each segment but one that ends the run's
  // window exactly (so never in a normal one-segment run); other rules after every segment.
  const collectAfter = (to: number) => !rt.ruleType.aggregationQuery || to < end;
  const commit = async (seg: SegmentReport, to: number) => {
    if (!options.recordQueries) seg.query = {};
    report.segments.push(seg);
    report.hits += seg.hits;
    report.duplicates += seg.duplicates;
    if (collectAfter(to)) rt.ruleType.garbageCollect(to);
    completed = to;
    options.onProgress?.({
      segmentsDone: report.segments.length,
      segmentsTotal: segments.length,
      hits: report.hits,
      from: seg.start,
      to: seg.end,
    });
    try {
      await handlePending(MATCH_BATCH);
    } catch (err) {
      throw new HandlingFailure(err);
    }
  };
  try {
    await prepareRuleType(rt, deps, options);
    if (canBatchSegments(rt) && segments.length > 1) {
      // count/terms over many segments (a backfill, a catch-up): one aggregation per chunk of segments
      for (let i = 0; i < segments.length; i += MAX_SEGMENTS_PER_REQUEST) {
        const chunk = segments.slice(i, i + MAX_SEGMENTS_PER_REQUEST);
        const results = await queryAggregatedSegments(rt, chunk, deps, options.signal);
        for (const [k, r] of results.entries()) {
          const to = chunk[k]![1];
          if (rt.rule.options.useCountQuery) rt.ruleType.addCountData!(to, r.count);
          else if (r.buckets) rt.ruleType.addTermsData!(to, r.buckets);
          await commit(r.report, to);
        }
      }
    } else if (rt.ruleType.aggregationQuery) {
      for (const [from, to] of segments)
        await commit(await queryAggregationSegment(rt, from, to, offsetSeconds, deps, options.signal), to);
    } else {
      for (const [from, to] of segments)
        await commit(await querySegment(rt, from, to, deps, options.signal), to);
    }
    if (start === end) {
      rt.ruleType.garbageCollect(end);
      completed = end;
    }
  } catch (err) {
    // handling matches failed (not the query): as when it fails at the end of the run
    if (err instanceof HandlingFailure) throw err.cause;
    report.error =
      err instanceof EsalertError
        ? err
        : new EsalertError('INTERNAL', `error running rule: ${errorMessage(err)}`, { cause: err });
  }
  await handlePending(0);

  report.timeTakenMs = deps.clock.now() - started;
  if (completed !== undefined) {
    report.completedTo = toIso(completed);
    rt.state.previousEndtime = completed;
    if (!options.dryRun) {
      await saveRuleTypeState(rt, deps);
      await deps.writeback.writeStatus({
        rule_name: rt.rule.name,
        starttime: report.start,
        endtime: report.completedTo,
        matches: report.tally.matches,
        hits: report.hits,
        time_taken: report.timeTakenMs / 1000,
        '@timestamp': toIso(deps.clock.now()),
      });
    }
  }
  if (report.error) {
    deps.logger.error(
      { err: report.error.message, window: [report.start, report.end] },
      `error running rule ${rt.rule.name}`,
    );
    if (!options.dryRun) {
      await deps.writeback
        .writeError(
          `Error running rule ${rt.rule.name}: ${report.error.message}`,
          { rule: rt.rule.name },
          toIso(deps.clock.now()),
        )
        .catch((e: unknown) =>
          deps.logger.error({ err: errorMessage(e) }, 'could not record the error in the writeback index'),
        );
    }
  }
  // forget _ids older than the overlap can bring back
  const horizon = deps.clock.now() - o.bufferTimeMs - o.queryDelayMs;
  for (const [id, ts] of rt.state.processedHits) if (ts < horizon) rt.state.processedHits.delete(id);
  return report;
}
