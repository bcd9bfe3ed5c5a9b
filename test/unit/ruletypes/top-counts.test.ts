/**
 * top_count_keys with a recording search port: ElastAlert 2's tests (base_test.py
 * test_count_keys, test_get_top_counts_handles_no_hits_returned; hits_terms_test.py
 * get_hits_terms and query_key_filters) with the same inputs and expectations.
 */
import { describe, expect, it } from 'vitest';
import { queryKeyFilters, type TopCountOptions, topCounts } from '../../../src/alerts/top-counts.ts';
import type { SearchPort, SearchRequest, SearchResponse } from '../../../src/query/search-port.ts';
import { toIso } from '../../../src/util/time.ts';

const END = Date.parse('2014-09-26T12:34:56Z');
const MIN = 60_000;

function port(responses: (SearchResponse | Error)[]): SearchPort & { requests: SearchRequest[] } {
  const requests: SearchRequest[] = [];
  return {
    requests,
    async search(req) {
      requests.push(req);
      const r = responses.shift()!;
      if (r instanceof Error) throw r;
      return r;
    },
    count: async () => 0,
  };
}

const terms = (buckets: [string | number, number][]): SearchResponse => ({
  hits: [],
  aggregations: { counts: { buckets: buckets.map(([key, doc_count]) => ({ key, doc_count })) } },
});

const base: TopCountOptions = {
  indexFor: () => 'logstash-*',
  filters: [],
  timestampField: '@timestamp',
  writeTimestamp: toIso,
  keys: ['this', 'that'],
  queryKeyFields: [],
  rawCountKeys: false,
  stringMultiFieldName: '.keyword',
  number: 5,
  minDocCount: 1,
  lookBackMs: 60 * MIN,
};

describe('top_count_keys', () => {
  it('EA2 test_count_keys: one terms aggregation per key, top counts by key', async () => {
    const p = port([
      terms([
        ['a', 10],
        ['b', 5],
      ]),
      terms([
        ['d', 10],
        ['c', 12],
      ]),
    ]);
    const counts = await topCounts(p, base, { '@timestamp': toIso(END) }, undefined);
    expect(p.requests[0]!.aggs).toEqual({ counts: { terms: { field: 'this', size: 5, min_doc_count: 1 } } });
    expect(counts).toEqual({ top_events_this: { a: 10, b: 5 }, top_events_that: { c: 12, d: 10 } });
    expect(Object.keys(counts.top_events_that!)).toEqual(['c', 'd']);
  });

  it('EA2 test_get_top_counts_handles_no_hits_returned: a failed search gives {}', async () => {
    const errors: string[] = [];
    const counts = await topCounts(
      port([new Error('boom')]),
      { ...base, keys: ['foo'] },
      { '@timestamp': toIso(END) },
      undefined,
      (key) => errors.push(key),
    );
    expect(counts).toEqual({ top_events_foo: {} });
    expect(errors).toEqual(['foo']);
  });

  it('top_count_number 0 or less: empty top counts, as ElastAlert 2 ends up with, without asking', async () => {
    const p = port([]);
    const counts = await topCounts(p, { ...base, number: 0 }, { '@timestamp': toIso(END) }, undefined);
    expect(counts).toEqual({ top_events_this: {}, top_events_that: {} });
    expect(p.requests).toEqual([]);
  });

  it('EA2 get_hits_terms: (match - timeframe, match + 10 min] and the query key terms on .keyword', async () => {
    const p = port([terms([['10.0.0.1', 3]])]);
    const o = {
      ...base,
      keys: ['client_ip'],
      queryKeyFields: ['compound', 'key'],
      rawCountKeys: true,
      filters: [{ term: { a: 1 } }],
    };
    const counts = await topCounts(p, o, { '@timestamp': toIso(END) }, 'combined value, by commaspace');
    expect(p.requests[0]).toEqual({
      index: 'logstash-*',
      size: 0,
      query: {
        bool: {
          filter: {
            bool: {
              must: [
                { range: { '@timestamp': { gt: toIso(END - 60 * MIN), lte: toIso(END + 10 * MIN) } } },
                { term: { a: 1 } },
                { term: { 'compound.keyword': 'combined value' } },
                { term: { 'key.keyword': 'by commaspace' } },
              ],
            },
          },
        },
      },
      aggs: { counts: { terms: { field: 'client_ip.keyword', size: 5, min_doc_count: 1 } } },
    });
    expect(counts).toEqual({ 'top_events_client_ip.keyword': { '10.0.0.1': 3 } });
  });

  it('keeps top_count_number terms; string_multi_field_name; numeric terms as text', async () => {
    const p = port([
      terms([
        [1, 1],
        [2, 9],
        [3, 4],
      ]),
    ]);
    const counts = await topCounts(
      p,
      { ...base, keys: ['code'], number: 2, rawCountKeys: true, stringMultiFieldName: '.raw' },
      { '@timestamp': toIso(END) },
      undefined,
    );
    expect(p.requests[0]!.aggs).toEqual({
      counts: { terms: { field: 'code.raw', size: 2, min_doc_count: 1 } },
    });
    expect(counts).toEqual({ 'top_events_code.raw': { '2': 9, '3': 4 } });
  });

  it('EA2 test_query_key_filters_*', () => {
    expect(queryKeyFilters(['a_single_key_as_a_string'], 'a single value', true)).toEqual([
      { term: { 'a_single_key_as_a_string.keyword': 'a single value' } },
    ]);
    for (const sep of [',', ', ', ',      ', ',\t'])
      expect(
        queryKeyFilters(['compound', 'key'], ['combined value', 'by commaspace'].join(sep), true),
      ).toEqual([
        { term: { 'compound.keyword': 'combined value' } },
        { term: { 'key.keyword': 'by commaspace' } },
      ]);
    // a value with a comma in it: paired up as far as the keys go
    expect(
      queryKeyFilters(
        ['university', 'state'],
        'California State University, San Bernardino, California',
        true,
      ),
    ).toEqual([
      { term: { 'university.keyword': 'California State University' } },
      { term: { 'state.keyword': 'San Bernardino' } },
    ]);
    expect(queryKeyFilters(['something'], undefined, true)).toEqual([]);
    expect(queryKeyFilters([], 'value', true)).toEqual([]);
    expect(queryKeyFilters(['x.keyword'], 'v', true)).toEqual([{ term: { 'x.keyword': 'v' } }]);
    expect(queryKeyFilters(['x'], 'v', false)).toEqual([{ term: { x: 'v' } }]);
    expect(queryKeyFilters(['n'], 42, true)).toEqual([{ term: { 'n.keyword': '42' } }]);
  });
});
