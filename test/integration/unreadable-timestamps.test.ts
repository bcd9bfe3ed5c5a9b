/**
 * Timestamps against the real Elasticsearch: epoch milliseconds (numbers, as a `date` field with
 * the default format takes them) are read like ISO 8601, and a document whose timestamp cannot
 * be read (a keyword field holding text a range query still selects) is skipped with a warning
 * and counted; the rule goes on with the rest of the window. And --es-debug sees every request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEsConnection } from '../../src/config/es-connection.ts';
import { connectElasticsearch, type EsConnection, type EsRequestEvent } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, uniqueName } from './helpers.ts';
import { runRuleOnce } from './support/run-once.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const T = Date.parse('2024-06-01T10:00:00Z');
const MINUTE = 60_000;

describe('document timestamps', () => {
  let es: EsConnection;
  let ws: Workspace;
  const dates = uniqueName('tsdate');
  const keywords = uniqueName('tskeyword');

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({ ...esHostPort(), run_every: { minutes: 1 }, buffer_time: { minutes: 15 } });
    await es.client.indices.create({
      index: dates,
      mappings: { properties: { '@timestamp': { type: 'date' } } },
    });
    await es.client.indices.create({
      index: keywords,
      mappings: { properties: { '@timestamp': { type: 'keyword' } } },
    });
    await es.client.bulk({
      refresh: true,
      operations: [
        { index: { _index: dates } },
        { '@timestamp': T + MINUTE, msg: 'epoch millis' },
        { index: { _index: dates } },
        { '@timestamp': String(T + 2 * MINUTE), msg: 'epoch millis as text' },
        { index: { _index: dates } },
        { '@timestamp': new Date(T + 3 * MINUTE).toISOString(), msg: 'iso' },
        { index: { _index: keywords } },
        { '@timestamp': '2024-06-01T10:01:00Z', msg: 'good' },
        { index: { _index: keywords } },
        { '@timestamp': '2024-06-01T10:02:00Z and some garbage', msg: 'bad' },
        { index: { _index: keywords } },
        { '@timestamp': '2024-06-01T10:03:00Z', msg: 'good too' },
      ],
    });
  });
  afterAll(async () => {
    await es.client.indices.delete({ index: [dates, keywords] }).catch(() => {});
    await es.close();
    ws.remove();
  });

  it('epoch milliseconds are read as Elasticsearch reads them; the match carries the time as ISO 8601', async () => {
    const file = ws.writeRule('dates.yaml', { name: 'dates', type: 'any', index: dates, alert: ['debug'] });
    const { report } = await runRuleOnce(es.client, ws, file, T + 10 * MINUTE, { start: T });
    expect(report.error).toBeUndefined();
    expect(report.unreadable ?? 0).toBe(0);
    const times = report.matches.map((m) => m.match['@timestamp']).sort();
    expect(times).toEqual(['2024-06-01T10:01:00Z', '2024-06-01T10:02:00Z', '2024-06-01T10:03:00Z']);
  });

  it('a document with an unreadable timestamp is skipped and counted; the others are handled', async () => {
    const file = ws.writeRule('keywords.yaml', {
      name: 'kw',
      type: 'any',
      index: keywords,
      alert: ['debug'],
    });
    const { report } = await runRuleOnce(es.client, ws, file, T + 10 * MINUTE, { start: T });
    expect(report.error).toBeUndefined();
    expect(report.unreadable).toBe(1);
    expect(report.matches.map((m) => m.match.msg).sort()).toEqual(['good', 'good too']);
    expect(report.completedTo).toBe('2024-06-01T10:10:00Z');
  });

  it('--es-debug: every request is reported with its method, path, status and body', async () => {
    const events: EsRequestEvent[] = [];
    const conn = await connectElasticsearch(
      resolveEsConnection(esHostPort(), () => undefined),
      {
        onRequest: (e) => events.push(e),
      },
    );
    try {
      await conn.client.search({ index: dates, query: { term: { msg: 'iso' } } });
    } finally {
      await conn.close();
    }
    const search = events.find((e) => e.path.startsWith(`/${dates}/_search`));
    expect(search).toMatchObject({ method: 'POST', status: 200 });
    expect(String(search!.body)).toContain('"term"');
  });
});
