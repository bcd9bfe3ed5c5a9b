import { describe, expect, it } from 'vitest';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';
import type { EsQuery } from '../../../src/query/filters.ts';
import { type MemoryDocument, createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';

const docs: MemoryDocument[] = [
  {
    _id: 'a',
    _source: {
      '@timestamp': '2024-05-14T01:00:00.500Z',
      verb: 'ADDED',
      event: {
        reason: 'BackOff',
        type: 'Warning',
        count: 1,
        message: 'Back-off restarting failed container api in pod api-7c9d_prod(1234)',
        involvedObject: { kind: 'Pod', namespace: 'prod', name: 'api-7c9d' },
      },
    },
  },
  {
    _id: 'b',
    _source: {
      '@timestamp': '2024-05-14T02:30:00Z',
      verb: 'UPDATED',
      event: {
        reason: 'BackOff',
        type: 'Warning',
        count: 7,
        message: 'Back-off pulling image "registry.example.com/shop/api:1.14.2"',
        involvedObject: { kind: 'Pod', namespace: 'staging', name: 'api-x2k4' },
      },
      old_event: { count: 6 },
    },
  },
  {
    _id: 'c',
    _source: {
      '@timestamp': '2024-05-14T03:00:00Z',
      verb: 'ADDED',
      event: {
        reason: 'NodeNotReady',
        type: 'Normal',
        count: 2,
        message: 'Node node-4 status is now: NodeNotReady',
        involvedObject: { kind: 'Node', name: 'node-4' },
        tags: ['infra', 'Night'],
      },
    },
  },
  {
    _id: 'd',
    _source: {
      '@timestamp': '2024-05-14T04:00:00Z',
      verb: 'ADDED',
      event: {
        reason: 'Scheduled',
        type: 'Normal',
        count: 1,
        message: 'Successfully assigned prod/web-1 to node-2',
        involvedObject: { kind: 'Pod', namespace: 'prod', name: 'web-1' },
        reportingInstance: '',
        tags: 'day',
      },
    },
  },
];

const port = createMemorySearchPort(docs);
const ids = (query: EsQuery) => port.ids('events', query).sort();
const qs = (query: string, extra: Record<string, unknown> = {}) => ids({ query_string: { query, ...extra } });
const failure = (query: EsQuery): unknown => {
  try {
    port.ids('events', query);
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

describe('in-memory query evaluation', () => {
  it('infers field types as dynamic mapping does', () => {
    const type = (name: string) => port.mapping.fields.get(name)?.type;
    expect(type('@timestamp')).toBe('date');
    expect(type('event.reason')).toBe('text');
    expect(type('event.reason.keyword')).toBe('keyword');
    expect(type('event.count')).toBe('long');
    expect(port.mapping.objects.has('event.involvedObject')).toBe(true);
  });

  describe('term and terms', () => {
    it('match the indexed token on text fields and the whole value on keyword fields', () => {
      expect(ids({ term: { 'event.reason.keyword': 'BackOff' } })).toEqual(['a', 'b']);
      expect(ids({ term: { 'event.reason.keyword': 'backoff' } })).toEqual([]);
      expect(ids({ term: { 'event.reason': 'BackOff' } })).toEqual([]);
      expect(ids({ term: { 'event.reason': 'backoff' } })).toEqual(['a', 'b']);
      expect(ids({ term: { 'event.reason': { value: 'BACKOFF', case_insensitive: true } } })).toEqual([
        'a',
        'b',
      ]);
    });

    it('parse numbers and dates, and match every value of arrays', () => {
      expect(ids({ term: { 'event.count': '7' } })).toEqual(['b']);
      expect(ids({ term: { 'event.count': 7.5 } })).toEqual([]);
      expect(ids({ term: { '@timestamp': '2024-05-14T02' } })).toEqual(['b']);
      expect(ids({ terms: { 'event.tags.keyword': ['Night', 'day'] } })).toEqual(['c', 'd']);
      expect(ids({ terms: { 'event.count': [1, 2] } })).toEqual(['a', 'c', 'd']);
    });

    it('on _id, and ids', () => {
      expect(ids({ term: { _id: 'c' } })).toEqual(['c']);
      expect(ids({ ids: { values: ['a', 'd', 'zz'] } })).toEqual(['a', 'd']);
    });

    it('reject a word against a number field', () => {
      expect(isEsalertError(failure({ term: { 'event.count': 'seven' } }), 'QUERY_SYNTAX')).toBe(true);
    });
  });

  describe('range', () => {
    it('compares numbers', () => {
      expect(ids({ range: { 'event.count': { gt: 1, lte: 7 } } })).toEqual(['b', 'c']);
      expect(ids({ range: { 'event.count': { gte: 1.5 } } })).toEqual(['b', 'c']);
      expect(ids({ range: { 'event.count': { from: 2, to: 7, include_upper: false } } })).toEqual(['c']);
    });

    it('compares dates as instants, as the engine sends them (gt start, lte end)', () => {
      expect(
        ids({ range: { '@timestamp': { gt: '2024-05-14T01:00:00.000Z', lte: '2024-05-14T03:00:00Z' } } }),
      ).toEqual(['a', 'b', 'c']);
      // without milliseconds, Elasticsearch rounds a gt bound up to the end of the second
      expect(ids({ range: { '@timestamp': { gt: '2024-05-14T01:00:00Z' } } })).toEqual(['b', 'c', 'd']);
      expect(ids({ range: { '@timestamp': { gt: '2024-05-14T03:00:00+01:00' } } })).toEqual(['b', 'c', 'd']);
      expect(ids({ range: { '@timestamp': { gte: 1715652000000 } } })).toEqual(['b', 'c', 'd']);
    });

    it('rounds partial dates as Elasticsearch: an inclusive upper bound covers the whole hour', () => {
      expect(ids({ range: { '@timestamp': { lte: '2024-05-14T01' } } })).toEqual(['a']);
      expect(ids({ range: { '@timestamp': { lt: '2024-05-14T01' } } })).toEqual([]);
      expect(ids({ range: { '@timestamp': { gt: '2024-05-14T02' } } })).toEqual(['c', 'd']);
      expect(ids({ range: { '@timestamp': { gte: '2024-05-14T00:00:00Z||+2h/h', lt: 'now' } } })).toEqual([
        'b',
        'c',
        'd',
      ]);
    });

    it('compares strings in term order on keyword fields', () => {
      expect(ids({ range: { 'event.reason.keyword': { gte: 'B', lt: 'O' } } })).toEqual(['a', 'b', 'c']);
    });
  });

  it('exists: on fields, on objects, and "" counts as a value', () => {
    expect(ids({ exists: { field: 'old_event' } })).toEqual(['b']);
    expect(ids({ exists: { field: 'event.involvedObject.namespace' } })).toEqual(['a', 'b', 'd']);
    expect(ids({ exists: { field: 'event.reportingInstance' } })).toEqual(['d']);
    expect(ids({ exists: { field: 'nothing' } })).toEqual([]);
  });

  it('prefix, wildcard, regexp and fuzzy run over the indexed terms, unnormalized', () => {
    expect(ids({ prefix: { 'event.reason': 'Back' } })).toEqual([]);
    expect(ids({ prefix: { 'event.reason': 'back' } })).toEqual(['a', 'b']);
    expect(ids({ prefix: { 'event.reason.keyword': 'Node' } })).toEqual(['c']);
    expect(ids({ wildcard: { 'event.involvedObject.name.keyword': 'api-*' } })).toEqual(['a', 'b']);
    expect(
      ids({
        wildcard: { 'event.involvedObject.name.keyword': { value: 'API-?2K4', case_insensitive: true } },
      }),
    ).toEqual(['b']);
    expect(ids({ regexp: { 'event.involvedObject.name.keyword': 'node-[0-9]+' } })).toEqual(['c']);
    expect(ids({ regexp: { 'event.reason.keyword': '~(Back.*)' } })).toEqual(['c', 'd']);
    expect(ids({ regexp: { 'event.message': '<1-3>' } })).toEqual(['d']);
    expect(ids({ regexp: { 'event.message': '<1000-2000>' } })).toEqual(['a']);
    expect(ids({ fuzzy: { 'event.reason': 'bakcof' } })).toEqual(['a', 'b']);
    expect(ids({ fuzzy: { 'event.reason': { value: 'bakcof', fuzziness: 1 } } })).toEqual([]);
  });

  it('match analyzes text like the standard analyzer, with operator and minimum_should_match', () => {
    expect(ids({ match: { 'event.message': 'BACK-OFF' } })).toEqual(['a', 'b']);
    expect(
      ids({ match: { 'event.message': { query: 'back restarting pulling', operator: 'and' } } }),
    ).toEqual([]);
    expect(
      ids({ match: { 'event.message': { query: 'back restarting pulling', minimum_should_match: 2 } } }),
    ).toEqual(['a', 'b']);
    expect(ids({ match: { 'event.message': 'registry.example.com' } })).toEqual(['b']);
    expect(ids({ match: { 'event.reason.keyword': 'backoff' } })).toEqual([]);
    expect(ids({ match: { 'event.count': '2' } })).toEqual(['c']);
  });

  it('match_phrase needs the words in order, within slop', () => {
    expect(ids({ match_phrase: { 'event.message': 'restarting failed container' } })).toEqual(['a']);
    expect(ids({ match_phrase: { 'event.message': 'failed restarting' } })).toEqual([]);
    expect(ids({ match_phrase: { 'event.message': { query: 'failed restarting', slop: 2 } } })).toEqual([
      'a',
    ]);
  });

  describe('bool', () => {
    it('must, filter, must_not and nested bools', () => {
      expect(
        ids({
          bool: {
            filter: { bool: { must: [{ term: { 'event.type.keyword': 'Warning' } }] } },
            must_not: [{ term: { 'event.involvedObject.namespace.keyword': 'staging' } }],
          },
        }),
      ).toEqual(['a']);
    });

    it('should: optional next to must, one required alone, minimum_should_match', () => {
      const should = [{ term: { 'event.count': 1 } }, { term: { 'verb.keyword': 'ADDED' } }];
      expect(ids({ bool: { must: [{ term: { 'event.type.keyword': 'Warning' } }], should } })).toEqual([
        'a',
        'b',
      ]);
      expect(ids({ bool: { should } })).toEqual(['a', 'c', 'd']);
      expect(ids({ bool: { should, minimum_should_match: 2 } })).toEqual(['a', 'd']);
      expect(ids({ bool: { should, minimum_should_match: '-1' } })).toEqual(['a', 'c', 'd']);
      expect(ids({ bool: { should, minimum_should_match: '100%' } })).toEqual(['a', 'd']);
    });

    it('an empty bool matches everything; only must_not matches the rest', () => {
      expect(ids({ bool: {} })).toEqual(['a', 'b', 'c', 'd']);
      expect(ids({ bool: { must_not: { term: { 'event.type.keyword': 'Normal' } } } })).toEqual(['a', 'b']);
    });

    it('match_all, match_none, constant_score, dis_max', () => {
      expect(ids({ match_all: {} })).toEqual(['a', 'b', 'c', 'd']);
      expect(ids({ match_none: {} })).toEqual([]);
      expect(ids({ constant_score: { filter: { term: { 'event.count': 2 } } } })).toEqual(['c']);
      expect(ids({ dis_max: { queries: [{ term: { 'event.count': 2 } }, { term: { _id: 'a' } }] } })).toEqual(
        ['a', 'c'],
      );
    });
  });

  describe('query_string', () => {
    it('text vs keyword fields: tokens case-insensitively, keyword exactly', () => {
      expect(qs('event.reason:BackOff')).toEqual(['a', 'b']);
      expect(qs('event.reason:backoff')).toEqual(['a', 'b']);
      expect(qs('event.reason.keyword:BackOff')).toEqual(['a', 'b']);
      expect(qs('event.reason.keyword:backoff')).toEqual([]);
    });

    it('an unquoted term with several tokens ORs them; a quoted one is a phrase', () => {
      expect(qs('event.involvedObject.name:api-x2k4')).toEqual(['a', 'b']);
      expect(qs('event.involvedObject.name:"api-x2k4"')).toEqual(['b']);
      expect(qs('event.message:"restarting failed"')).toEqual(['a']);
      expect(qs('event.message:"failed restarting"~2')).toEqual(['a']);
    });

    it('without a field, searches every field (numbers and dates leniently)', () => {
      expect(qs('BackOff')).toEqual(['a', 'b']);
      expect(qs('7')).toEqual(['b']);
      expect(qs('2024-05-14T03')).toEqual(['c']);
      expect(qs('*')).toEqual(['a', 'b', 'c', 'd']);
    });

    it('boolean operators as Lucene combines them (implicit OR; AND binds its neighbours)', () => {
      expect(qs('event.count:2 event.count:7')).toEqual(['b', 'c']);
      expect(qs('event.count:2 OR event.count:7 AND verb:UPDATED')).toEqual(['b']);
      expect(qs('NOT event.type:Warning')).toEqual(['c', 'd']);
      expect(qs('event.type:Warning -event.involvedObject.namespace:staging')).toEqual(['a']);
      expect(qs('+event.type:Normal +event.count:1')).toEqual(['d']);
      expect(qs('-(event.reason:BackOff OR event.reason:Scheduled)')).toEqual(['c']);
      expect(qs('event.reason:(BackOff OR Scheduled) AND NOT event.count:7')).toEqual(['a', 'd']);
      expect(qs('event.count:1 event.count:2', { default_operator: 'AND' })).toEqual([]);
    });

    it('ranges, >5, _exists_, wildcards, regexps and fuzzy terms', () => {
      expect(qs('event.count:[2 TO 7}')).toEqual(['c']);
      expect(qs('event.count:>=2')).toEqual(['b', 'c']);
      expect(qs('@timestamp:{* TO 2024-05-14T02:30:00Z]')).toEqual(['a', 'b']);
      expect(qs('_exists_:old_event')).toEqual(['b']);
      expect(qs('NOT _exists_:event.involvedObject.namespace')).toEqual(['c']);
      expect(qs('event.reason:Back*')).toEqual(['a', 'b']);
      expect(qs('event.reason.keyword:Back*')).toEqual(['a', 'b']);
      expect(qs('event.reason.keyword:back*')).toEqual([]);
      expect(qs('event.involvedObject.name.keyword:api-????')).toEqual(['a', 'b']);
      expect(qs('event.involvedObject.name.keyword:/api-[a-z0-9]{4}/')).toEqual(['a', 'b']);
      expect(qs('event.reason:/Back.*/')).toEqual([]);
      expect(qs('event.reason:schedulde~')).toEqual(['d']);
      expect(qs('event.involvedObject.\\*:Node')).toEqual(['c']);
    });

    it('lenient with the default field, strict with fields named in the parameters', () => {
      expect(qs('event.count:seven')).toEqual([]);
      expect(
        isEsalertError(
          failure({ query_string: { query: 'seven', fields: ['event.count'] } }),
          'QUERY_SYNTAX',
        ),
      ).toBe(true);
      expect(qs('seven', { fields: ['event.count'], lenient: true })).toEqual([]);
    });

    it('reports syntax errors as Elasticsearch refuses them', () => {
      for (const bad of ['NOT NOT a', 'a AND', '(a', 'a:[1 TO', 'field:']) {
        const err = failure({ query_string: { query: bad } });
        expect(isEsalertError(err, 'QUERY_SYNTAX'), bad).toBe(true);
        expect((err as Error).message).toContain('Failed to parse query');
      }
      expect(qs('   ')).toEqual([]);
    });
  });

  it('refuses what it cannot evaluate, naming the clause', () => {
    for (const [query, clause] of [
      [{ simple_query_string: { query: 'a' } }, 'simple_query_string'],
      [{ nested: { path: 'x', query: { match_all: {} } } }, 'nested'],
      [{ script: { script: 'true' } }, 'script'],
      [{ terms: { 'event.reason': { index: 'x', id: '1', path: 'y' } } }, 'terms'],
      [{ match: { 'event.message': { query: 'x', fuzziness: 'AUTO' } } }, 'fuzziness'],
    ] as const) {
      const err = failure(query as EsQuery);
      expect(isEsalertError(err, 'QUERY_SYNTAX')).toBe(true);
      expect((err as Error).message).toContain(clause);
    }
    expect((failure({ term: { a: 1 }, range: { b: {} } }) as Error).message).toContain(
      'one clause per query object',
    );
    expect((failure({ term: { a: 1, b: 2 } }) as Error).message).toContain('exactly one field');
  });

  it('matches nothing on unmapped fields, as Elasticsearch', () => {
    expect(ids({ term: { nothing: 'x' } })).toEqual([]);
    expect(qs('nothing:x')).toEqual([]);
    expect(ids({ range: { nothing: { gt: 1 } } })).toEqual([]);
  });
});
