import { describe, expect, it } from 'vitest';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';
import {
  checkSupported,
  createServerDialect,
  describeServer,
  parseServerVersion,
} from '../../../src/query/server-dialect.ts';

const es = (v: string) => createServerDialect(parseServerVersion(v));
const os = (v: string) => createServerDialect(parseServerVersion(v, 'opensearch'));

describe('server versions', () => {
  it.each([
    ['8.19.2', undefined, { version: '8.19.2', major: 8, minor: 19, distribution: 'elasticsearch' }],
    ['7.17.29', undefined, { version: '7.17.29', major: 7, minor: 17, distribution: 'elasticsearch' }],
    ['2.19.6', 'opensearch', { version: '2.19.6', major: 2, minor: 19, distribution: 'opensearch' }],
    ['opensearch-2.19.6', undefined, { version: '2.19.6', major: 2, minor: 19, distribution: 'opensearch' }],
    ['OpenSearch:3.1', undefined, { version: '3.1.0', major: 3, minor: 1, distribution: 'opensearch' }],
    ['opensearch 2', undefined, { version: '2.0.0', major: 2, minor: 0, distribution: 'opensearch' }],
    [
      'elasticsearch-9.0.0-SNAPSHOT',
      undefined,
      { version: '9.0.0-SNAPSHOT', major: 9, minor: 0, distribution: 'elasticsearch' },
    ],
  ] as const)('reads %s', (text, dist, expected) => {
    expect(parseServerVersion(text, dist)).toEqual(expected);
  });

  it('refuses text that is no version, saying what it expects', () => {
    const err = (() => {
      try {
        parseServerVersion('latest');
      } catch (e) {
        return e;
      }
    })();
    expect(isEsalertError(err, 'ES_VERSION_UNSUPPORTED')).toBe(true);
    expect((err as Error).message).toContain('opensearch-2.19.6');
  });

  it('refuses Elasticsearch 6 and older, accepts 7+ and every OpenSearch', () => {
    expect(() => checkSupported(parseServerVersion('6.8.23'))).toThrow(/7\.x or later/);
    expect(() => checkSupported(parseServerVersion('7.0.0'))).not.toThrow();
    expect(() => checkSupported(parseServerVersion('opensearch-1.3.0'))).not.toThrow();
    expect(describeServer(parseServerVersion('opensearch-1.3.0'))).toBe('OpenSearch 1.3.0');
  });
});

describe('the server dialect', () => {
  it('opens and closes a point in time with each distribution’s API', () => {
    expect(es('8.19.2').openPit('logs-*', '1m')).toEqual({
      method: 'POST',
      path: '/logs-*/_pit',
      querystring: { keep_alive: '1m', ignore_unavailable: true },
    });
    expect(os('2.19.6').openPit('logs-*', '1m')).toEqual({
      method: 'POST',
      path: '/logs-*/_search/point_in_time',
      querystring: { keep_alive: '1m', ignore_unavailable: true },
    });
    expect(es('7.17.0').closePit('abc')).toEqual({ method: 'DELETE', path: '/_pit', body: { id: 'abc' } });
    expect(os('3.0.0').closePit('abc')).toEqual({
      method: 'DELETE',
      path: '/_search/point_in_time',
      body: { pit_id: ['abc'] },
    });
    expect(es('8.0.0').pitIdOf({ id: 'e' })).toBe('e');
    expect(os('2.19.6').pitIdOf({ pit_id: 'o', _shards: {} })).toBe('o');
  });

  it('pages with a point in time from Elasticsearch 7.10 and OpenSearch 2.4, by scroll before', () => {
    expect(es('7.9.3').paging).toBe('scroll');
    expect(es('7.10.0').paging).toBe('pit');
    expect(os('1.3.19').paging).toBe('scroll');
    expect(os('2.3.0').paging).toBe('scroll');
    expect(os('2.4.0').paging).toBe('pit');
    expect(createServerDialect(parseServerVersion('8.19.0'), { paging: 'scroll' }).paging).toBe('scroll');
  });

  const paged = {
    sort: [{ '@timestamp': { order: 'asc' } }, { _shard_doc: { order: 'asc' } }],
    search_after: [1715644800000, -1],
    size: 100,
  };

  it('keeps _shard_doc on Elasticsearch 7.12+', () => {
    expect(es('7.12.0').searchBody(paged)).toEqual(paged);
    expect(es('9.1.0').searchBody(paged)).toEqual(paged);
  });

  it('breaks ties by _doc, then _id, where _shard_doc is missing (OpenSearch, Elasticsearch 7.10-7.11)', () => {
    const expected = {
      sort: [{ '@timestamp': { order: 'asc' } }, { _doc: { order: 'asc' } }, { _id: { order: 'asc' } }],
      search_after: [1715644800000, -1, ''],
      size: 100,
    };
    expect(os('2.19.6').searchBody(paged)).toEqual(expected);
    expect(es('7.10.2').searchBody(paged)).toEqual(expected);
    // later pages carry the tiebreakers the server returned
    expect(
      os('3.1.0').searchBody({ ...paged, search_after: [1715644800000, 12, 'doc-7'] }).search_after,
    ).toEqual([1715644800000, 12, 'doc-7']);
  });

  it('says fixed_interval as `interval` before Elasticsearch 7.2, at any depth', () => {
    const body = {
      aggs: {
        interval_aggs: {
          date_histogram: { field: 't', fixed_interval: '5m' },
          aggs: { n: { max: { field: 'x' } } },
        },
      },
    };
    expect(es('7.1.1').searchBody(body)).toEqual({
      aggs: {
        interval_aggs: {
          date_histogram: { field: 't', interval: '5m' },
          aggs: { n: { max: { field: 'x' } } },
        },
      },
    });
    expect(es('7.2.0').searchBody(body)).toEqual(body);
    expect(os('1.0.0').searchBody(body)).toEqual(body);
  });
});
