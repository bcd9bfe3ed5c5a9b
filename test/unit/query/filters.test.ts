import { describe, expect, it } from 'vitest';
import {
  buildBaseQuery,
  findQueryStrings,
  normalizeFilters,
  queryStringProblem,
} from '../../../src/query/filters.ts';

describe('filters', () => {
  it('unwraps the legacy {query: ...} form', () => {
    const f = normalizeFilters([{ query: { query_string: { query: 'a:b' } } }, { term: { x: 1 } }]);
    expect(f).toEqual([{ query_string: { query: 'a:b' } }, { term: { x: 1 } }]);
  });

  it('builds the ElastAlert 2 query: range first (start exclusive, end inclusive), then the filters', () => {
    expect(buildBaseQuery([{ term: { x: 1 } }], { field: '@timestamp', gt: 'A', lte: 'B' })).toEqual({
      bool: {
        filter: { bool: { must: [{ range: { '@timestamp': { gt: 'A', lte: 'B' } } }, { term: { x: 1 } }] } },
      },
    });
  });

  it('finds query_string queries anywhere in the filter tree, with their paths', () => {
    const refs = findQueryStrings(
      [
        { query: { query_string: { query: 'a:b' } } },
        { bool: { must_not: [{ query_string: { query: 'c:d' } }] } },
      ],
      ['filter'],
    );
    expect(refs).toEqual([
      { query: 'a:b', path: ['filter', 0, 'query', 'query_string', 'query'] },
      { query: 'c:d', path: ['filter', 1, 'bool', 'must_not', 0, 'query_string', 'query'] },
    ]);
  });

  it.each([
    'event.type: Warning NOT event.involvedObject.kind: Node',
    'event.reason:(BackOff OR Failed) AND event.count:>5',
    '_exists_:old_event AND NOT verb:ADDED',
    'event.message:"Back-off restarting failed container" AND event.involvedObject.name:api-*',
    'event.count:[5 TO 100}',
    'event.reason:/Back.*/',
    'foo~1',
    '-(a b)',
    'a || NOT b',
  ])('accepts %s', (q) => {
    expect(queryStringProblem(q)).toBeUndefined();
  });

  it.each([
    ['a:(b OR c', /at column 10: unexpected end of the query/],
    ['message:"unterminated', /at column 9: the quoted phrase is never closed/],
    ['event.reason:/Back[Off/', /invalid regular expression \/Back\[Off\/: expected \] at position 8/],
    ['a:[1 TO', /at column 8: unexpected end of the query/],
    ['a:b AND', /ends with AND/],
    ['AND a:b', /starts with AND/],
    ['a:x/y', /escaped/],
    [':b', /at column 1/],
  ])('rejects %s', (q, why) => {
    expect(queryStringProblem(q)).toMatch(why);
  });
});
