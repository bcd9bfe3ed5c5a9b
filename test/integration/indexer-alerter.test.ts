/**
 * The indexer alerter against the real test Elasticsearch: the alert document lands in the index
 * (refreshed, searchable at once), and Elasticsearch's refusals (a bad index name, a field the
 * mapping cannot take) come back as permanent failures with Elasticsearch's reason.
 */
import { describe, expect, it } from 'vitest';
import { indexerAlerter } from '../../src/alerters/indexer.ts';
import { alertContent, captureLog, deps } from '../unit/alerters/support/alert-content.ts';
import { testEs, uniqueName } from './helpers.ts';

const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  event: { reason: 'BackOff', message: 'restarting' },
  pod: 'api-1',
};

function connection(index: string) {
  const es = testEs();
  const url = new URL(es.url);
  return {
    es_host: url.hostname,
    es_port: Number(url.port),
    use_ssl: url.protocol === 'https:',
    ...(es.credentials ? { es_username: es.credentials.username, es_password: es.credentials.password } : {}),
    indexer_alerts_name: index,
  };
}

async function esFetch(path: string, init: RequestInit = {}) {
  const es = testEs();
  const auth = es.credentials
    ? {
        authorization: `Basic ${Buffer.from(`${es.credentials.username}:${es.credentials.password}`).toString('base64')}`,
      }
    : {};
  const res = await fetch(`${es.url}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...auth, ...init.headers },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const send = (rule: Record<string, unknown>) =>
  indexerAlerter
    .create(rule, deps(captureLog()))
    .send(alertContent(rule, [MATCH]), new AbortController().signal);

describe('indexer alerter', () => {
  it('writes the alert document, searchable at once', async () => {
    const index = uniqueName('esalert-indexer');
    const rule = {
      name: 'indexer rule',
      indexer_connection: connection(index),
      indexer_alert_config: {
        reason: 'event.reason',
        'kubernetes.pod': 'pod',
        customFields: [{ name: 'severity', value: 'high' }],
      },
    };
    expect(await send(rule)).toEqual({ ok: true });
    const found = await esFetch(`/${index}/_search`);
    const hits = (found.body.hits as { hits: { _source: Record<string, unknown> }[] }).hits;
    expect(hits).toHaveLength(1);
    expect(hits[0]!._source).toMatchObject({
      reason: 'BackOff',
      kubernetes: { pod: 'api-1' },
      customFields: { severity: 'high' },
    });
    expect(Date.parse(String(hits[0]!._source['@timestamp']))).toBeGreaterThan(Date.now() - 600_000);
    await esFetch(`/${index}`, { method: 'DELETE' });
  });

  it("Elasticsearch's refusals are permanent, with its reason", async () => {
    expect(
      await send({
        name: 'r',
        indexer_connection: connection('Bad_Index'),
        indexer_alert_config: { a: 'pod' },
      }),
    ).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/invalid_index_name_exception/),
    });
    const index = uniqueName('esalert-indexer-mapped');
    await esFetch(`/${index}`, {
      method: 'PUT',
      body: JSON.stringify({ mappings: { properties: { count: { type: 'integer' } } } }),
    });
    expect(
      await send({
        name: 'r',
        indexer_connection: connection(index),
        indexer_alert_config: { count: 'pod' },
      }),
    ).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/document_parsing_exception|mapper_parsing_exception/),
    });
    await esFetch(`/${index}`, { method: 'DELETE' });
  });
});
