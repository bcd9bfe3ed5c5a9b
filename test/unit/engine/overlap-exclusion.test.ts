/**
 * Runs that look back buffer_time read most of their window again. The documents earlier runs
 * processed are left out of the hits by a post_filter (Elasticsearch neither fetches nor sends
 * them), counted by an aggregation and reported as hits already seen; what the rule is given, and
 * the alerts, are the same as when they come back and are dropped.
 */
import { describe, expect, it } from 'vitest';
import { MAX_EXCLUDED_IDS, processedInWindow } from '../../../src/engine/read-segment.ts';
import { createMemorySearchPort, type MemoryDocument } from '../../../src/query/memory/memory-search-port.ts';
import type { EsQuery } from '../../../src/query/filters.ts';
import { readHits } from '../../../src/query/hits-reader.ts';
import type { SearchRequest } from '../../../src/query/search-port.ts';
import { toIso } from '../../../src/util/time.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';
import { runRuleLive } from '../../support/live-rule-run.ts';

const T0 = Date.parse('2024-05-14T10:00:00Z');

/** The _ids a request leaves out of its hits with a post_filter (none when it leaves out nothing). */
function excludedBy(req: SearchRequest): string[] {
  const mustNot = (req.postFilter as { bool?: { must_not?: { ids?: { values: string[] } }[] } } | undefined)
    ?.bool?.must_not;
  return mustNot?.flatMap((q) => q.ids?.values ?? []) ?? [];
}

/** A BackOff event every 20 s over `minutes`, pods alternating, the first at T0 + 10 s. */
function events(minutes: number): MemoryDocument[] {
  return Array.from({ length: minutes * 3 }, (_, i) => ({
    _id: `ev-${i}`,
    _source: {
      '@timestamp': new Date(T0 + 10_000 + i * 20_000).toISOString(),
      reason: i % 4 === 3 ? 'Pulled' : 'BackOff',
      pod: `web-${i % 2}`,
    },
  }));
}

function runLive(docs: MemoryDocument[], minutes: number) {
  return runRuleLive(
    compileTestRule({
      name: 'backoff',
      type: 'any',
      index: 'events',
      filter: [{ query: { query_string: { query: 'reason:BackOff' } } }],
      realert: { minutes: 0 },
      run_every: { minutes: 1 },
      buffer_time: { minutes: 5 },
      alert: ['debug'],
    }),
    docs,
    T0,
    minutes,
  );
}

describe('documents earlier runs processed', () => {
  it('are left out of the next runs, which still count them as hits, and each is alerted once', async () => {
    const docs = events(8);
    const { requests, sent, statuses } = await runLive(docs, 8);
    expect(statuses.length).toBeGreaterThanOrEqual(8);

    const backoff = docs.filter((d) => d._source.reason === 'BackOff');
    const tsOf = (d: MemoryDocument) => Date.parse(d._source['@timestamp'] as string);
    // every BackOff event up to the last run's end alerted exactly once, in order
    const lastEnd = Date.parse(statuses.at(-1)!.endtime);
    expect(sent.map((a) => a.matches[0]!._id)).toEqual(
      backoff.filter((d) => tsOf(d) <= lastEnd).map((d) => d._id),
    );

    for (const [i, s] of statuses.entries()) {
      const [start, end] = [Date.parse(s.starttime), Date.parse(s.endtime)];
      const inWindow = backoff.filter((d) => tsOf(d) > start && tsOf(d) <= end).map((d) => d._id);
      // hits: every matching document of the window, as if the overlap had been read again
      expect(s.hits).toBe(inWindow.length);
      // the request left out exactly those of them an earlier run had processed
      const processedBefore = backoff
        .filter((d) => i > 0 && tsOf(d) <= Date.parse(statuses[i - 1]!.endtime))
        .map((d) => d._id);
      expect(excludedBy(requests[i]!).sort()).toEqual(
        inWindow.filter((id) => processedBefore.includes(id)).sort(),
      );
    }
    // the overlap was really there: later runs left documents out, and only the first page counted them
    expect(requests.slice(2).every((r) => excludedBy(r).length > 0)).toBe(true);
    expect(requests.slice(2).every((r) => r.aggs !== undefined)).toBe(true);
  });

  it('only those inside the window, oldest first, at most the limit', () => {
    const seen = new Map<string, number>([
      ['a', 100],
      ['b', 200],
      ['c', 300],
      ['d', 400],
    ]);
    expect(processedInWindow(seen, 100, 300)).toEqual(['b', 'c']); // (start, end]
    expect(processedInWindow(seen, 0, 1000, 2)).toEqual(['a', 'b']);
    const many = new Map(Array.from({ length: MAX_EXCLUDED_IDS + 5 }, (_, i) => [`id${i}`, i + 1]));
    expect(processedInWindow(many, 0, Infinity)).toHaveLength(MAX_EXCLUDED_IDS);
  });
});

describe('reading a window without the excluded documents', () => {
  const docs: MemoryDocument[] = Array.from({ length: 7 }, (_, i) => ({
    _id: `d${i}`,
    _source: { '@timestamp': new Date(T0 + i * 1000).toISOString(), n: i },
  }));
  const query: EsQuery = { range: { '@timestamp': { gte: toIso(T0) } } };

  it('pages past them through a point in time and counts how many of them match', async () => {
    const port = createMemorySearchPort(docs);
    const pages: string[][] = [];
    const read = await readHits(
      port,
      {
        index: 'events',
        query,
        timestampField: '@timestamp',
        pageSize: 2,
        maxPages: 0,
        sourceIncludes: undefined,
        keepAlive: '1m',
        exclude: ['d1', 'd2', 'd5', 'not-there'],
      },
      (page) => void pages.push(page.map((h) => h._id)),
    );
    // (the second page starts again at the first page's last timestamp: d3 comes twice, as any
    // document at that time does, and the engine's _id check drops it)
    expect([...new Set(pages.flat())]).toEqual(['d0', 'd3', 'd4', 'd6']);
    expect(read).toMatchObject({ hits: pages.flat().length, excluded: 3, truncated: false });
  });

  it('post_filter: the hits and their total only; the aggregations see every match', async () => {
    const port = createMemorySearchPort(docs);
    const res = await port.search({
      index: 'events',
      query,
      size: 10,
      trackTotalHits: true,
      postFilter: { bool: { must_not: [{ ids: { values: ['d0', 'd6'] } }] } },
      aggs: { all: { value_count: { field: 'n' } } },
    });
    expect(res.hits.map((h) => h._id)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(res.total).toBe(5);
    expect(res.aggregations).toEqual({ all: { value: 7 } });
  });
});
