/**
 * The console's HTTP surface over a recording ConsoleSource: routes, parameters, who may do
 * what, the CSRF checks, error answers, secrets masked in answers, headers on everything. (The
 * source over a running esalert is tested in the browser tests against the real Elasticsearch.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertFilter, ConsoleSource, NewSilence } from '../../../src/http/console/console-source.ts';
import { ConsoleRequestError } from '../../../src/http/console/console-source.ts';
import type { RuleRow } from '../../../src/http/console/web/api-types.ts';
import { Observability } from '../../../src/http/observability.ts';
import { type HttpServer, startHttpServer } from '../../../src/http/server.ts';

const TOKEN = 'tok-0123456789abcdef';
const READER = 'tok-reader-0123456789';
const SECRET = 'the-webhook-secret';

function row(name: string): RuleRow {
  return {
    name,
    file: `rules/${name}.yaml`,
    type: 'any',
    index: 'eventrouter-*',
    schedule: 'every 1m',
    owner: null,
    loadedAt: '2024-05-14T00:00:00Z',
    runs: 0,
    skippedRuns: 0,
    silences: [],
    warningCount: 0,
  };
}

function recordingSource(calls: unknown[]): ConsoleSource {
  return {
    settings: () => ({ timezone: 'Asia/Shanghai', k8sIndex: 'eventrouter-*' }),
    secrets: () => [SECRET],
    rules: async () => ({
      rules: [row('a'), { ...row('b'), reloadError: `cannot reach https://x/?t=${SECRET}` }],
      loadErrors: [],
      generatedAt: '2024-05-14T00:00:00Z',
    }),
    rule: async (name) =>
      name === 'a/b c'
        ? {
            ...row(name),
            yaml: '',
            imports: [],
            warnings: [],
            queryKey: null,
            realertMs: 0,
            timeframeMs: null,
            alerters: [],
            timestampField: '@timestamp',
          }
        : undefined,
    runs: async (name, limit) => {
      calls.push({ runs: name, limit });
      return [];
    },
    alerts: async (f: AlertFilter) => {
      calls.push(f);
      return { alerts: [], total: 0, offset: f.offset, truncated: false };
    },
    silences: async (o) => {
      calls.push(o);
      return { silences: [] };
    },
    setSilence: async (s: NewSilence) => {
      calls.push(s);
      if (s.duration === 'forever') throw new ConsoleRequestError(400, '"forever" is not a duration');
      return {
        id: 'x',
        key: `${s.rule}._silence`,
        rule: s.rule,
        queryKey: null,
        until: '',
        at: null,
        author: s.author,
        reason: s.reason,
        kind: 'manual',
        active: true,
      };
    },
    liftSilence: async (id, author) => {
      calls.push({ lift: id, author });
      return id === 'known';
    },
    explain: async (name, window) => {
      calls.push({ explain: name, window });
      await new Promise((r) => setTimeout(r, 150));
      return {
        rule: name,
        window: { start: '', end: '' },
        hits: 0,
        duplicates: 0,
        segments: [],
        matchCount: 0,
        matches: [],
        alerts: [],
        alertCount: 0,
        tookMs: 1,
      };
    },
    k8sWorkloads: async (q) => {
      calls.push(q);
      return { index: 'eventrouter-*', from: '', to: '', namespaces: [] };
    },
    k8sTimeline: async (q) => {
      calls.push(q);
      return {
        namespace: q.namespace,
        workload: q.workload,
        from: '',
        to: '',
        events: [],
        truncated: false,
        alerts: [],
      };
    },
  };
}

describe('the console API', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (auth: Parameters<HttpServer['attachConsole']>[0]['auth'], calls: unknown[] = []) => {
    server = await startHttpServer(new Observability(), 0, '127.0.0.1', {
      now: () => Date.parse('2024-05-14T12:00:00Z'),
    });
    server.attachConsole({ source: recordingSource(calls), auth });
    return calls;
  };
  const req = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${server!.url}${path}`, {
      ...init,
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.method && init.method !== 'GET' ? { 'x-esalert-request': '1' } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  const auth = {
    anonymousRead: true,
    tokens: [
      { name: 'oncall', token: TOKEN, write: true },
      { name: 'reader', token: READER, write: false },
    ],
    users: [],
  };

  it('answers before the app attaches its console: the page, and 503 for the API', async () => {
    server = await startHttpServer(new Observability(), 0, '127.0.0.1');
    expect((await fetch(`${server.url}/`)).status).toBe(200);
    const r = await fetch(`${server.url}/api/alerts`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ code: 'STARTING' });
    expect((await fetch(`${server.url}/api/rules`)).status).toBe(200); // the status so far
  });

  it('reads: session, rules with secrets masked, rule names with any characters, parameters checked', async () => {
    const calls = await start(auth);
    expect(await (await req('/api/session')).json()).toEqual({
      user: null,
      read: true,
      write: false,
      authConfigured: true,
      timezone: 'Asia/Shanghai',
      k8sIndex: 'eventrouter-*',
    });
    expect(await (await req('/api/session', { token: TOKEN })).json()).toMatchObject({
      user: 'oncall',
      write: true,
    });
    expect(await (await req('/api/session', { token: READER })).json()).toMatchObject({
      user: 'reader',
      write: false,
    });
    const rules = await (await req('/api/rules')).text();
    expect(rules).not.toContain(SECRET);
    expect(rules).toContain('t=***');
    expect((await req(`/api/rules/${encodeURIComponent('a/b c')}`)).status).toBe(200);
    expect((await req('/api/rules/nope')).status).toBe(404);
    await req('/api/rules/a/runs?limit=9999');
    expect(calls.at(-1)).toEqual({ runs: 'a', limit: 500 });
    await req('/api/alerts?rule=a&query_key=pod-1&state=failed&from=2024-05-14T00:00:00Z&offset=50&limit=10');
    expect(calls.at(-1)).toEqual({
      rule: 'a',
      queryKey: 'pod-1',
      state: 'failed',
      from: '2024-05-14T00:00:00.000Z',
      offset: 50,
      limit: 10,
    });
    expect((await req('/api/alerts?state=lost')).status).toBe(400);
    expect((await req('/api/alerts?from=yesterday')).status).toBe(400);
    await req('/api/k8s/timeline?namespace=prod&workload=web');
    expect(calls.at(-1)).toEqual({
      namespace: 'prod',
      workload: 'web',
      from: Date.parse('2024-05-13T12:00:00Z'),
      to: Date.parse('2024-05-14T12:00:00Z'),
    });
    expect((await req('/api/k8s/timeline?namespace=prod')).status).toBe(400);
    expect((await req('/api/nothing')).status).toBe(404);
  });

  it('large answers are gzipped for clients that accept it', async () => {
    await start(auth);
    const small = await fetch(`${server!.url}/api/session`, { headers: { 'accept-encoding': 'gzip' } });
    expect(small.headers.get('content-encoding')).toBeNull();
    const page = await fetch(`${server!.url}/assets/i18n.ts`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-encoding')).toBe('gzip');
    expect(await page.text()).toContain("'nav.rules': 'Rules'");
    const raw = await fetch(`${server!.url}/assets/i18n.ts`, { headers: { 'accept-encoding': 'identity' } });
    expect(raw.headers.get('content-encoding')).toBeNull();
    expect(Buffer.from(await raw.arrayBuffer()).length).toBeGreaterThan(8192);
    const etag = raw.headers.get('etag')!;
    expect(
      (await fetch(`${server!.url}/assets/i18n.ts`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
  });

  it('silencing needs write access, the CSRF header, JSON and a reason; the author is who signed in', async () => {
    const calls = await start(auth);
    const body = JSON.stringify({ rule: 'a', duration: '4h', reason: '  deploy  ' });
    expect((await req('/api/silences', { method: 'POST', body })).status).toBe(401);
    expect((await req('/api/silences', { method: 'POST', body, token: READER })).status).toBe(403);
    expect(
      (await req('/api/silences', { method: 'POST', body, token: 'nope-0123456789abcdef' })).status,
    ).toBe(401);
    expect(
      (
        await req('/api/silences', {
          method: 'POST',
          body,
          token: TOKEN,
          headers: { 'x-esalert-request': '' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await req('/api/silences', {
          method: 'POST',
          body,
          token: TOKEN,
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(403);
    expect(calls).toEqual([]);
    const ok = await req('/api/silences', { method: 'POST', body, token: TOKEN });
    expect(ok.status).toBe(201);
    expect(calls.at(-1)).toEqual({ rule: 'a', duration: '4h', reason: 'deploy', author: 'oncall' });
    const noReason = await req('/api/silences', {
      method: 'POST',
      body: JSON.stringify({ rule: 'a', duration: '4h', reason: ' ' }),
      token: TOKEN,
    });
    expect(noReason.status).toBe(400);
    const bad = await req('/api/silences', {
      method: 'POST',
      body: JSON.stringify({ rule: 'a', duration: 'forever', reason: 'x' }),
      token: TOKEN,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: '"forever" is not a duration', code: 'REQUEST' });
    expect((await req('/api/silences', { method: 'POST', body: '{', token: TOKEN })).status).toBe(400);
    expect((await req('/api/silences/known', { method: 'DELETE', token: TOKEN })).status).toBe(200);
    expect(calls.at(-1)).toEqual({ lift: 'known', author: 'oncall' });
    expect((await req('/api/silences/unknown', { method: 'DELETE', token: TOKEN })).status).toBe(404);
    expect((await req('/api/silences/known', { method: 'DELETE' })).status).toBe(401);
  });

  it('without http_auth nobody can silence; with anonymous_read false nobody reads without signing in', async () => {
    await start(undefined);
    const r = await req('/api/silences', {
      method: 'POST',
      body: JSON.stringify({ rule: 'a', duration: '1h', reason: 'x' }),
    });
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ code: 'READ_ONLY' });
    await server!.close();
    await start({ ...auth, anonymousRead: false });
    const anon = await req('/api/rules');
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer realm="esalert"');
    expect((await req('/api/rules', { token: READER })).status).toBe(200);
    expect(await (await req('/api/session')).json()).toMatchObject({ read: false });
    expect((await req('/metrics')).status).toBe(200); // probes and metrics stay open
  });

  it('explain: a window of at most 31 days, one at a time', async () => {
    const calls = await start(auth);
    const explain = (body: unknown) =>
      req('/api/rules/a/explain', { method: 'POST', body: JSON.stringify(body) });
    expect((await explain({ start: '2024-05-14T00:00:00Z', end: '2024-07-14T00:00:00Z' })).status).toBe(400);
    expect((await explain({ start: '2024-05-14T01:00:00Z', end: '2024-05-14T00:00:00Z' })).status).toBe(400);
    const [first, second] = await Promise.all([
      explain({ start: '2024-05-14T00:00:00Z', end: '2024-05-14T01:00:00Z' }),
      new Promise((r) => setTimeout(r, 30)).then(() => explain({})),
    ]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(calls).toEqual([
      {
        explain: 'a',
        window: { start: Date.parse('2024-05-14T00:00:00Z'), end: Date.parse('2024-05-14T01:00:00Z') },
      },
    ]);
    expect(
      (
        await req('/api/rules/a/explain', {
          method: 'POST',
          body: '{}',
          headers: { 'x-esalert-request': '' },
        })
      ).status,
    ).toBe(403);
  });

  it("every answer carries the security headers; only GET on the server's own endpoints", async () => {
    await start(auth);
    for (const path of ['/', '/api/session', '/metrics', '/nope', '/assets/main.ts']) {
      const r = await fetch(`${server!.url}${path}`);
      expect(r.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      expect(r.headers.get('x-frame-options'), path).toBe('DENY');
    }
    expect((await fetch(`${server!.url}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${server!.url}/assets/../../server.ts`)).status).toBe(404);
  });
});
