/**
 * The writeback's writes through shared `_bulk` requests, against the real Elasticsearch: writes
 * made together share a request, each write still learns its own document's fate (a replayed
 * alert's 409, a missing document, a mapping conflict), and what was acknowledged is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EsConnection } from '../../src/query/es-client.ts';
import { createBulkWriter } from '../../src/state/bulk-writer.ts';
import { createEsWriteback } from '../../src/state/es-writeback.ts';
import type { AlertDoc, StatusDoc } from '../../src/state/writeback.ts';
import { connectTestEs, uniqueName } from './helpers.ts';

const status = (rule: string, i: number): StatusDoc => ({
  rule_name: rule,
  starttime: '2024-05-14T00:00:00.000Z',
  endtime: `2024-05-14T00:${String(i).padStart(2, '0')}:00.000Z`,
  matches: 0,
  hits: i,
  time_taken: 0.01,
  '@timestamp': `2024-05-14T00:${String(i).padStart(2, '0')}:01.000Z`,
});

const alert = (rule: string): AlertDoc => ({
  match_body: { pod: 'a' },
  rule_name: rule,
  alert_info: { type: 'debug' },
  alert_sent: false,
  alert_time: '2024-05-14T00:00:00.000Z',
  '@timestamp': '2024-05-14T00:00:00.000Z',
});

describe('writeback writes in _bulk requests', () => {
  let es: EsConnection;
  const wb = uniqueName('esalert_bulk');

  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterAll(async () => {
    await es.client.indices.delete({ index: `${wb}*` }).catch(() => {});
    await es.close();
  });

  it('writes made together share one request, and each is stored', async () => {
    let requests = 0;
    const store = createEsWriteback(es.client, wb, { onRequest: () => requests++ });
    await store.ensureIndices();
    requests = 0;
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.writeStatus(status(`rule-${i % 4}`, i))),
      store.createAlert('alert-1', alert('rule-0')),
      store.writeSilence(
        'rule-0',
        { until: Date.parse('2024-05-14T01:00:00Z'), exponent: 1 },
        '2024-05-14T00:00:00Z',
      ),
      store.writeError('boom', { rule: 'rule-1' }, '2024-05-14T00:00:00Z'),
    ]);
    expect(requests).toBe(1);
    await store.flush();
    expect((await store.lastStatus('rule-3'))?.hits).toBe(19);
    expect((await store.getAlert('alert-1'))?.rule_name).toBe('rule-0');
    expect((await store.silence('rule-0'))?.exponent).toBe(1);
    const errors = await es.client.search({ index: `${wb}_error`, query: { match_all: {} } });
    expect(errors.hits.hits.map((h) => (h._source as { message: string }).message)).toEqual(['boom']);
  });

  it("a replayed alert is 'exists' while the others in its request are created; the update marks it sent", async () => {
    const store = createEsWriteback(es.client, wb);
    await store.createAlert('alert-2', alert('rule-0'));
    const [again, fresh] = await Promise.all([
      store.createAlert('alert-2', alert('rule-0')),
      store.createAlert('alert-3', alert('rule-0')),
    ]);
    expect([again, fresh]).toEqual(['exists', 'created']);
    await store.updateAlert('alert-2', { alert_sent: true, esalert_delivered: ['debug'] });
    const doc = await store.getAlert('alert-2');
    expect(doc?.alert_sent).toBe(true);
    expect(doc?.esalert_delivered).toEqual(['debug']);
  });

  it("one document's failure is its own: the update of a missing alert fails, the status beside it is stored", async () => {
    const store = createEsWriteback(es.client, wb);
    const [update, written] = await Promise.allSettled([
      store.updateAlert('no-such-alert', { alert_sent: true }),
      store.writeStatus(status('rule-lonely', 7)),
    ]);
    expect(update.status).toBe('rejected');
    const err = (update as PromiseRejectedResult).reason as { code: string; message: string };
    expect(err.code).toBe('WRITEBACK_FAILED');
    expect(err.message).toMatch(/updating an alert.*404.*document_missing_exception/s);
    expect(written.status).toBe('fulfilled');
    await store.flush();
    expect((await store.lastStatus('rule-lonely'))?.hits).toBe(7);
  });

  it('a mapping conflict fails that write only', async () => {
    const writer = createBulkWriter(es.client);
    const index = `${wb}_mapped`;
    await es.client.indices.create({ index, mappings: { properties: { n: { type: 'integer' } } } });
    const [bad, good] = await Promise.all([
      writer.write({ action: 'index', index, doc: { n: 'not a number' } }),
      writer.write({ action: 'index', index, doc: { n: 3 } }),
    ]);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.error)).toMatch(/(document|mapper)_parsing_exception/);
    expect(good.status).toBe(201);
  });

  it('writes arriving while a request is under way leave together in the next one', async () => {
    let requests = 0;
    const writer = createBulkWriter(es.client, { onRequest: () => requests++ });
    const index = `${wb}_waves`;
    const first = writer.write({ action: 'index', index, doc: { wave: 1 } });
    // the first request leaves at the end of this turn; these arrive while it is under way
    await new Promise((r) => setImmediate(r));
    const rest = Array.from({ length: 30 }, (_, i) =>
      writer.write({ action: 'index', index, doc: { wave: 2, i } }),
    );
    await Promise.all([first, ...rest]);
    expect(requests).toBe(2);
    await writer.settled();
    await es.client.indices.refresh({ index });
    expect((await es.client.count({ index })).count).toBe(31);
  });

  it('a write whose signal is aborted before its request leaves is not sent', async () => {
    const writer = createBulkWriter(es.client, { lingerMs: 50 });
    const index = `${wb}_aborted`;
    const ac = new AbortController();
    const aborted = writer.write({ action: 'index', index, doc: { x: 1 } }, ac.signal);
    const kept = writer.write({ action: 'index', index, doc: { x: 2 } });
    ac.abort(new Error('stopping'));
    await expect(aborted).rejects.toThrow('stopping');
    expect((await kept).status).toBe(201);
    await es.client.indices.refresh({ index });
    expect((await es.client.count({ index })).count).toBe(1);
  });
});
