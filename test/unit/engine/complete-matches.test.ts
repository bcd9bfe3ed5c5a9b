/**
 * Rule types that read a few fields of each hit (frequency, spike, flatline, change, new_term,
 * cardinality) get only those fields from Elasticsearch; their matches are completed from the whole
 * documents before they are handled. The alerts must be the ones whole documents give.
 */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { hitSourceFields, sourcePatterns } from '../../../src/compile/hit-fields.ts';
import type { CompiledRule } from '../../../src/compile/compiled-rule.ts';
import { completeMatches, overlay } from '../../../src/engine/complete-matches.ts';
import { hitProcessing } from '../../../src/engine/read-segment.ts';
import { createRuntimeRule } from '../../../src/engine/runtime-rule.ts';
import { createMemorySearchPort, type MemoryDocument } from '../../../src/query/memory/memory-search-port.ts';
import type { SearchPort } from '../../../src/query/search-port.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';
import { runRuleLive } from '../../support/live-rule-run.ts';

const T0 = Date.parse('2024-05-14T10:00:00Z');
const silent = pino({ level: 'silent' });

/** Kubernetes events, 20 s apart, two pods, BackOff and Pulled, with fields no rule reads. */
function events(n: number): MemoryDocument[] {
  return Array.from({ length: n }, (_, i) => ({
    _id: `ev-${i}`,
    _index: i < n / 2 ? 'events-a' : 'events-b',
    _source: {
      '@timestamp': new Date(T0 + 10_000 + i * 20_000).toISOString(),
      event: {
        reason: i % 5 === 4 ? 'Pulled' : 'BackOff',
        message: `Back-off restarting failed container ${i % 3}`,
        count: i,
        involvedObject: { kind: 'Pod', name: `web-${i % 2}`, namespace: 'prod', labels: { app: 'web' } },
        source: { component: 'kubelet', host: `node-${i % 4}` },
      },
      verb: 'ADDED',
      containers: [
        { name: 'app', image: 'web:1' },
        { name: 'sidecar', image: 'envoy:1' },
      ],
    },
  }));
}

async function run(rule: CompiledRule, docs: MemoryDocument[], minutes: number) {
  const { requests, sent } = await runRuleLive(rule, docs, T0, minutes);
  return { requests, matches: sent.flatMap((a) => a.matches) };
}

const RULES: Record<string, Record<string, unknown>> = {
  frequency: {
    type: 'frequency',
    num_events: 3,
    timeframe: { minutes: 2 },
    query_key: 'event.involvedObject.name.keyword',
    attach_related: true,
  },
  change: {
    type: 'change',
    compare_key: 'event.message',
    ignore_null: true,
    query_key: 'event.involvedObject.name',
  },
  new_term: { type: 'new_term', fields: [['event.source.host', 'event.involvedObject.name']] },
  cardinality: {
    type: 'cardinality',
    cardinality_field: 'event.source.host',
    max_cardinality: 1,
    timeframe: { minutes: 5 },
  },
  flatline: {
    type: 'flatline',
    threshold: 10,
    timeframe: { minutes: 2 },
    query_key: 'event.involvedObject.name',
  },
  spike: {
    type: 'spike',
    timeframe: { minutes: 2 },
    spike_height: 1.5,
    spike_type: 'up',
    threshold_cur: 1,
    query_key: ['event.involvedObject.namespace', 'event.involvedObject.name'],
  },
};

describe('rules that read a few fields of each hit', () => {
  for (const [type, options] of Object.entries(RULES)) {
    it(`${type}: reads only those fields, and alerts with the whole documents`, async () => {
      const docs = events(40);
      const rule = compileTestRule({
        name: type,
        index: 'events-*',
        filter: [{ term: { 'event.reason.keyword': 'BackOff' } }],
        realert: { minutes: 0 },
        run_every: { minutes: 1 },
        buffer_time: { minutes: 5 },
        alert: ['debug'],
        ...options,
      });
      expect(rule.hitFields).toBeDefined();
      const thin = await run(rule, docs, 14);
      const { hitFields: _, ...wholeRule } = rule;
      const whole = await run(wholeRule, docs, 14);

      expect(thin.matches.length).toBeGreaterThan(0);
      // the same alerts, field for field and in the same order
      expect(JSON.stringify(thin.matches)).toBe(JSON.stringify(whole.matches));
      // and they carry what no rule read
      expect(thin.matches[0]).toMatchObject({ verb: 'ADDED', event: { source: { component: 'kubelet' } } });
      // the window was read with the rule's fields only; the matches' documents by _id
      const reads = thin.requests.filter((r) => r.sourceIncludes !== undefined);
      expect(reads.length).toBeGreaterThan(0);
      expect(reads[0]!.sourceIncludes).toEqual(rule.hitFields);
      expect(reads[0]!.sourceIncludes).not.toContain('verb');
      const byId = thin.requests.filter((r) => JSON.stringify(r.query).startsWith('{"ids"'));
      expect(byId.length).toBeGreaterThan(0);
      expect(whole.requests.every((r) => r.sourceIncludes === undefined)).toBe(true);
    });
  }

  it('frequency: the related events are whole documents too', async () => {
    const rule = compileTestRule({
      name: 'related',
      index: 'events-*',
      alert: ['debug'],
      realert: { minutes: 0 },
      ...RULES.frequency,
    });
    const { matches } = await run(rule, events(40), 10);
    const related = matches.flatMap((m) => m.related_events as Record<string, unknown>[]);
    expect(related.length).toBeGreaterThan(0);
    for (const r of related) expect(r).toHaveProperty('containers');
  });
});

describe('which fields are read', () => {
  it('a field as lookupField reads it: the multi-field with its field, arrays whole', () => {
    expect(
      sourcePatterns(['@timestamp', 'event.involvedObject.name.keyword', 'containers[1].image', 'a', 'a']),
    ).toEqual([
      '@timestamp',
      'event.involvedObject.name.keyword',
      'event.involvedObject.name',
      'containers',
      'a',
    ]);
  });

  it('whole documents when the rule names include, or its type reads whole documents', () => {
    const base = compileTestRule({ name: 'any', type: 'any', index: 'x', alert: ['debug'] });
    expect(base.hitFields).toBeUndefined();
    expect(hitSourceFields(base.options, [])).toEqual(['@timestamp']);
    expect(hitSourceFields(base.options, undefined)).toBeUndefined();
    const included = compileTestRule({
      name: 'inc',
      index: 'x',
      alert: ['debug'],
      include: ['event.reason'],
      ...RULES.frequency,
    });
    expect(included.hitFields).toBeUndefined();
  });

  it('k8s_skip_resync reads the fields it compares', () => {
    const rule = compileTestRule({
      name: 'resync',
      index: 'x',
      alert: ['debug'],
      k8s_skip_resync: true,
      ...RULES.change,
    });
    expect(rule.hitFields).toEqual(expect.arrayContaining(['@timestamp', 'event.message', 'verb']));
  });
});

describe('completing a match', () => {
  it("keeps what the rule type put in it, in the document's order", () => {
    const whole = { '@timestamp': 1, a: { x: 1, y: [{ p: 1, q: 2 }] }, b: 2, list: [1, 2, 3] };
    const part = { '@timestamp': 'ISO', a: { y: [{ p: 1 }] }, list: [1], spike_count: 4 };
    expect(JSON.stringify(overlay(whole, part))).toBe(
      JSON.stringify({
        '@timestamp': 'ISO',
        a: { x: 1, y: [{ p: 1, q: 2 }] },
        b: 2,
        list: [1, 2, 3],
        spike_count: 4,
      }),
    );
  });

  it('a document that cannot be read again leaves its match as it is', async () => {
    const port = createMemorySearchPort([]);
    const match = { '@timestamp': 'x', _id: 'gone', _index: 'events-a', key: 1 };
    const matches = [{ ...match }];
    const rule = compileTestRule({ name: 'f', index: 'x', alert: ['debug'], ...RULES.frequency });
    await completeMatches(matches, {
      port,
      processing: hitProcessing(createRuntimeRule(rule)),
      logger: silent,
      signal: undefined,
    });
    expect(matches).toEqual([match]);
  });

  it('a failed read leaves the matches as they are', async () => {
    const port: SearchPort = {
      search: () => Promise.reject(new Error('connection refused')),
      count: () => Promise.reject(new Error('connection refused')),
    };
    const rule = compileTestRule({ name: 'f', index: 'x', alert: ['debug'], ...RULES.frequency });
    const matches = [{ '@timestamp': 'x', _id: 'a', _index: 'events-a' }];
    await completeMatches(matches, {
      port,
      processing: hitProcessing(createRuntimeRule(rule)),
      logger: silent,
      signal: undefined,
    });
    expect(matches).toEqual([{ '@timestamp': 'x', _id: 'a', _index: 'events-a' }]);
  });
});
