/**
 * Window planning, pure: where a run starts (ElastAlert 2's set_starttime), how the window is
 * aligned to aggregation buckets, and how it is cut into segments.
 */
import type { RuleOptions } from '../model/rule-options.ts';
import type { QueryMode } from './query-mode.ts';
import type { RunState } from './runtime-rule.ts';

/** The first run of a rule reads where the last run (of any process) ended, unless it scans its whole timeframe. */
export function readsResumePoint(state: RunState, o: RuleOptions): boolean {
  return state.starttime === undefined && !o.scanEntireTimeframe;
}

/** allow_buffer_time_overlap: aggregation rules resuming from a previous end look back buffer_time - run_every more. */
export function withAggregationOverlap(mode: QueryMode, o: RuleOptions, start: number): number {
  if (mode.kind !== 'aggregation') return start;
  const agg = mode.spec;
  if (agg.allowBufferTimeOverlap && !agg.useRunEveryQuerySize && o.bufferTimeMs > o.runEveryMs)
    return start - (o.bufferTimeMs - o.runEveryMs);
  return start;
}

export interface StartInputs {
  end: number;
  now: number;
  state: RunState;
  options: RuleOptions;
  mode: QueryMode;
  runEveryMs: number;
  oldQueryLimitMs: number;
  /** The end of the last run in the status index (only read when readsResumePoint). */
  lastEnd: number | undefined;
}

export interface PlannedStart {
  start: number;
  /** Resumed from the status index: never query before this. */
  minimumStarttime?: number;
  /** The last run in the status index is older than old_query_limit and was not resumed from. */
  stale?: boolean;
}

/** ElastAlert 2's set_starttime: resume from the status index on the first run, else from the buffer or the previous end. */
export function planStart(i: StartInputs): PlannedStart {
  const { state: s, options: o, mode, end } = i;
  let stale = false;
  if (i.lastEnd !== undefined) {
    if (i.now - i.lastEnd < i.oldQueryLimitMs) {
      let resumed = withAggregationOverlap(mode, o, i.lastEnd);
      // An aggregation rule queries whole segments only: resumed less than one segment after the
      // last run's end (a restart, a rule moving to another instance), it would wait until a whole
      // segment had passed, up to buffer_time without a run. It reads the last whole segment
      // instead, the window the stopped process's next run would have read (docs/deviations.md).
      if (mode.kind === 'aggregation') resumed = Math.min(resumed, end - segmentSize(mode, o, i.runEveryMs));
      return { start: resumed, minimumStarttime: resumed };
    }
    stale = true;
  }
  const planned = (start: number): PlannedStart => (stale ? { start, stale } : { start });
  if (mode.kind !== 'count' && mode.kind !== 'terms') {
    const bufferDelta = end - (o.scanEntireTimeframe ? (o.timeframeMs ?? 0) : o.bufferTimeMs);
    if (s.minimumStarttime !== undefined && s.minimumStarttime > bufferDelta)
      return planned(s.minimumStarttime);
    if (s.previousEndtime !== undefined && s.previousEndtime < bufferDelta)
      return planned(withAggregationOverlap(mode, o, s.previousEndtime));
    return planned(bufferDelta);
  }
  if (o.scanEntireTimeframe) return planned(end - (o.timeframeMs ?? 0));
  return planned(s.previousEndtime ?? end - i.runEveryMs);
}

/**
 * bucket_interval: with sync_bucket_interval the start moves back to a bucket boundary;
 * otherwise the histogram is told where buckets start (its offset, in seconds).
 */
export function alignToBuckets(start: number, mode: QueryMode): { start: number; offsetSeconds?: number } {
  const bucket = mode.kind === 'aggregation' ? mode.spec.bucketInterval : undefined;
  if (mode.kind !== 'aggregation' || !bucket) return { start };
  const offsetMs = Math.floor(start / 1000) % Math.round(bucket.ms / 1000);
  if (mode.spec.syncBucketInterval) return { start: start - offsetMs * 1000 };
  return { start, offsetSeconds: offsetMs };
}

/** ElastAlert 2 splits long windows: buffer_time for hits, the global run_every for count/terms. */
export function segmentSize(mode: QueryMode, o: RuleOptions, runEveryMs: number): number {
  switch (mode.kind) {
    case 'aggregation':
      return mode.spec.useRunEveryQuerySize ? runEveryMs : o.bufferTimeMs;
    case 'count':
    case 'terms':
      return runEveryMs;
    case 'hits':
      return o.bufferTimeMs;
  }
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

/** The segments a run queries; aggregation rules query whole segments only (a shorter tail waits for the next run). */
export function planSegments(start: number, end: number, size: number, mode: QueryMode): [number, number][] {
  const segments = splitWindow(start, end, size);
  return mode.kind === 'aggregation' ? segments.filter(([from, to]) => to - from === size) : segments;
}

/**
 * ElastAlert 2 garbage-collects an aggregation rule after each segment but one that ends the run's
 * window exactly (so never in a normal one-segment run); other rules after every segment.
 */
export function collectsAfter(mode: QueryMode, to: number, end: number): boolean {
  return mode.kind !== 'aggregation' || to < end;
}
