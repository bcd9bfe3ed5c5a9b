/** Window planning and the query mode, as pure functions. */
import { describe, expect, it } from 'vitest';
import { queryModeOf, type QueryMode } from '../../../src/engine/query-mode.ts';
import { newRunState } from '../../../src/engine/runtime-rule.ts';
import { batchedSegmentResults, effectiveEdge } from '../../../src/engine/segment-queries.ts';
import {
  alignToBuckets,
  collectsAfter,
  planSegments,
  planStart,
  readsResumePoint,
  segmentSize,
} from '../../../src/engine/window.ts';
import type { RuleOptions } from '../../../src/model/rule-options.ts';
import type { RuleTypeInstance } from '../../../src/ruletypes/rule-type.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';

const MINUTE = 60_000;
const END = Date.parse('2024-05-14T12:00:00Z');

const options = (extra: Record<string, unknown> = {}): RuleOptions =>
  compileTestRule({
    name: 'r',
    type: 'frequency',
    index: 'x',
    num_events: 1,
    timeframe: { minutes: 30 },
    alert: ['debug'],
    buffer_time: { minutes: 15 },
    run_every: { minutes: 5 },
    ...extra,
  }).options;

const hits: QueryMode = { kind: 'hits' };
const count: QueryMode = { kind: 'count', addCountData: () => {} };
const aggregation = (spec: Record<string, unknown> = {}): QueryMode => ({
  kind: 'aggregation',
  spec: { element: {}, ...spec },
  addAggregationData: () => {},
});

const start = (o: RuleOptions, mode: QueryMode, state = newRunState(), lastEnd?: number) =>
  planStart({
    end: END,
    now: END + MINUTE,
    state,
    options: o,
    mode,
    runEveryMs: MINUTE,
    oldQueryLimitMs: 7 * 86_400_000,
    lastEnd,
  });

describe('where a run starts', () => {
  it('a first run resumes where the status index says the last one ended, when recent', () => {
    const o = options();
    expect(readsResumePoint(newRunState(), o)).toBe(true);
    expect(start(o, hits, newRunState(), END - 3 * MINUTE)).toEqual({
      start: END - 3 * MINUTE,
      minimumStarttime: END - 3 * MINUTE,
    });
    expect(start(o, hits, newRunState(), END - 8 * 86_400_000)).toEqual({
      start: END - 15 * MINUTE,
      stale: true,
    });
  });

  it('hits rules look back buffer_time; count rules continue from the previous end', () => {
    const o = options();
    const state = { ...newRunState(), starttime: END - 10 * MINUTE, previousEndtime: END - 2 * MINUTE };
    expect(start(o, hits, state)).toEqual({ start: END - 15 * MINUTE });
    expect(start(o, count, state)).toEqual({ start: END - 2 * MINUTE });
    expect(start(o, count, { ...state, previousEndtime: undefined })).toEqual({ start: END - MINUTE });
  });

  it('scan_entire_timeframe looks back the whole timeframe and reads no resume point', () => {
    const o = options({ scan_entire_timeframe: true });
    expect(readsResumePoint(newRunState(), o)).toBe(false);
    expect(start(o, hits)).toEqual({ start: END - 30 * MINUTE });
    expect(start(o, count)).toEqual({ start: END - 30 * MINUTE });
  });

  it('allow_buffer_time_overlap: an aggregation rule resuming looks back buffer_time - run_every more', () => {
    const o = options();
    const mode = aggregation({ allowBufferTimeOverlap: true });
    expect(start(o, mode, newRunState(), END - 6 * MINUTE).start).toBe(END - 6 * MINUTE - 10 * MINUTE);
    // resumed sooner than that, it reads the last whole segment (below)
    expect(start(o, mode, newRunState(), END - 3 * MINUTE).start).toBe(END - 15 * MINUTE);
  });

  it('an aggregation rule resumed less than a segment after its last run reads the last whole segment', () => {
    const o = options();
    const mode = aggregation();
    // ElastAlert 2 would start at the last end and skip every run until buffer_time had passed
    const resumed = start(o, mode, newRunState(), END - 3 * MINUTE);
    expect(resumed).toEqual({ start: END - 15 * MINUTE, minimumStarttime: END - 15 * MINUTE });
    expect(planSegments(resumed.start, END, segmentSize(mode, o, MINUTE), mode)).toEqual([
      [END - 15 * MINUTE, END],
    ]);
    // the next run is a steady one: the buffer back from its end, one whole segment again
    const next = { ...newRunState(), starttime: resumed.start, minimumStarttime: resumed.start };
    const later = planStart({
      end: END + 5 * MINUTE,
      now: END + 5 * MINUTE,
      state: { ...next, previousEndtime: END },
      options: o,
      mode,
      runEveryMs: MINUTE,
      oldQueryLimitMs: 7 * 86_400_000,
      lastEnd: undefined,
    });
    expect(later).toEqual({ start: END - 10 * MINUTE });
    // a last run a segment or more ago: it catches up from there, as ElastAlert 2 does
    expect(start(o, mode, newRunState(), END - 40 * MINUTE)).toEqual({
      start: END - 40 * MINUTE,
      minimumStarttime: END - 40 * MINUTE,
    });
    // use_run_every_query_size: the segment is the global run_every
    expect(start(o, aggregation({ useRunEveryQuerySize: true }), newRunState(), END - MINUTE / 2).start).toBe(
      END - MINUTE,
    );
    // rules of other kinds resume at the last end
    expect(start(o, hits, newRunState(), END - 3 * MINUTE).start).toBe(END - 3 * MINUTE);
  });
});

describe('buckets and segments', () => {
  it('bucket_interval: the start moves to a bucket boundary, or the histogram is told its offset', () => {
    const bucket = { ms: 5 * MINUTE, period: '5m' };
    const at = END + 2 * MINUTE + 7000;
    expect(alignToBuckets(at, aggregation({ bucketInterval: bucket, syncBucketInterval: true }))).toEqual({
      start: END,
    });
    expect(alignToBuckets(at, aggregation({ bucketInterval: bucket }))).toEqual({
      start: at,
      offsetSeconds: 127,
    });
    expect(alignToBuckets(at, hits)).toEqual({ start: at });
  });

  it('segments are buffer_time for hits and run_every for counts; aggregation rules keep whole ones', () => {
    const o = options();
    expect(segmentSize(hits, o, MINUTE)).toBe(15 * MINUTE);
    expect(segmentSize(count, o, MINUTE)).toBe(MINUTE);
    expect(planSegments(END - 40 * MINUTE, END, 15 * MINUTE, hits)).toEqual([
      [END - 40 * MINUTE, END - 25 * MINUTE],
      [END - 25 * MINUTE, END - 10 * MINUTE],
      [END - 10 * MINUTE, END],
    ]);
    expect(planSegments(END - 40 * MINUTE, END, 15 * MINUTE, aggregation())).toHaveLength(2);
    expect(collectsAfter(aggregation(), END, END)).toBe(false);
    expect(collectsAfter(aggregation(), END - 1, END)).toBe(true);
    expect(collectsAfter(hits, END, END)).toBe(true);
  });

  it('batched count segments: each edge falls where Elasticsearch puts the per-segment bound', () => {
    expect(effectiveEdge(END)).toBe(END + 1000);
    expect(effectiveEdge(END + 259)).toBe(END + 260);
    const aggs = { segments: { buckets: { s0: { doc_count: 3 }, s2: { doc_count: 1 } } } };
    expect(batchedSegmentResults(aggs, 3, false)).toEqual([
      { count: 3, buckets: undefined },
      { count: 0, buckets: undefined },
      { count: 1, buckets: undefined },
    ]);
  });
});

describe('the query mode', () => {
  const instance = (extra: Partial<RuleTypeInstance> = {}): RuleTypeInstance => ({
    addData: () => {},
    garbageCollect: () => {},
    takeMatches: () => [],
    matchText: () => '',
    ...extra,
  });

  it('is the aggregation, a count, term buckets or the hits, with what the rule type is given back', () => {
    const got: unknown[] = [];
    const t = instance({
      addCountData: (end, n) => got.push(['count', end, n]),
      addTermsData: (end, b) => got.push(['terms', end, b]),
    });
    const c = queryModeOf(options({ use_count_query: true }), 'frequency', t);
    expect(c.kind).toBe('count');
    if (c.kind === 'count') c.addCountData(1, 2);
    const terms = queryModeOf(options({ use_terms_query: true, query_key: 'pod' }), 'frequency', t);
    expect(terms).toMatchObject({ kind: 'terms', field: 'pod' });
    expect(queryModeOf(options(), 'frequency', t).kind).toBe('hits');
    expect(got).toEqual([['count', 1, 2]]);
  });

  it('a rule type that lacks what its mode needs is refused when the rule is set up, not mid-run', () => {
    expect(() => queryModeOf(options({ use_count_query: true }), 'custom', instance())).toThrow(
      /the custom rule type does not implement addCountData/,
    );
  });
});
