/**
 * Deep paging the engine way (hits-reader.ts) on every server: through a point in time where the
 * server has one (Elasticsearch's /_pit, OpenSearch's /_search/point_in_time, each with its own
 * tiebreaker), and through a scroll, the fallback for servers without one. Each way must hand
 * over every document of the window exactly once, whatever the page size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEsConnection } from '../../src/config/es-connection.ts';
import { createEsClient } from '../../src/query/es-api.ts';
import { type EsConnection, connectElasticsearch } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import { buildBaseQuery } from '../../src/query/filters.ts';
import { readHits } from '../../src/query/hits-reader.ts';
import type { SearchPort } from '../../src/query/search-port.ts';
import { createServerDialect } from '../../src/query/server-dialect.ts';
import { connectTestEs, esHostPort, testEs } from './helpers.ts';
import { startGateway } from './support/es-gateway.ts';

const HOUR = 3_600_000;

describe('paging through a query window', () => {
  let conn: EsConnection;
  let from: string;
  let to: string;
  beforeAll(async () => {
    conn = await connectTestEs();
    const start = Date.parse(testEs().corpus.manifest.start);
    from = new Date(start + 6 * HOUR).toISOString();
    to = new Date(start + 9 * HOUR).toISOString();
  });
  afterAll(async () => {
    await conn.close();
  });

  const query = () =>
    buildBaseQuery([{ term: { 'event.type.keyword': 'Normal' } }], {
      field: '@timestamp',
      gt: from,
      lte: to,
    });

  /** Reads the window with `port` in pages of `pageSize`; returns the ids in order of arrival and the page count. */
  const read = async (port: SearchPort, pageSize: number) => {
    const ids: string[] = [];
    const result = await readHits(
      port,
      {
        index: 'eventrouter-*',
        query: query(),
        timestampField: '@timestamp',
        pageSize,
        maxPages: 0,
        sourceIncludes: ['@timestamp'],
        keepAlive: '1m',
      },
      (hits) => {
        for (const h of hits) ids.push(h._id);
      },
    );
    return { ids, result };
  };

  const expectEveryDocumentOnce = async (port: SearchPort, pageSize: number) => {
    const total = (await conn.client.count({ index: 'eventrouter-*', query: query() })).count;
    expect(total).toBeGreaterThan(3 * pageSize);
    const { ids, result } = await read(port, pageSize);
    // pages after the first restart at the last timestamp of the page before: repeats are allowed
    // (the engine drops them by _id), misses are not
    expect(new Set(ids).size).toBe(total);
    expect(result.pages).toBeGreaterThan(3);
    expect(result.total).toBe(total);
    expect(result.truncated).toBe(false);
  };

  it(`through the server's point in time (${testEs().distribution} ${testEs().version})`, async () => {
    expect(conn.client.dialect.paging).toBe('pit');
    const kinds: string[] = [];
    await expectEveryDocumentOnce(createEsSearchPort(conn.client, { onRequest: (k) => kinds.push(k) }), 500);
    // opened and closed once
    expect(kinds.filter((k) => k === 'pit')).toHaveLength(2);
  });

  it('through a scroll, the way for servers without a point in time', async () => {
    const client = createEsClient(
      conn.client.transport,
      createServerDialect(conn.server, { paging: 'scroll' }),
    );
    const kinds: string[] = [];
    await expectEveryDocumentOnce(createEsSearchPort(client, { onRequest: (k) => kinds.push(k) }), 500);
    expect(kinds).not.toContain('pit');
  });

  it('falls back to a scroll when the point-in-time endpoint is missing, as on a distribution without it', async () => {
    // the gateway answers both PIT APIs as a server without them does
    const gw = await startGateway({
      target: testEs().url,
      fail: (_n, _method, path) => (/\/_pit|point_in_time/.test(path) ? 405 : undefined),
    });
    try {
      const c = await connectElasticsearch(
        resolveEsConnection({ es_host: '127.0.0.1', es_port: gw.port }, () => undefined),
      );
      try {
        await expectEveryDocumentOnce(createEsSearchPort(c.client), 700);
      } finally {
        await c.close();
      }
    } finally {
      await gw.close();
    }
  });

  it.runIf(testEs().distribution === 'opensearch')(
    "pages on OpenSearch told it is Elasticsearch (ElastAlert 2's ES_VERSION=8.2.0 for OpenSearch 2)",
    async () => {
      const c = await connectElasticsearch(
        resolveEsConnection(esHostPort(), (k) => (k === 'ES_VERSION' ? '8.2.0' : undefined)),
      );
      try {
        expect(c.server.distribution).toBe('elasticsearch');
        await expectEveryDocumentOnce(createEsSearchPort(c.client), 500);
      } finally {
        await c.close();
      }
    },
  );
});
