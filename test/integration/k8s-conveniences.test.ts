/**
 * The Kubernetes conveniences against the real Elasticsearch and the generated cluster events:
 * each k8s_* filter selects exactly the documents the generator says it should (ground truth
 * computed here from the generated documents, not by the code under test), k8s_skip_resync
 * drops exactly eventrouter's resync no-ops, and the same rules run offline over the same
 * documents (`esalert test-rule --data`) give identical results.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogs } from '../../src/app/catalogs.ts';
import type { EsConnection } from '../../src/query/es-client.ts';
import { RESYNC_FIELDS } from '../../src/k8s/event-filters.ts';
import { buildBaseQuery, type EsQuery } from '../../src/query/filters.ts';
import { createMemorySearchPort, type MemorySearchPort } from '../../src/query/memory/memory-search-port.ts';
import type { CompiledRule } from '../../src/compile/compiled-rule.ts';
import type { Doc } from '../../src/model/lookup.ts';
import { generateAll } from '../corpus/generator.ts';
import type { CorpusDoc, EventrouterDoc } from '../corpus/kube.ts';
import { dailyIndex } from '../corpus/load.ts';
import { connectTestEs, esHostPort, testEs } from './helpers.ts';
import { runCli } from './support/cli.ts';
import { testConfig } from '../support/config.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';
import { loadRuleFile } from '../../src/compile/compile-rule.ts';

const HOUR = 3_600_000;

interface Formatted {
  hits: number;
  result: { hits: number; matches: number; duplicates: number; segments: number };
  alerts: { title: string; text: string }[];
  error?: string;
}

/** The documents' own facts, read straight from the generated JSON. */
const ns = (d: EventrouterDoc) => d.event.involvedObject.namespace;
const isResyncNoop = (d: EventrouterDoc) =>
  d.verb === 'UPDATED' && d.old_event?.metadata.resourceVersion === d.event.metadata.resourceVersion;
const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);

/** Rule options, and which documents they must keep according to the generator. */
const CASES: [options: Record<string, unknown>, keeps: (d: EventrouterDoc) => boolean][] = [
  [{ k8s_levels: ['Warning'] }, (d) => d.event.type === 'Warning'],
  [{ k8s_exclude_levels: 'Warning' }, (d) => d.event.type !== 'Warning'],
  [{ k8s_namespaces: ['search', 'payments'] }, (d) => ['search', 'payments'].includes(ns(d) ?? '')],
  [{ k8s_namespaces: ['search', '_cluster'] }, (d) => ns(d) === 'search' || ns(d) === undefined],
  [{ k8s_namespaces: '_cluster' }, (d) => ns(d) === undefined],
  [
    { k8s_exclude_namespaces: ['prod', 'kube-system'] },
    (d) => !['prod', 'kube-system'].includes(ns(d) ?? ''),
  ],
  [{ k8s_exclude_namespaces: ['prod', '_cluster'] }, (d) => ns(d) !== 'prod' && ns(d) !== undefined],
  [
    { k8s_kinds: ['Node', 'Deployment'] },
    (d) => ['Node', 'Deployment'].includes(d.event.involvedObject.kind),
  ],
  [{ k8s_exclude_kinds: 'Pod' }, (d) => d.event.involvedObject.kind !== 'Pod'],
  [
    { k8s_reasons: ['Failed.*', 'Node.*'] },
    (d) => whole('Failed.*').test(d.event.reason) || whole('Node.*').test(d.event.reason),
  ],
  [
    { k8s_exclude_reasons: ['Pull(ed|ing)', 'Created', 'Started'] },
    (d) => !whole('Pull(ed|ing)|Created|Started').test(d.event.reason),
  ],
  [{ k8s_skip_resync: true }, (d) => !isResyncNoop(d)],
  [
    {
      k8s_levels: 'Warning',
      k8s_kinds: 'Pod',
      k8s_exclude_namespaces: 'kube-system',
      k8s_reasons: 'Failed.*',
      k8s_skip_resync: true,
    },
    (d) =>
      d.event.type === 'Warning' &&
      d.event.involvedObject.kind === 'Pod' &&
      ns(d) !== 'kube-system' &&
      whole('Failed.*').test(d.event.reason) &&
      !isResyncNoop(d),
  ],
];

describe('Kubernetes filters and resync skipping over the event corpus', () => {
  let es: EsConnection;
  let ws: Workspace;
  let memory: MemorySearchPort;
  let docs: CorpusDoc[];
  let dataFile: string;
  let from: string;
  let to: string;
  /** Whether this node runs painless scripts (Elastic's minimal test distribution does not). */
  let painless: boolean;
  const manifest = () => testEs().corpus.manifest;

  const global = () =>
    testConfig(
      {
        rules_folder: ws.rulesDir,
        ...esHostPort(),
        run_every: { minutes: 1 },
        buffer_time: { minutes: 15 },
        writeback_index: 'unused',
      },
      ws.config,
    );
  let seq = 0;
  const loadRule = (options: Record<string, unknown>): CompiledRule =>
    loadRuleFile(
      ws.writeRule(`case-${seq++}.yaml`, {
        name: `case-${seq}`,
        type: 'any',
        index: 'eventrouter-*',
        alert: ['debug'],
        ...options,
      }),
      { global: global(), env: () => undefined, catalogs: catalogs(), logger: pino({ level: 'silent' }) },
    );
  const windowQuery = (rule: CompiledRule): EsQuery =>
    buildBaseQuery(rule.options.filters, { field: '@timestamp', gt: from, lte: to });
  /** The _ids a rule that reads hits hands its rule type: its query's hits, less those its hitFilter drops. */
  const esIds = async (rule: CompiledRule) => {
    const res = await es.client.search<Doc>({
      index: 'eventrouter-*',
      query: windowQuery(rule),
      size: 10_000,
      _source: [...RESYNC_FIELDS],
      track_total_hits: true,
    });
    const total = res.hits.total;
    expect(typeof total === 'number' ? total : total?.value).toBe(res.hits.hits.length);
    return res.hits.hits
      .filter((h) => rule.hitFilter?.(h._source!) ?? true)
      .map((h) => h._id!)
      .sort();
  };
  const memoryIds = (rule: CompiledRule) => {
    const byId = new Map(docs.map((d) => [d._id, d._source as unknown as Doc]));
    return memory
      .ids('eventrouter-*', windowQuery(rule))
      .filter((id) => rule.hitFilter?.(byId.get(id)!) ?? true)
      .sort();
  };

  beforeAll(async () => {
    es = await connectTestEs();
    ws = makeWorkspace({ ...esHostPort(), writeback_index: 'esalert_k8s_unused' });
    const nodes = await es.client.nodes.info({ metric: 'plugins' });
    painless = Object.values(nodes.nodes).every((n) => n.modules?.some((m) => m.name === 'lang-painless'));
    // the servers that have painless (OpenSearch) must run the painless cases below, not skip them
    expect(painless).toBe(testEs().painless);
    // A window of the simulated day with node incidents, the scheduling failures and resyncs.
    const start = Date.parse(manifest().start);
    from = new Date(start + 6 * HOUR + 40 * 60_000).toISOString();
    to = new Date(start + 11 * HOUR + 30 * 60_000).toISOString();
    docs = generateAll(testEs().corpus.options).docs.filter(
      (d) => d._source['@timestamp'] > from && d._source['@timestamp'] <= to,
    );
    expect(docs.length).toBeLessThan(10_000);
    memory = createMemorySearchPort(docs.map((d) => ({ _id: d._id, _source: { ...d._source } })));
    dataFile = join(ws.dir, 'window.ndjson');
    writeFileSync(
      dataFile,
      docs
        .map((d) => JSON.stringify({ _id: d._id, _index: dailyIndex(d._source['@timestamp']), ...d._source }))
        .join('\n'),
    );
  });
  afterAll(async () => {
    ws.remove();
    await es.close();
  });

  it.each(CASES)(
    '%j selects exactly the documents the generator says, in Elasticsearch and offline',
    async (options, keeps) => {
      const expected = docs
        .filter((d) => keeps(d._source))
        .map((d) => d._id)
        .sort();
      // each case is a real selection: it keeps some documents and drops others
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(docs.length);
      const rule = loadRule(options);
      expect(await esIds(rule)).toEqual(expected);
      expect(memoryIds(rule)).toEqual(expected);
    },
  );

  it('cluster-scoped objects in this corpus are exactly the Node events', async () => {
    expect(await esIds(loadRule({ k8s_namespaces: '_cluster' }))).toEqual(
      await esIds(loadRule({ k8s_kinds: 'Node' })),
    );
  });

  it("k8s_skip_resync drops exactly the generator's resync no-ops over the whole corpus", async () => {
    const rule = loadRule({ k8s_skip_resync: true });
    let all = 0;
    let dropped = 0;
    for await (const hit of es.client.helpers.scrollDocuments<Doc>({
      index: 'eventrouter-*',
      query: { match_all: {} },
      size: 5000,
      _source: [...RESYNC_FIELDS],
    })) {
      all++;
      if (!rule.hitFilter!(hit)) dropped++;
    }
    expect(manifest().resyncNoops).toBeGreaterThan(0);
    expect(all).toBe(manifest().docs);
    expect(dropped).toBe(manifest().resyncNoops);
  });

  describe('esalert test-rule, live and offline (--data) over the same window', () => {
    const cli = async (args: string[], exit = 0) => {
      const run = runCli([
        'test-rule',
        '--config',
        ws.config,
        ...args,
        '--start',
        from,
        '--end',
        to,
        '--formatted-output',
      ]);
      const code = await run.exited;
      expect(code, run.output()).toBe(exit);
      return JSON.parse(run.stdout()) as Formatted;
    };
    const write = (rule: Record<string, unknown>) => ws.writeRule(`${String(rule.name)}.yaml`, rule);
    const offline = (rule: Record<string, unknown>) => cli([write(rule), '--data', dataFile]);
    const both = async (rule: Record<string, unknown>) => {
      const live = await cli([write(rule)]);
      const off = await offline(rule);
      expect(live.error).toBeUndefined();
      expect(off.hits).toBe(live.hits);
      expect(off.result).toEqual(live.result);
      expect(off.alerts).toEqual(live.alerts);
      return live;
    };
    const scheduling = (d: EventrouterDoc) =>
      d.event.reason === 'FailedScheduling' && d.event.type === 'Warning';
    const countOf = (keep: (d: EventrouterDoc) => boolean) => docs.filter((d) => keep(d._source)).length;

    it('an any rule with filters, resync skipping and k8s fields', async () => {
      const s = manifest().schedulingFailures;
      const live = await both({
        name: 'unschedulable',
        type: 'any',
        index: 'eventrouter-*',
        k8s_levels: 'Warning',
        k8s_namespaces: ['search', 'payments'],
        k8s_reasons: 'FailedSched.*',
        k8s_skip_resync: true,
        k8s_fields: true,
        query_key: 'event.involvedObject.name.keyword',
        realert: { hours: 2 },
        alert_subject: '{} {}/{}: {}',
        alert_subject_args: ['k8s.owner_kind', 'k8s.namespace', 'k8s.owner_name', 'event.reason'],
        alert_text: '{} at {}',
        alert_text_args: ['k8s.name', 'k8s.event_time'],
        alert_text_type: 'alert_text_only',
        alert: ['debug'],
      });
      // Elasticsearch returns the resync no-ops too; the rule type never sees them
      const inScope = (d: EventrouterDoc) => scheduling(d) && ['search', 'payments'].includes(ns(d) ?? '');
      expect(live.hits).toBe(countOf(inScope));
      expect(live.result.hits).toBe(live.hits);
      const matched = docs.filter((d) => inScope(d._source) && !isResyncNoop(d._source));
      expect(live.result.matches).toBe(matched.length);
      // one alert per pod, named with its workload and the event's own time
      expect(live.alerts.map((a) => a.text.split(' ')[0]).sort()).toEqual([...s.pods].sort());
      for (const a of live.alerts) {
        expect(a.title).toBe(`Deployment ${s.namespace}/${s.deployment}: FailedScheduling`);
        expect(a.text).toMatch(/ at 2024-05-14T\d\d:\d\d:\d\dZ\n/);
      }
    });

    const counting = {
      type: 'frequency',
      index: 'eventrouter-*',
      num_events: 3,
      timeframe: { minutes: 10 },
      k8s_reasons: 'FailedScheduling',
      k8s_exclude_levels: 'Normal',
      alert: ['debug'],
    };
    const terms = { use_terms_query: true, query_key: 'event.involvedObject.name.keyword' };

    it('use_count_query and use_terms_query count the filtered documents in Elasticsearch', async () => {
      const count = await both({ ...counting, name: 'count', use_count_query: true });
      expect(count.hits).toBe(countOf(scheduling));
      expect(count.result.hits).toBe(count.hits);
      expect(count.result.matches).toBeGreaterThan(0);
      const byPod = await both({ ...counting, ...terms, name: 'terms' });
      expect(byPod.hits).toBe(countOf(scheduling));
      expect(byPod.result.matches).toBeGreaterThan(0);
    });

    it('with k8s_skip_resync, counting rules leave the resync no-ops out (a painless clause; offline)', async () => {
      const expected = countOf((d) => scheduling(d) && !isResyncNoop(d));
      expect(expected).toBeLessThan(countOf(scheduling));
      const count = await offline({
        ...counting,
        name: 'count-skip',
        use_count_query: true,
        k8s_skip_resync: true,
      });
      expect(count.hits).toBe(expected);
      expect(count.result.hits).toBe(expected);
      const byPod = await offline({ ...counting, ...terms, name: 'terms-skip', k8s_skip_resync: true });
      expect(byPod.hits).toBe(expected);
    });

    it('with k8s_skip_resync, counting rules give Elasticsearch the same numbers (needs painless)', async () => {
      const rule = { ...counting, name: 'count-skip-live', use_count_query: true, k8s_skip_resync: true };
      if (painless) {
        // the server runs the painless clause: counts without the no-ops, as offline
        const expected = countOf((d) => scheduling(d) && !isResyncNoop(d));
        const count = await both(rule);
        expect(count.hits).toBe(expected);
        expect(count.result.matches).toBeGreaterThan(0);
        const byPod = await both({ ...counting, ...terms, name: 'terms-skip-live', k8s_skip_resync: true });
        expect(byPod.hits).toBe(expected);
        expect(byPod.result.matches).toBeGreaterThan(0);
        return;
      }
      // Without painless (Elastic's minimal test distribution) Elasticsearch refuses the query: a
      // clear error, never a count that silently includes the no-ops.
      const live = await cli([write(rule)], 1);
      expect(live.error).toMatch(/script_lang not supported \[painless\]/);
    });
  });
});
