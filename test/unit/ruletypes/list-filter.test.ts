/**
 * blacklist/whitelist with filter_by_list: each entry becomes exactly the phrase it says in the
 * query_string, whatever quotes, backslashes or operators it holds; checked with the in-memory
 * query_string evaluator (itself checked against Elasticsearch).
 */
import { describe, expect, it } from 'vitest';
import { createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';
import { listFilter } from '../../../src/ruletypes/compare.ts';

const values = [
  'plain',
  'has "quotes" inside',
  'x" OR *:* OR "y',
  'back\\slash',
  'trailing\\',
  'a AND b',
  '(parens) [brackets] {braces}',
];
const docs = [...values, 'other', 'y', 'x'].map((v, i) => ({
  _id: String(i),
  _source: { 'pod-name': v, msg: v },
}));
const port = createMemorySearchPort(docs);
const ids = (query: unknown) =>
  port
    .ids('events', query as never)
    .map(Number)
    .sort((a, b) => a - b);

describe('listFilter', () => {
  it('a blacklist matches exactly its entries, however they are written', () => {
    const [filter] = listFilter('msg.keyword', values, 'blacklist');
    expect(ids(filter)).toEqual(values.map((_, i) => i));
  });

  it('a whitelist excludes exactly its entries', () => {
    const [filter] = listFilter('msg.keyword', values, 'whitelist');
    expect(ids(filter)).toEqual([values.length, values.length + 1, values.length + 2]);
  });

  it('a field name with special characters is escaped; /regex/ entries stay regular expressions', () => {
    const [filter] = listFilter('pod-name.keyword', ['plain', '/oth.r/'], 'blacklist');
    expect(filter).toEqual({
      query_string: { query: 'pod\\-name.keyword:"plain" OR pod\\-name.keyword:/oth.r/' },
    });
    expect(ids(filter)).toEqual([0, values.length]);
  });
});
