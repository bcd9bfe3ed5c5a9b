/**
 * One run of one rule, as an orchestrator of pure pieces: plan the window (window.ts), query it
 * segment by segment in the rule's query mode (query-mode.ts, segment-queries.ts), read what
 * comes back into the rule type (read-segment.ts), hand its matches on to the alert path (the
 * MatchSink, src/alerts/), and record the run (run status, rule type state, errors).
 *
 * A query that fails ends the run: the segments already queried count (their matches are
 * handled and the status records where they end), the failed segment and everything after it is
 * queried again next run. A failed query is never taken for "no events".
 */
import type { Logger } from 'pino';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import type { Clock } from '../model/clock.ts';
import type { Match } from '../model/match.ts';
import type { SearchPort } from '../query/search-port.ts';
import type { Stores } from '../state/writeback.ts';
import { parseTimestamp, toIso } from '../util/time.ts';
import {
  hitProcessing,
  readAggregationSegment,
  readBatchedSegments,
  readSegment,
  type SegmentRead,
} from './read-segment.ts';
import { prepareRuleType, saveRuleTypeState } from './rule-type-state.ts';
import {
  emptyTally,
  type MatchOutcome,
  noteOutcome,
  type RunReport,
  type SegmentReport,
} from './run-report.ts';
import type { RuntimeRule } from './runtime-rule.ts';
import { completeMatches } from './complete-matches.ts';
import { canBatchSegments, MAX_SEGMENTS_PER_REQUEST } from './segment-queries.ts';
import {
  alignToBuckets,
  collectsAfter,
  planSegments,
  planStart,
  readsResumePoint,
  segmentSize,
} from './window.ts';

/** One run's way out for its matches, in order. */
export interface RunSink {
  accept(match: Match): Promise<MatchOutcome>;
  /** After the run's last match, with where its window was queried to (send_resolved). */
  finish?(completedTo: number | undefined): Promise<void>;
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

/**
 * At most this many matches are held before they are handled: a catch-up or backfill that finds
 * more handles them in batches as its segments complete, so memory stays bounded (ElastAlert 2
 * holds every match of the run; docs/deviations.md).
 */
export const MATCH_BATCH = 10_000;

/** Fields every run adds to each of its matches (alert text may name them, as in ElastAlert 2). */
export const RUN_MATCH_FIELDS = ['num_hits', 'num_matches'] as const;

/** An error from handling matches in the middle of a run, told apart from a failed query. */
class HandlingFailure {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
  }
}

/** Where this run starts: --start, else ElastAlert 2's set_starttime (reading the status index on a first run). */
async function chooseStart(
  rt: RuntimeRule,
  end: number,
  deps: EngineDeps,
  signal: AbortSignal | undefined,
): Promise<number> {
  const last = readsResumePoint(rt.state, rt.rule.options)
    ? await deps.stores.status.lastStatus(rt.rule.name, signal)
    : undefined;
  const planned = planStart({
    end,
    now: deps.clock.now(),
    state: rt.state,
    options: rt.rule.options,
    mode: rt.mode,
    runEveryMs: deps.globals.runEveryMs,
    oldQueryLimitMs: deps.globals.oldQueryLimitMs,
    lastEnd: last ? parseTimestamp(last.endtime) : undefined,
  });
  if (planned.minimumStarttime !== undefined) rt.state.minimumStarttime = planned.minimumStarttime;
  if (planned.stale)
    deps.logger.info(
      { endtime: last!.endtime },
      'previous run is older than old_query_limit; not resuming from it',
    );
  return planned.start;
}

export async function runRule(
  rt: RuntimeRule,
  end: number,
  deps: EngineDeps,
  options: RunOptions = {},
): Promise<RunReport> {
  const started = deps.clock.now();
  const o = rt.rule.options;
  const mode = rt.mode;
  // bucket_interval: align to bucket boundaries (sync) or tell the histogram where buckets start
  const { start, offsetSeconds } = alignToBuckets(
    options.start ?? (await chooseStart(rt, end, deps, options.signal)),
    mode,
  );
  rt.state.starttime = start;
  const report: RunReport = {
    rule: rt.rule.name,
    start: toIso(start),
    end: toIso(end),
    segments: [],
    hits: 0,
    duplicates: 0,
    unreadable: 0,
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
  const segments = planSegments(start, end, segmentSize(mode, o, deps.globals.runEveryMs), mode);
  if (mode.kind === 'aggregation') {
    if (segments.length === 0) {
      report.skipped = 'the window is shorter than one aggregation segment';
      rt.state.starttime = undefined;
      return report;
    }
    report.end = toIso(segments.at(-1)![1]);
  }
  let completed: number | undefined;
  const port = deps.search(rt);
  const read: SegmentRead = {
    port,
    logger: deps.logger,
    signal: options.signal,
    processing: hitProcessing(rt),
  };
  const sink = deps.sink.startRun(rt, { search: port, logger: deps.logger });
  const slim = options.slimReport === true;
  const pending: Match[] = [];
  /** Hands the rule type's matches on once at least `min` are waiting. */
  const handlePending = async (min: number) => {
    for (const m of rt.ruleType.takeMatches()) pending.push(m);
    if (pending.length === 0 || pending.length < min) return;
    const batch = pending.splice(0);
    if (rt.rule.hitFields) await completeMatches(batch, read);
    for (const match of batch) {
      match.num_hits = report.hits;
      match.num_matches = batch.length;
      noteOutcome(report, await sink.accept(match), slim);
    }
  };
  const commit = async (seg: SegmentReport, to: number) => {
    if (!options.recordQueries) seg.query = {};
    report.segments.push(seg);
    report.hits += seg.hits;
    report.duplicates += seg.duplicates;
    report.unreadable = (report.unreadable ?? 0) + (seg.unreadable ?? 0);
    if (collectsAfter(mode, to, end)) rt.ruleType.garbageCollect(to);
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
    await prepareRuleType(
      rt,
      { clock: deps.clock, logger: deps.logger, ruleState: deps.stores.ruleState, search: port },
      options.start,
      options.signal,
    );
    if ((mode.kind === 'count' || mode.kind === 'terms') && canBatchSegments(o) && segments.length > 1) {
      // count/terms over many segments (a backfill, a catch-up): one aggregation per chunk of segments
      for (let i = 0; i < segments.length; i += MAX_SEGMENTS_PER_REQUEST) {
        const chunk = segments.slice(i, i + MAX_SEGMENTS_PER_REQUEST);
        for (const r of await readBatchedSegments(rt, mode, chunk, read)) {
          r.feed();
          await commit(r.report, r.to);
        }
      }
    } else if (mode.kind === 'aggregation') {
      for (const [from, to] of segments)
        await commit(await readAggregationSegment(rt, mode, from, to, offsetSeconds, read), to);
    } else {
      for (const [from, to] of segments) await commit(await readSegment(rt, mode, from, to, read), to);
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
  await sink.finish?.(completed);

  report.timeTakenMs = deps.clock.now() - started;
  if (completed !== undefined) {
    report.completedTo = toIso(completed);
    rt.state.previousEndtime = completed;
    await saveRuleTypeState(rt, deps.stores.ruleState);
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
