/**
 * new_term: ElastAlert 2's cases (tests/rules_test.py test_new_term*, same inputs and expected
 * matches), the history scan's queries, composite paging and the state kept across restarts.
 */
import { describe, expect, it } from 'vitest';
import type { SearchPort, SearchRequest, SearchResponse } from '../../../src/query/search-port.ts';
import { HISTORY_PAGE_SIZE } from '../../../src/ruletypes/new-term.ts';
import type { PrepareContext, RuleTypeInstance } from '../../../src/ruletypes/rule-type.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { toIso } from '../../../src/util/time.ts';
import { create } from './support.ts';
import type { Hit } from '../../../src/model/match.ts';

const NOW = Date.parse('2024-05-14T12:00:00Z');

/** A search port answering every history query with the same values for each composite source. */
function fakeSearch(values: unknown[][]): SearchPort & { requests: SearchRequest[] } {
  const requests: SearchRequest[] = [];
  return {
    requests,
    async search(req: SearchRequest): Promise<SearchResponse> {
      requests.push(structuredClone(req));
      const composite = (req.aggs!.values as { composite: { sources: Record<string, unknown>[] } }).composite;
      const names = composite.sources.map((s) => Object.keys(s)[0]!);
      const buckets = values
        .filter((v) => v.length === names.length)
        .map((v) => ({ key: Object.fromEntries(names.map((n, i) => [n, v[i]])), doc_count: 1 }));
      return { hits: [], aggregations: { values: { buckets } } };
    },
    async count() {
      return 0;
    },
  };
}

function prepareContext(search: SearchPort, filters: Doc[] = []): PrepareContext {
  return {
    search,
    indexFor: () => 'logstash',
    filters,
    timestampField: '@timestamp',
    writeTimestamp: toIso,
    historyEnd: NOW,
  };
}

async function newTerm(options: Doc, values: unknown[][], queryKey?: string) {
  const { rule } = create({ type: 'new_term', options, ...(queryKey ? { queryKey } : {}) });
  const search = fakeSearch(values);
  await rule.prepare!(prepareContext(search));
  return { rule, search };
}

const add = (rule: RuleTypeInstance, doc: Doc) => {
  const h: Hit = { doc: { '@timestamp': toIso(NOW), ...doc }, ts: NOW };
  rule.addData([h]);
  return rule.takeMatches();
};

describe('new_term', () => {
  it('EA2 test_new_term: 30 days in 1-day steps for 2 fields is 60 queries, in time order; then new values alert once', async () => {
    const { rule, search } = await newTerm({ fields: ['a', 'b'] }, [['key1'], ['key2']]);
    expect(search.requests).toHaveLength(60);
    let field = '';
    let previous = '';
    for (const r of search.requests) {
      const source = (r.aggs!.values as { composite: { sources: Doc[] } }).composite.sources[0]!;
      const f = (source.f0 as { terms: { field: string } }).terms.field;
      if (f !== field) [field, previous] = [f, '2010-01-01T00:00:00Z'];
      const range = (
        (r.query.bool as { filter: Doc[] }).filter[0]!.range as Record<string, { gte: string; lt: string }>
      )['@timestamp']!;
      expect(range.gte > previous).toBe(true);
      expect(range.lt > range.gte).toBe(true);
      previous = range.gte;
    }
    expect(search.requests.map((r) => r.index)).toEqual(Array(60).fill('logstash'));
    // the scan covers [end - 30 days, end) exactly and reads the .keyword fields
    const first = (search.requests[0]!.query.bool as { filter: Doc[] }).filter[0]!.range as Doc;
    expect(first['@timestamp']).toEqual({ gte: '2024-04-14T12:00:00Z', lt: '2024-04-15T12:00:00Z' });
    expect(JSON.stringify(search.requests[59]!.aggs)).toContain('"b.keyword"');

    expect(add(rule, { a: 'key1', b: 'key2' })).toEqual([]);
    expect(add(rule, { a: 'key2' })).toEqual([]);
    const m = add(rule, { a: 'key2', b: 'key3' });
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ new_field: 'b', b: 'key3' });
    expect(add(rule, { a: 'key2', b: 'key3' })).toEqual([]);

    const missing = (
      await newTerm({ fields: ['a', 'b'], alert_on_missing_field: true }, [['key1'], ['key2']])
    ).rule;
    const mm = add(missing, { a: 'key2' });
    expect(mm).toHaveLength(1);
    expect(mm[0]!.missing_field).toBe('b');
  });

  it('EA2 test_new_term_nested_field', async () => {
    const { rule, search } = await newTerm({ fields: ['a', 'b.c'] }, [['key1'], ['key2']]);
    expect(search.requests).toHaveLength(60);
    const m = add(rule, { b: { c: 'key3' } });
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ new_field: 'b.c', b: { c: 'key3' } });
  });

  it('EA2 test_new_term_with_terms: window_step_size 2 days is 15 queries; terms data', async () => {
    const { rule, search } = await newTerm(
      { fields: ['a'], query_key: 'a', window_step_size: { days: 2 }, use_terms_query: true },
      [['key1'], ['key2']],
      'a',
    );
    expect(search.requests).toHaveLength(15);
    rule.addTermsData!(NOW, [
      { key: 'key1', doc_count: 1 },
      { key: 'key2', doc_count: 1 },
    ]);
    expect(rule.takeMatches()).toEqual([]);
    rule.addTermsData!(NOW, [{ key: 'key3', doc_count: 1 }]);
    expect(rule.takeMatches()).toEqual([{ a: 'key3', '@timestamp': '2024-05-14T12:00:00Z', new_field: 'a' }]);
    rule.addTermsData!(NOW, [{ key: 'key3', doc_count: 1 }]);
    expect(rule.takeMatches()).toEqual([]);
    // an empty bucket is no new term
    rule.addTermsData!(NOW, [{ key: 'key4', doc_count: 0 }]);
    expect(rule.takeMatches()).toEqual([]);
  });

  it('EA2 test_new_term_with_composite_fields', async () => {
    const history = [
      ['key1', 'key2', 'key3'],
      ['key1', 'key2', 'key4'],
    ];
    const { rule, search } = await newTerm(
      {
        fields: [
          ['a', 'b', 'c'],
          ['d', 'e.f'],
        ],
      },
      history,
    );
    expect(search.requests).toHaveLength(60);
    expect((search.requests[0]!.aggs!.values as { composite: { sources: Doc[] } }).composite.sources).toEqual(
      [
        { f0: { terms: { field: 'a.keyword' } } },
        { f1: { terms: { field: 'b.keyword' } } },
        { f2: { terms: { field: 'c.keyword' } } },
      ],
    );
    expect(add(rule, { a: 'key1', b: 'key2', c: 'key3' })).toEqual([]);
    const m = add(rule, { a: 'key1', b: 'key2', c: 'key5' });
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ new_field: ['a', 'b', 'c'], a: 'key1', b: 'key2', c: 'key5' });
    expect(add(rule, { a: 'key1', b: 'key2', c: 'key4', d: 'unrelated_value' })).toEqual([]);
    const nested = add(rule, { d: 'key4', e: { f: 'key6' } });
    expect(nested).toHaveLength(1);
    expect(nested[0]).toMatchObject({ new_field: ['d', 'e.f'], d: 'key4', e: { f: 'key6' } });

    const missing = (
      await newTerm(
        {
          fields: [
            ['a', 'b', 'c'],
            ['d', 'e.f'],
          ],
          alert_on_missing_field: true,
        },
        history,
      )
    ).rule;
    const mm = add(missing, { a: 'key2' });
    expect(mm.map((x) => x.missing_field)).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e.f'],
    ]);
  });

  it('falsy values are missing values; one document can give several matches, carrying earlier marks', async () => {
    const { rule } = await newTerm({ fields: ['a', 'b', 'c'], alert_on_missing_field: true }, [['x']]);
    const m = add(rule, { a: '', b: 'new', c: 0 });
    expect(m.map((x) => [x.missing_field, x.new_field])).toEqual([
      ['a', undefined],
      ['a', 'b'],
      ['c', 'b'],
    ]);
    // without alert_on_missing_field they are ignored
    const quiet = (await newTerm({ fields: ['a'] }, [])).rule;
    expect(add(quiet, { a: false })).toEqual([]);
    expect(add(quiet, { a: 0 })).toEqual([]);
    expect(add(quiet, { a: 'x' })).toHaveLength(1);
  });

  it('values compare as in Python: a number bucket matches the number, true matches bucket 1', async () => {
    const { rule } = await newTerm({ fields: ['n', 'flag'], use_keyword_postfix: false }, [[5], [1]]);
    expect(add(rule, { n: 5, flag: true })).toEqual([]);
    expect(add(rule, { n: '5' })).toHaveLength(1);
  });

  it('query_key stands for fields; filters and index per step go into the scan; use_keyword_postfix: false', async () => {
    const { rule } = create({
      type: 'new_term',
      options: { query_key: 'pod.keyword' },
      queryKey: 'pod.keyword',
    });
    const search = fakeSearch([['api-1']]);
    const filter = { term: { 'event.reason.keyword': 'BackOff' } };
    await rule.prepare!({
      ...prepareContext(search, [filter]),
      indexFor: (s, e) => `idx-${toIso(s).slice(0, 10)}-${toIso(e).slice(0, 10)}`,
    });
    const r = search.requests[0]!;
    expect(r.index).toBe('idx-2024-04-14-2024-04-15');
    expect((r.query.bool as { filter: Doc[] }).filter[1]).toEqual(filter);
    expect(JSON.stringify(r.aggs)).toContain('"pod.keyword"');
    expect(JSON.stringify(r.aggs)).not.toContain('keyword.keyword');
    expect(add(rule, { pod: 'api-1' })).toEqual([]);

    const plain = create({ type: 'new_term', options: { fields: 'count', use_keyword_postfix: false } }).rule;
    const s2 = fakeSearch([]);
    await plain.prepare!(prepareContext(s2));
    expect(JSON.stringify(s2.requests[0]!.aggs)).toContain('"field":"count"');
  });

  it('pages through composite results (every term is read, not only the first page)', async () => {
    const { rule } = create({ type: 'new_term', options: { fields: ['a'], terms_window_size: { days: 1 } } });
    let calls = 0;
    const search: SearchPort = {
      async search(req) {
        calls++;
        const after =
          (req.aggs!.values as { composite: { after?: { f0: number } } }).composite.after?.f0 ?? -1;
        const from = after + 1;
        const n = calls === 1 ? HISTORY_PAGE_SIZE : 3;
        const buckets = Array.from({ length: n }, (_, i) => ({ key: { f0: `v${from + i}` }, doc_count: 1 }));
        return {
          hits: [],
          aggregations: { values: { buckets, after_key: { f0: from + n - 1 } } },
        };
      },
      count: async () => 0,
    };
    await rule.prepare!(prepareContext(search));
    expect(calls).toBe(2);
    expect(add(rule, { a: `v${HISTORY_PAGE_SIZE + 2}` })).toEqual([]);
    expect(add(rule, { a: `v${HISTORY_PAGE_SIZE + 3}` })).toHaveLength(1);
  });

  it('a failing history search fails prepare (the run is retried), as ElastAlert 2 refuses to start', async () => {
    const { rule } = create({ type: 'new_term', options: { fields: ['a'] } });
    const search: SearchPort = {
      search: async () => {
        throw new Error('index_not_found');
      },
      count: async () => 0,
    };
    await expect(rule.prepare!(prepareContext(search))).rejects.toThrow(/index_not_found/);
  });

  it('the seen terms survive a restart (exportState / importState as JSON)', async () => {
    const { rule } = await newTerm({ fields: ['a', ['b', 'c']] }, [['old']]);
    expect(add(rule, { a: 'new1', b: 'x', c: 'y' })).toHaveLength(2);
    const saved = JSON.parse(JSON.stringify(rule.exportState!()));
    const restored = create({ type: 'new_term', options: { fields: ['a', ['b', 'c']] } }).rule;
    restored.importState!(saved);
    expect(add(restored, { a: 'old' })).toEqual([]);
    expect(add(restored, { a: 'new1', b: 'x', c: 'y' })).toEqual([]);
    expect(add(restored, { a: 'new2' })).toMatchObject([{ new_field: 'a', a: 'new2' }]);
    restored.importState!({ seen: 'garbage' });
    restored.importState!(undefined);
  });

  it('rejects options ElastAlert 2 rejects', () => {
    const def = create({ type: 'new_term', options: { fields: 'a' } }).def;
    const issues = (o: Doc) =>
      def.options.safeParse(o).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({})).toEqual(['fields: is required (or query_key): the fields to watch']);
    expect(issues({ fields: [] })).toEqual(['fields: must name at least one field']);
    expect(issues({ fields: ['a', 'b'], query_key: 'a', use_terms_query: true })).toEqual([
      'use_terms_query: can only be used with a single non-composite field',
    ]);
    expect(issues({ fields: ['b'], query_key: 'a', use_terms_query: true })).toEqual([
      'fields: with use_terms_query, fields must be the query_key field (or be left out)',
    ]);
    expect(issues({ fields: 'a', window_step_size: { days: 0 } })).toEqual([
      'window_step_size: must be longer than 0',
    ]);
  });
});
