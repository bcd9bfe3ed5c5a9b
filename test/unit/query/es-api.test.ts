/**
 * What the client sends for each call, per server: a real HTTP server on 127.0.0.1 records the
 * requests (method, path, query string, body) and answers as Elasticsearch or OpenSearch does.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type EsClient, createEsClient } from '../../../src/query/es-api.ts';
import { createEsTransport } from '../../../src/query/es-transport.ts';
import {
  type Distribution,
  createServerDialect,
  parseServerVersion,
} from '../../../src/query/server-dialect.ts';

interface Seen {
  method: string;
  url: string;
  body: string;
}

let server: Server | undefined;
let client: EsClient | undefined;

async function connect(
  version: string,
  distribution: Distribution,
  answer: (s: Seen) => unknown = () => ({}),
) {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, body };
      seen.push(s);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(s)));
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createEsClient(
    createEsTransport({ nodes: [url], requestTimeoutMs: 5000 }),
    createServerDialect(parseServerVersion(version, distribution)),
  );
  return { client, seen };
}

afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  client = undefined;
});

const json = (s: Seen) => JSON.parse(s.body) as unknown;

describe('the Elasticsearch/OpenSearch client', () => {
  it('splits search parameters into the query string and the body', async () => {
    const { client: c, seen } = await connect('8.19.0', 'elasticsearch', () => ({ hits: { hits: [] } }));
    await c.search({
      index: 'eventrouter-*',
      ignore_unavailable: true,
      _source_includes: ['a', 'b'],
      query: { match_all: {} },
      size: 10,
      track_total_hits: false,
    });
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe('/eventrouter-*/_search?ignore_unavailable=true&_source_includes=a%2Cb');
    expect(json(seen[0]!)).toEqual({ query: { match_all: {} }, size: 10, track_total_hits: false });
  });

  it('searches a point in time without an index in the path', async () => {
    const { client: c, seen } = await connect('2.19.6', 'opensearch', () => ({ hits: { hits: [] } }));
    await c.search({
      index: 'ignored',
      pit: { id: 'p1', keep_alive: '1m' },
      sort: [{ '@timestamp': { order: 'asc' } }, { _shard_doc: { order: 'asc' } }],
      search_after: [5, -1],
    });
    expect(seen[0]!.url).toBe('/_search');
    // OpenSearch has no _shard_doc: _doc then _id break ties
    expect(json(seen[0]!)).toEqual({
      pit: { id: 'p1', keep_alive: '1m' },
      sort: [{ '@timestamp': { order: 'asc' } }, { _doc: { order: 'asc' } }, { _id: { order: 'asc' } }],
      search_after: [5, -1, ''],
    });
  });

  it.each([
    [
      '8.19.0',
      'elasticsearch',
      '/logs/_pit?keep_alive=1m&ignore_unavailable=true',
      { id: 'E' },
      ['DELETE /_pit', { id: 'E' }],
    ],
    [
      '2.19.6',
      'opensearch',
      '/logs/_search/point_in_time?keep_alive=1m&ignore_unavailable=true',
      { pit_id: 'O' },
      ['DELETE /_search/point_in_time', { pit_id: ['O'] }],
    ],
  ] as const)(
    'opens and closes a point in time on %s %s',
    async (version, dist, openUrl, answer, [close, body]) => {
      const { client: c, seen } = await connect(version, dist, () => answer);
      const { id } = await c.openPointInTime({ index: 'logs', keep_alive: '1m' });
      await c.closePointInTime({ id });
      expect(seen[0]!.url).toBe(openUrl);
      expect(id).toBe(Object.values(answer)[0]);
      expect(`${seen[1]!.method} ${seen[1]!.url}`).toBe(close);
      expect(json(seen[1]!)).toEqual(body);
    },
  );

  it('writes documents with the typeless APIs 7.x and later share', async () => {
    const { client: c, seen } = await connect('7.17.29', 'elasticsearch', () => ({ _index: 'w', _id: '1' }));
    await c.index({ index: 'w', document: { a: 1 }, refresh: 'wait_for' });
    await c.index({ index: 'w', id: 'x/1', document: { a: 2 } });
    await c.create({ index: 'w', id: 'c1', document: { a: 3 }, refresh: true });
    await c.update({ index: 'w', id: 'c1', doc: { a: 4 }, refresh: false });
    await c.get({ index: 'w', id: 'c1' });
    await c.delete({ index: 'w', id: 'c1' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /w/_doc?refresh=wait_for',
      'PUT /w/_doc/x%2F1',
      'PUT /w/_create/c1?refresh=true',
      'POST /w/_update/c1?refresh=false',
      'GET /w/_doc/c1',
      'DELETE /w/_doc/c1',
    ]);
    expect(json(seen[3]!)).toEqual({ doc: { a: 4 } });
  });

  it('sends bulk operations and multi-searches as NDJSON', async () => {
    const { client: c, seen } = await connect('9.1.0', 'elasticsearch', () => ({
      errors: false,
      items: [],
      responses: [],
    }));
    await c.bulk({ operations: [{ create: { _index: 'a', _id: '1' } }, { x: 1 }], refresh: false });
    await c.msearch({ searches: [{ index: 'a' }, { query: { match_all: {} }, size: 0 }] });
    expect(`${seen[0]!.method} ${seen[0]!.url}`).toBe('POST /_bulk?refresh=false');
    expect(seen[0]!.body).toBe('{"create":{"_index":"a","_id":"1"}}\n{"x":1}\n');
    expect(seen[1]!.body).toBe('{"index":"a"}\n{"query":{"match_all":{}},"size":0}\n');
  });

  it('answers exists and ping with booleans, 404 included', async () => {
    const { client: c } = await connect('8.19.0', 'elasticsearch');
    expect(await c.indices.exists({ index: 'x' })).toBe(true);
    expect(await c.ping()).toBe(true);
    server!.removeAllListeners('request');
    server!.on('request', (_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    expect(await c.indices.exists({ index: 'x' })).toBe(false);
    expect(await c.ping()).toBe(false);
  });

  it('reads every document through a scroll on a server without a point in time', async () => {
    let page = 0;
    const { client: c, seen } = await connect('1.3.19', 'opensearch', (s) => {
      if (s.method === 'DELETE') return { succeeded: true };
      page++;
      const hits = page <= 2 ? [{ _id: `${page}`, _index: 'i', _source: { n: page } }] : [];
      return { _scroll_id: `s${page}`, hits: { hits } };
    });
    const docs: unknown[] = [];
    for await (const d of c.helpers.scrollDocuments({ index: 'i', size: 1, query: { match_all: {} } }))
      docs.push(d);
    expect(docs).toEqual([{ n: 1 }, { n: 2 }]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /i/_search?scroll=1m',
      'POST /_search/scroll',
      'POST /_search/scroll',
      'DELETE /_search/scroll',
    ]);
    expect(json(seen[3]!)).toEqual({ scroll_id: 's3' });
  });
});
