/**
 * top_count_keys against the real Elasticsearch: the most frequent values around a match,
 * restricted to its query_key value, compared with counts taken from the generated corpus itself.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { catalogs } from '../../src/app/catalogs.ts';
import { type TopCountOptions, topCountOptions, topCounts } from '../../src/alerts/top-counts.ts';
import { createRuntimeRule } from '../../src/engine/runtime-rule.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { createEsSearchPort } from '../../src/query/es-search-port.ts';
import type { SearchPort } from '../../src/query/search-port.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';
import { toIso } from '../../src/util/time.ts';
import { generateAll } from '../corpus/generator.ts';
import type { EventrouterDoc } from '../corpus/kube.ts';
import { testConfig } from '../support/config.ts';
import { connectTestEs, testEs } from './helpers.ts';

const MIN = 60_000;

/**
 * Counts of `value(doc)` over corpus documents passing `keep` in the window queried as
 * (from, to] with whole-second times, which Elasticsearch rounds up to [from + 1s, to + 1s), top `n`.
 */
function corpusTop(
  docs: EventrouterDoc[],
  from: number,
  to: number,
  keep: (d: EventrouterDoc) => boolean,
  value: (d: EventrouterDoc) => string,
  n = 5,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const d of docs) {
    const t = Date.parse(d['@timestamp']);
    if (t < from + 1000 || t >= to + 1000 || !keep(d)) continue;
    counts.set(value(d), (counts.get(value(d)) ?? 0) + 1);
  }
  // Elasticsearch's order: count, then term
  const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
  return Object.fromEntries(top);
}

function loadRule(rule: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-top-'));
  const file = join(dir, 'rule.yaml');
  writeFileSync(file, stringify({ name: 'r', alert: ['debug'], ...rule }));
  const global = testConfig({
    rules_folder: dir,
    run_every: { minutes: 1 },
    buffer_time: { minutes: 15 },
    es_host: 'x',
    writeback_index: 'wb',
  });
  return createRuntimeRule(
    loadRuleFile(file, {
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: pino({ level: 'silent' }),
    }),
  );
}

describe('top_count_keys', () => {
  let es: EsConnection;
  let port: SearchPort;
  let docs: EventrouterDoc[];

  beforeAll(async () => {
    es = await connectTestEs();
    port = createEsSearchPort(es.client);
    docs = generateAll(testEs().corpus.options).docs.map((d) => d._source);
  });
  afterAll(async () => {
    await es.close();
  });

  it("counts the match query_key value's reasons in [match - timeframe, match + 10 minutes]", async () => {
    const loop = testEs().corpus.manifest.crashLoops[0]!;
    const at = Date.parse(loop.from) + 30 * MIN;
    const o: TopCountOptions = {
      indexFor: () => 'eventrouter-*',
      filters: [],
      timestampField: '@timestamp',
      writeTimestamp: toIso,
      keys: ['event.reason', 'event.type.keyword'],
      queryKeyFields: ['event.involvedObject.name'],
      rawCountKeys: true,
      stringMultiFieldName: '.keyword',
      number: 5,
      minDocCount: 1,
      lookBackMs: 20 * MIN,
    };
    const match = { '@timestamp': toIso(at), event: { involvedObject: { name: loop.pod } } };
    const counts = await topCounts(port, o, match, loop.pod);
    const mine = (d: EventrouterDoc) => d.event.involvedObject.name === loop.pod;
    expect(counts).toEqual({
      'top_events_event.reason.keyword': corpusTop(
        docs,
        at - 20 * MIN,
        at + 10 * MIN,
        mine,
        (d) => d.event.reason,
      ),
      'top_events_event.type.keyword': corpusTop(
        docs,
        at - 20 * MIN,
        at + 10 * MIN,
        mine,
        (d) => d.event.type,
      ),
    });
    expect(counts['top_events_event.reason.keyword']!.BackOff).toBeGreaterThan(10);
    // most frequent first
    const values = Object.values(counts['top_events_event.reason.keyword']!);
    expect(values).toEqual(values.slice().sort((a, b) => b - a));
  });

  it('from a loaded rule: flatline looks back twice its timeframe; compound query keys; the rule filter applies; top_count_number', async () => {
    const burst = testEs().corpus.manifest.probeBurst;
    const rt = loadRule({
      type: 'flatline',
      index: 'eventrouter-%Y-%m-%d',
      use_strftime_index: true,
      threshold: 1,
      timeframe: { minutes: 5 },
      query_key: ['event.involvedObject.namespace', 'event.reason'],
      filter: [{ term: { 'event.type.keyword': 'Warning' } }],
      top_count_keys: ['event.involvedObject.name'],
      top_count_number: 3,
    });
    const o = topCountOptions(rt)!;
    expect(o.lookBackMs).toBe(10 * MIN);
    expect(o.indexFor(Date.parse('2024-05-14T23:55:00Z'), Date.parse('2024-05-15T00:05:00Z'))).toBe(
      'eventrouter-2024-05-14,eventrouter-2024-05-15',
    );
    const at = Date.parse(burst.from) + 5 * MIN;
    // hits mode stores the compound value joined with ", " under "a,b"
    const match = {
      '@timestamp': toIso(at),
      'event.involvedObject.namespace,event.reason': `${burst.namespace}, Unhealthy`,
    };
    const counts = await topCounts(port, o, match, match['event.involvedObject.namespace,event.reason']);
    const keep = (d: EventrouterDoc) =>
      d.event.type === 'Warning' &&
      d.event.involvedObject.namespace === burst.namespace &&
      d.event.reason === 'Unhealthy';
    const expected = corpusTop(
      docs,
      at - 10 * MIN,
      at + 10 * MIN,
      keep,
      (d) => d.event.involvedObject.name,
      3,
    );
    expect(Object.keys(expected)).toHaveLength(3);
    expect(counts).toEqual({ 'top_events_event.involvedObject.name.keyword': expected });
    for (const pod of Object.keys(expected)) expect(burst.pods).toContain(pod);
  });

  it('without a query_key value, the whole rule is counted; a failing key gives {} and reports the error', async () => {
    const at = Date.parse('2024-05-14T12:00:00Z');
    const o: TopCountOptions = {
      indexFor: () => 'eventrouter-*',
      filters: [{ term: { 'event.type.keyword': 'Warning' } }],
      timestampField: '@timestamp',
      writeTimestamp: toIso,
      keys: ['event.reason.keyword', 'event.message'],
      queryKeyFields: [],
      rawCountKeys: false,
      stringMultiFieldName: '.keyword',
      number: 5,
      minDocCount: 1,
      lookBackMs: 10 * MIN,
    };
    const errors: string[] = [];
    const counts = await topCounts(port, o, { '@timestamp': toIso(at) }, undefined, (key) =>
      errors.push(key),
    );
    expect(counts).toEqual({
      'top_events_event.reason.keyword': corpusTop(
        docs,
        at - 10 * MIN,
        at + 10 * MIN,
        (d) => d.event.type === 'Warning',
        (d) => d.event.reason,
      ),
      // event.message is a text field: no terms aggregation on it
      'top_events_event.message': {},
    });
    expect(errors).toEqual(['event.message']);
  });
});
