import { describe, expect, it } from 'vitest';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';
import { buildBaseQuery } from '../../../src/query/filters.ts';
import { readHits } from '../../../src/query/hits-reader.ts';
import {
  type MemoryDocument,
  createMemorySearchPort,
  filterSource,
} from '../../../src/query/memory/memory-search-port.ts';
import type { SearchHit } from '../../../src/query/search-port.ts';

const MIN = 60_000;
const t0 = Date.parse('2024-05-14T00:00:00Z');
const reasons = [
  'BackOff',
  'Killing',
  'BackOff',
  'Pulled',
  'Killing',
  'BackOff',
  'Started',
  'Killing',
  'Created',
  'Pulled',
];

/** Ten events a minute apart (two share a timestamp), in two daily indices. */
const docs: MemoryDocument[] = reasons.map((reason, i) => ({
  _id: `e${i}`,
  _index: i < 7 ? 'eventrouter-2024-05-14' : 'eventrouter-2024-05-15',
  _source: {
    '@timestamp': new Date(t0 + (i === 4 ? 3 : i) * MIN).toISOString(),
    event: { reason, count: 10 - i, involvedObject: { namespace: i % 2 ? 'prod' : 'staging' } },
    ...(i === 9 ? {} : { node: `node-${i % 3}` }),
  },
}));

const port = createMemorySearchPort(docs);
const all = { match_all: {} };
const idsOf = (hits: SearchHit[]) => hits.map((h) => h._id);

describe('the in-memory search port', () => {
  it('sorts by a field (ties by document order) and returns sort values', async () => {
    const res = await port.search({
      index: 'eventrouter-*',
      query: all,
      size: 4,
      sort: [{ '@timestamp': { order: 'asc' } }],
    });
    expect(idsOf(res.hits)).toEqual(['e0', 'e1', 'e2', 'e3']);
    expect(res.hits[0]!.sort).toEqual([t0]);
    const desc = await port.search({
      index: 'eventrouter-*',
      query: all,
      size: 3,
      sort: [{ 'event.reason.keyword': { order: 'desc' } }, { 'event.count': { order: 'asc' } }],
    });
    expect(idsOf(desc.hits)).toEqual(['e6', 'e9', 'e3']);
    expect(desc.hits[0]!.sort).toEqual(['Started', 4]);
  });

  it('puts documents missing the sort field last, either direction', async () => {
    for (const order of ['asc', 'desc'] as const) {
      const res = await port.search({
        index: '*',
        query: all,
        size: 10,
        sort: [{ 'node.keyword': { order } }],
      });
      expect(res.hits.at(-1)!._id).toBe('e9');
      expect(res.hits.at(-1)!.sort).toEqual([null]);
    }
  });

  it('pages with search_after and a point in time, as the engine does', async () => {
    const pit = await port.openPointInTime!('eventrouter-*', '1m');
    const seen: string[] = [];
    let after: unknown[] | undefined;
    for (;;) {
      const page = await port.search({
        index: 'eventrouter-*',
        query: all,
        size: 3,
        sort: [{ '@timestamp': { order: 'asc' } }, { _shard_doc: { order: 'asc' } }],
        pit: { id: pit, keepAlive: '1m' },
        ...(after ? { searchAfter: after } : {}),
      });
      expect(page.pitId).toBe(pit);
      seen.push(...idsOf(page.hits));
      if (page.hits.length < 3) break;
      after = page.hits.at(-1)!.sort;
    }
    expect(seen).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    await port.closePointInTime!(pit);
    await expect(
      port.search({ index: 'x', query: all, size: 1, pit: { id: pit, keepAlive: '1m' } }),
    ).rejects.toThrow(/point in time/);
  });

  it('serves readHits: first page, then point-in-time pages from the last timestamp', async () => {
    const pages: string[][] = [];
    const result = await readHits(
      port,
      {
        index: 'eventrouter-*',
        query: buildBaseQuery([{ term: { 'event.reason.keyword': 'BackOff' } }], {
          field: '@timestamp',
          gt: '2024-05-13T23:00:00Z',
          lte: '2024-05-14T01:00:00Z',
        }),
        timestampField: '@timestamp',
        pageSize: 1,
        maxPages: 0,
        sourceIncludes: undefined,
        keepAlive: '1m',
      },
      (hits) => {
        pages.push(idsOf(hits));
      },
    );
    // the point-in-time pages restart at the first page's last timestamp: e0 comes twice (the engine drops it)
    expect(pages.flat()).toEqual(['e0', 'e0', 'e2', 'e5']);
    expect(result).toMatchObject({ total: 3, pages: 5, hits: 4, truncated: false });
    const many: string[] = [];
    await readHits(
      port,
      {
        index: 'eventrouter-*',
        query: buildBaseQuery([], {
          field: '@timestamp',
          gt: '2024-05-13T23:00:00Z',
          lte: '2024-05-15T00:00:00Z',
        }),
        timestampField: '@timestamp',
        pageSize: 4,
        maxPages: 0,
        sourceIncludes: ['event.reason'],
        keepAlive: '1m',
      },
      (hits) => {
        many.push(...idsOf(hits));
        for (const h of hits) expect(Object.keys(h._source!)).toEqual(['event']);
      },
    );
    expect([...new Set(many)]).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  });

  it('searches only the indices named (patterns, lists, exclusions); documents without _index are in every index', async () => {
    expect(await port.count('eventrouter-2024-05-15', all)).toBe(3);
    expect(await port.count('eventrouter-2024-05-14,eventrouter-2024-05-15', all)).toBe(10);
    expect(await port.count('eventrouter-*,-eventrouter-2024-05-14', all)).toBe(3);
    expect(await port.count('other', all)).toBe(0);
    const loose = createMemorySearchPort([{ _id: 'x', _source: { a: 1 } }]);
    const res = await loose.search({ index: 'logs-*', query: all, size: 1 });
    expect(res.hits[0]).toMatchObject({ _id: 'x', _index: 'logs-*' });
  });

  it('counts total hits only when asked, and returns copies of _source', async () => {
    const res = await port.search({
      index: '*',
      query: { term: { 'event.reason.keyword': 'Killing' } },
      size: 1,
    });
    expect(res.total).toBeUndefined();
    const tracked = await port.search({
      index: '*',
      query: { term: { 'event.reason.keyword': 'Killing' } },
      size: 1,
      trackTotalHits: true,
    });
    expect(tracked.total).toBe(3);
    (tracked.hits[0]!._source!.event as Record<string, unknown>).reason = 'changed';
    const again = await port.search({ index: '*', query: { term: { _id: tracked.hits[0]!._id } }, size: 1 });
    expect((again.hits[0]!._source!.event as Record<string, unknown>).reason).toBe('Killing');
  });

  it('aggregates terms as the engine asks: count desc, then key asc, size and min_doc_count', async () => {
    const res = await port.search({
      index: '*',
      query: all,
      size: 0,
      aggs: { counts: { terms: { field: 'event.reason.keyword', size: 3, min_doc_count: 1 } } },
    });
    expect(res.hits).toEqual([]);
    expect(res.aggregations!.counts).toEqual({
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: 2,
      buckets: [
        { key: 'BackOff', doc_count: 3 },
        { key: 'Killing', doc_count: 3 },
        { key: 'Pulled', doc_count: 2 },
      ],
    });
    const byKey = await port.search({
      index: '*',
      query: { term: { 'event.reason.keyword': 'BackOff' } },
      size: 0,
      aggs: { c: { terms: { field: 'event.reason.keyword', min_doc_count: 0, order: { _key: 'asc' } } } },
    });
    expect((byKey.aggregations!.c as { buckets: { key: string; doc_count: number }[] }).buckets).toEqual([
      { key: 'BackOff', doc_count: 3 },
      { key: 'Created', doc_count: 0 },
      { key: 'Killing', doc_count: 0 },
      { key: 'Pulled', doc_count: 0 },
      { key: 'Started', doc_count: 0 },
    ]);
    const dates = await port.search({
      index: '*',
      query: { term: { _id: 'e0' } },
      size: 0,
      aggs: { t: { terms: { field: '@timestamp' } } },
    });
    expect((dates.aggregations!.t as { buckets: unknown[] }).buckets).toEqual([
      { key: t0, key_as_string: '2024-05-14T00:00:00.000Z', doc_count: 1 },
    ]);
  });

  it('refuses what Elasticsearch refuses or it cannot do', async () => {
    const fails = async (p: Promise<unknown>, text: RegExp) => {
      const err = await p.catch((e: unknown) => e);
      expect(isEsalertError(err, 'QUERY_SYNTAX')).toBe(true);
      expect((err as Error).message).toMatch(text);
    };
    await fails(port.search({ index: '*', query: all, size: 10_001 }), /Result window is too large/);
    await fails(
      port.search({ index: '*', query: all, size: 1, sort: ['event.reason'] }),
      /Text fields are not optimised/,
    );
    await fails(
      port.search({ index: '*', query: all, size: 1, sort: ['nothing'] }),
      /No mapping found for \[nothing\]/,
    );
    await fails(
      port.search({
        index: '*',
        query: all,
        size: 0,
        aggs: { h: { date_histogram: { field: '@timestamp' } } },
      }),
      /date_histogram/,
    );
    await fails(
      port.search({
        index: '*',
        query: all,
        size: 0,
        aggs: {
          t: { terms: { field: 'event.reason.keyword' }, aggs: { x: { top_hits: {} } } },
        },
      }),
      /top_hits/,
    );
    await fails(
      port.search({ index: '*', query: all, size: 1, sort: ['@timestamp'], searchAfter: [1, 2] }),
      /search_after has 2 value/,
    );
    const aborted = new AbortController();
    aborted.abort();
    expect(
      isEsalertError(await port.count('*', all, aborted.signal).catch((e: unknown) => e), 'ABORTED'),
    ).toBe(true);
  });

  it('filters _source like _source_includes (paths, objects, wildcards)', () => {
    const source = {
      '@timestamp': 't',
      event: { reason: 'r', involvedObject: { kind: 'Pod', name: 'p' } },
      other: 1,
    };
    expect(filterSource(source, ['event.reason'])).toEqual({ event: { reason: 'r' } });
    expect(filterSource(source, ['event.involvedObject', '@timestamp'])).toEqual({
      '@timestamp': 't',
      event: { involvedObject: { kind: 'Pod', name: 'p' } },
    });
    expect(filterSource(source, ['*.kind'])).toEqual({ event: { involvedObject: { kind: 'Pod' } } });
    expect(filterSource(source, ['nothing'])).toEqual({});
  });

  it('takes the field types from a real mapping when given one', async () => {
    const mapped = createMemorySearchPort(
      [
        { _id: '1', _source: { code: '007', at: '14/05/2024' } },
        { _id: '2', _source: { code: '7', at: 1715644800000 } },
      ],
      {
        mapping: {
          idx: {
            mappings: {
              properties: { code: { type: 'keyword' }, at: { type: 'date', format: 'epoch_millis' } },
            },
          },
        },
      },
    );
    expect(mapped.mapping.fields.get('code')?.type).toBe('keyword');
    expect(mapped.ids('*', { term: { code: '7' } })).toEqual(['2']);
    expect(mapped.ids('*', { range: { at: { gte: 1715644800000 } } })).toEqual(['2']);
  });
});
