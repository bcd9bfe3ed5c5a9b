/**
 * The transport against real HTTP servers on 127.0.0.1 that answer as Elasticsearch does: which
 * node gets each request, what a refused connection, a slow answer, an abort and an error status
 * become, and what goes over the wire (authorization, content types, NDJSON, the URL prefix).
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EsConnectionOptions } from '../../../src/config/es-connection.ts';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';
import { toEsError } from '../../../src/query/es-client.ts';
import {
  ConnectionError,
  RequestAbortedError,
  ResponseError,
  TimeoutError,
  createEsTransport,
  encodeQuery,
} from '../../../src/query/es-transport.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Node {
  url: string;
  seen: Seen[];
  server: Server;
}

const servers: Server[] = [];

async function startNode(
  answer: (req: Seen, res: ServerResponse) => void = (_r, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  },
): Promise<Node> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(s);
      answer(s, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

/** A port nothing listens on: one we bound and closed. */
async function deadUrl(): Promise<string> {
  const n = await startNode();
  await new Promise<void>((r) => n.server.close(() => r()));
  return n.url;
}

const opts = (nodes: string[], extra: Partial<EsConnectionOptions> = {}): EsConnectionOptions => ({
  nodes,
  requestTimeoutMs: 5000,
  ...extra,
});

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

describe('the Elasticsearch transport', () => {
  it('sends JSON with plain media types and reads JSON answers', async () => {
    const n = await startNode();
    const t = createEsTransport(opts([n.url]));
    const res = await t.request({
      method: 'POST',
      path: '/idx/_search',
      querystring: { ignore_unavailable: true, _source_includes: ['a', 'b'], skipped: undefined },
      body: { query: { match_all: {} } },
    });
    await t.close();
    expect(res).toEqual({ statusCode: 200, body: { ok: true } });
    expect(n.seen[0]!.url).toBe('/idx/_search?ignore_unavailable=true&_source_includes=a%2Cb');
    expect(n.seen[0]!.headers['content-type']).toBe('application/json');
    expect(n.seen[0]!.headers.accept).toBe('application/json');
    expect(JSON.parse(n.seen[0]!.body)).toEqual({ query: { match_all: {} } });
  });

  it('sends bulk bodies as NDJSON, one line per item and a final newline', async () => {
    const n = await startNode();
    const t = createEsTransport(opts([n.url]));
    await t.request({ method: 'POST', path: '/_bulk', bulkBody: [{ index: { _index: 'x' } }, { a: 1 }] });
    await t.close();
    expect(n.seen[0]!.headers['content-type']).toBe('application/x-ndjson');
    expect(n.seen[0]!.body).toBe('{"index":{"_index":"x"}}\n{"a":1}\n');
  });

  it('keeps the es_url_prefix of a node', async () => {
    const n = await startNode();
    const t = createEsTransport(opts([`${n.url}/es/`]));
    await t.request({ method: 'GET', path: '/_cluster/health' });
    await t.close();
    expect(n.seen[0]!.url).toBe('/es/_cluster/health');
  });

  it.each([
    [
      { kind: 'basic', username: 'elastic', password: 'pw' },
      `Basic ${Buffer.from('elastic:pw').toString('base64')}`,
    ],
    [{ kind: 'apiKey', apiKey: 'a2V5OnNlY3JldA==' }, 'ApiKey a2V5OnNlY3JldA=='],
    [{ kind: 'bearer', token: 'tok' }, 'Bearer tok'],
  ] as const)('sends %j as the Authorization header', async (auth, header) => {
    const n = await startNode();
    const t = createEsTransport(opts([n.url], { auth }));
    await t.request({ method: 'GET', path: '/' });
    await t.close();
    expect(n.seen[0]!.headers.authorization).toBe(header);
  });

  it('sends requests to the nodes in turn', async () => {
    const a = await startNode();
    const b = await startNode();
    const t = createEsTransport(opts([a.url, b.url]));
    for (let i = 0; i < 4; i++) await t.request({ method: 'GET', path: `/${i}` });
    await t.close();
    expect(a.seen.map((s) => s.url)).toEqual(['/0', '/2']);
    expect(b.seen.map((s) => s.url)).toEqual(['/1', '/3']);
  });

  it('goes on to the next node when one refuses connections, and leaves the dead one out for a while', async () => {
    const dead = await deadUrl();
    const live = await startNode();
    const t = createEsTransport(opts([dead, live.url]));
    for (let i = 0; i < 3; i++) {
      const res = await t.request({ method: 'POST', path: `/idx/_doc`, body: { i } });
      expect(res.statusCode).toBe(200);
    }
    await t.close();
    expect(live.seen).toHaveLength(3);
  });

  it('fails with a ConnectionError (ES_UNREACHABLE, retryable) when no node answers', async () => {
    const t = createEsTransport(opts([await deadUrl(), await deadUrl()]));
    const err = await t.request({ method: 'GET', path: '/' }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(ConnectionError);
    const mapped = toEsError(err, 'search failed');
    expect(isEsalertError(mapped, 'ES_UNREACHABLE')).toBe(true);
    expect(mapped.retryable).toBe(true);
  });

  it('turns an error status into a ResponseError with the body, mapped to ES_QUERY_FAILED or ES_AUTH', async () => {
    const status = [429, 400, 503, 401];
    const n = await startNode((_r, res) => {
      res.statusCode = status.shift()!;
      res.setHeader('content-type', 'application/json');
      res.end('{"error":{"type":"x_exception","reason":"why"},"status":1}');
    });
    const t = createEsTransport(opts([n.url]));
    const errs: unknown[] = [];
    for (let i = 0; i < 4; i++)
      errs.push(await t.request({ method: 'GET', path: '/' }).catch((e: unknown) => e));
    await t.close();
    expect(errs[0]).toBeInstanceOf(ResponseError);
    expect((errs[1] as ResponseError).meta.statusCode).toBe(400);
    expect((errs[1] as ResponseError).body).toEqual({
      error: { type: 'x_exception', reason: 'why' },
      status: 1,
    });
    const [tooMany, bad, unavailable, auth] = errs.map((e) => toEsError(e, 'q'));
    expect([tooMany!.code, tooMany!.retryable]).toEqual(['ES_QUERY_FAILED', true]);
    expect([bad!.code, bad!.retryable]).toEqual(['ES_QUERY_FAILED', false]);
    expect(bad!.message).toBe('q: HTTP 400: x_exception: why');
    expect([unavailable!.code, unavailable!.retryable]).toEqual(['ES_QUERY_FAILED', true]);
    expect(auth!.code).toBe('ES_AUTH');
  });

  it('returns ignored statuses as answers (HEAD of a missing index)', async () => {
    const n = await startNode((_r, res) => {
      res.statusCode = 404;
      res.end();
    });
    const t = createEsTransport(opts([n.url]));
    const res = await t.request({ method: 'HEAD', path: '/missing' }, { ignore: [404] });
    await t.close();
    expect(res.statusCode).toBe(404);
  });

  it('gives up on a slow answer after the request timeout, without trying another node', async () => {
    const slow = await startNode(() => {
      // never answers
    });
    const other = await startNode();
    const t = createEsTransport(opts([slow.url, other.url], { requestTimeoutMs: 200 }));
    const err = await t.request({ method: 'POST', path: '/idx/_doc', body: {} }).catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(TimeoutError);
    expect(toEsError(err, 'w').code).toBe('ES_UNREACHABLE');
    expect(other.seen).toHaveLength(0);
  });

  it("stops at once when the caller's signal aborts (ABORTED)", async () => {
    const slow = await startNode(() => {});
    const t = createEsTransport(opts([slow.url]));
    const ac = new AbortController();
    const pending = t.request({ method: 'GET', path: '/' }, { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    const err = await pending;
    await t.close();
    expect(err).toBeInstanceOf(RequestAbortedError);
    expect(toEsError(err, 's').code).toBe('ABORTED');
  });

  it('never puts credentials into error messages', async () => {
    const t = createEsTransport(
      opts([await deadUrl()], { auth: { kind: 'basic', username: 'u', password: 'hunter2-secret' } }),
    );
    const err = (await t.request({ method: 'GET', path: '/' }).catch((e: unknown) => e)) as Error;
    await t.close();
    expect(toEsError(err, 'x').message).not.toContain('hunter2-secret');
    expect(toEsError(err, 'x').message).not.toContain(Buffer.from('u:hunter2-secret').toString('base64'));
  });

  it('encodes query strings: lists joined by commas, undefined left out', () => {
    expect(encodeQuery({ a: ['x', 'y'], b: undefined, c: false, d: 'a b' })).toBe('?a=x%2Cy&c=false&d=a%20b');
    expect(encodeQuery({})).toBe('');
  });
});
