/**
 * One run of one rule: choose the window, query it segment by segment, feed the rule type, then
 * hand each match on to the alert path (src/alerts/), and record the run.
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
import type { Stores } from '../state/writeback.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import type { RuntimeRule } from './runtime-rule.ts';

/** What became of a match: alerted, aggregated, alerted before, dropped by an enhancement, or silenced. */
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

/** One run's way out for its matches, in order. */
export interface RunSink {
  accept(match: Match): Promise<MatchOutcome>;
}

/** Where matches go: the alert path (src/alerts/), which silences, enriches, records and sends them. */
export interface MatchSink {
  /** The matches of one run of a rule; top counts query the run's search port. */
  startRun(rt: RuntimeRule, run: { search: SearchPort; logger: Logger }): RunSink;
}

export interface EngineGlobals {
  runEveryMs: number;
  oldQueryLimitMs: number;
}

export interface EngineDeps {
  clock: Clock;
  logger: Logger;
  /** Where runs resume from and what they record (the live writeback, or memory). */
  stores: Pick<Stores, 'status' | 'ruleState' | 'errors'>;
  sink: MatchSink;
  search(rt: RuntimeRule): SearchPort;
  globals: EngineGlobals;
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
async function chooseStart(
  rt: RuntimeRule,
  end: number,
  deps: EngineDeps,
  signal: AbortSignal | undefined,
): Promise<number> {
  const s = rt.state;
  const o = rt.rule.options;
  if (s.starttime === undefined && !o.scanEntireTimeframe) {
    const last = await deps.stores.status.lastStatus(rt.rule.name, signal);
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
  if (t.importState) {
    const saved = await deps.stores.ruleState.loadRuleState(rt.rule.name, options.signal);
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
  await deps.stores.ruleState.saveRuleState(rt.rule.name, stateFingerprint(rt), state);
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
 * At most this many matches are held before they are handled: a catch-up or backfill that finds
 * more handles them in batches as its segments complete, so memory stays bounded (ElastAlert 2
 * holds every match of the run; docs/deviations.md).
 */
export const MATCH_BATCH = 10_000;

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
  matches: Match[],
  hits: number,
  sink: RunSink,
  report: RunReport,
  slim: boolean,
): Promise<void> {
  for (const match of matches) {
    match.num_hits = hits;
    match.num_matches = matches.length;
    noteOutcome(report, await sink.accept(match), slim);
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
  let start = options.start ?? (await chooseStart(rt, end, deps, options.signal));
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
  const sink = deps.sink.startRun(rt, { search: deps.search(rt), logger: deps.logger });
  const slim = options.slimReport === true;
  const pending: Match[] = [];
  /** Hands the rule type's matches on once at least `min` are waiting. */
  const handlePending = async (min: number) => {
    for (const m of rt.ruleType.takeMatches()) pending.push(m);
    if (pending.length === 0 || pending.length < min) return;
    await handleMatches(pending.splice(0), report.hits, sink, report, slim);
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
    await saveRuleTypeState(rt, deps);
    await deps.stores.status.writeStatus({
      rule_name: rt.rule.name,
      starttime: report.start,
      endtime: report.completedTo,
      matches: report.tally.matches,
      hits: report.hits,
      time_taken: report.timeTakenMs / 1000,
      '@timestamp': toIso(deps.clock.now()),
    });
  }
  if (report.error) {
    deps.logger.error(
      { err: report.error.message, window: [report.start, report.end] },
      `error running rule ${rt.rule.name}`,
    );
    await deps.stores.errors
      .writeError(
        `Error running rule ${rt.rule.name}: ${report.error.message}`,
        { rule: rt.rule.name },
        toIso(deps.clock.now()),
      )
      .catch((e: unknown) =>
        deps.logger.error({ err: errorMessage(e) }, 'could not record the error in the writeback index'),
      );
  }
  // forget _ids older than the overlap can bring back
  const horizon = deps.clock.now() - o.bufferTimeMs - o.queryDelayMs;
  for (const [id, ts] of rt.state.processedHits) if (ts < horizon) rt.state.processedHits.delete(id);
  return report;
}
