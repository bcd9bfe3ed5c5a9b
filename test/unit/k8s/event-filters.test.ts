/**
 * The k8s_* rule options: checked at load with file:line, translated into Elasticsearch
 * clauses ANDed with the rule's filters, and evaluated by the in-memory backend with the same
 * results Elasticsearch gives (test/integration/k8s-conveniences.test.ts runs them there).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { k8sEventFilters } from '../../../src/k8s/event-filters.ts';
import { buildBaseQuery } from '../../../src/query/filters.ts';
import { type MemoryDocument, createMemorySearchPort } from '../../../src/query/memory/memory-search-port.ts';
import { SAME_VALUE_SCRIPT, sameValueQuery } from '../../../src/query/same-value-query.ts';
import { testConfig } from '../../support/config.ts';
import type { CompiledRule } from '../../../src/compile/compiled-rule.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';

const dir = mkdtempSync(join(tmpdir(), 'esalert-k8s-'));
const global = testConfig({
  rules_folder: dir,
  run_every: { minutes: 1 },
  buffer_time: { minutes: 15 },
  es_host: 'localhost',
  writeback_index: 'wb',
});

let seq = 0;
function load(options: string): CompiledRule {
  const file = join(dir, `rule-${seq++}.yaml`);
  const type = /^type:/m.test(options) ? '' : 'type: any\n';
  writeFileSync(file, `name: r${seq}\n${type}index: eventrouter-*\nalert: debug\n${options}\n`);
  return loadRuleFile(file, {
    global,
    env: () => undefined,
    catalogs: catalogs(),
    logger: pino({ level: 'silent' }),
  });
}

function loadError(options: string): string {
  try {
    load(options);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the rule loaded');
}

describe('checking the options at load', () => {
  it.each([
    [
      'k8s_reasons:\n  - BackOff\n  - "Failed[Mount"',
      7,
      /k8s_reasons\[1\]: invalid regular expression \/Failed\[Mount\//,
    ],
    ['k8s_namespaces: [prod, "team-*"]', 5, /k8s_namespaces\[1\]: "team-\*": namespaces are matched exactly/],
    ['k8s_namespaces: [prod, ""]', 5, /k8s_namespaces\[1\] is empty; write _cluster for cluster-scoped/],
    ['k8s_exclude_namespaces: "prod,staging"', 5, /one namespace per list entry/],
    ['k8s_namespaces: []', 5, /k8s_namespaces is an empty list/],
    ['k8s_kinds: [pod]', 5, /k8s_kinds\[0\]: kinds are case-sensitive: write Pod/],
    ['k8s_levels: warning', 5, /k8s_levels: event types are case-sensitive: write Warning/],
    ['k8s_exclude_levels: [Error]', 5, /must be Normal or Warning \(got "Error"\)/],
    ['k8s_skip_resync: yes please', 5, /k8s_skip_resync must be true or false/],
    ['k8s_keyword_suffix: keyword', 5, /k8s_keyword_suffix must be the keyword sub-field suffix/],
    ['k8s_kinds: {Pod: true}', 5, /k8s_kinds has the wrong form .*must be a list of kinds/],
  ])('%j is reported at line %i', (options, line, message) => {
    const error = loadError(options);
    expect(error).toMatch(new RegExp(`rule-\\d+\\.yaml:${line}(:\\d+)?: `));
    expect(error).toMatch(message);
  });

  it('the options are known: no "unknown option" warning', () => {
    const rule = load(
      'k8s_levels: [Warning]\nk8s_skip_resync: true\nk8s_fields: true\nk8s_digest_by_workload: true',
    );
    expect(rule.warnings).toEqual([]);
  });
});

describe('the Elasticsearch clauses', () => {
  it('adds nothing to a rule without k8s options: its query stays the ElastAlert 2 one', () => {
    const rule = load("filter:\n  - query_string: {query: 'event.reason: BackOff'}");
    expect(rule.options.filters).toEqual([{ query_string: { query: 'event.reason: BackOff' } }]);
  });

  it('ANDs one clause per option after the filter list', () => {
    const rule = load(`
filter:
  - term: {verb.keyword: ADDED}
k8s_levels: Warning
k8s_namespaces: [prod, _cluster]
k8s_exclude_namespaces: [kube-system]
k8s_kinds: [Pod, Node]
k8s_exclude_kinds: Job
k8s_reasons: [BackOff, "Failed.*"]
k8s_exclude_reasons: [FailedMount]
k8s_skip_resync: true`);
    const ns = 'event.involvedObject.namespace.keyword';
    expect(rule.options.filters).toEqual([
      { term: { 'verb.keyword': 'ADDED' } },
      { terms: { 'event.type.keyword': ['Warning'] } },
      {
        bool: {
          should: [
            { terms: { [ns]: ['prod'] } },
            {
              bool: {
                should: [{ bool: { must_not: [{ exists: { field: ns } }] } }, { term: { [ns]: '' } }],
                minimum_should_match: 1,
              },
            },
          ],
          minimum_should_match: 1,
        },
      },
      { bool: { must_not: [{ terms: { [ns]: ['kube-system'] } }] } },
      { terms: { 'event.involvedObject.kind.keyword': ['Pod', 'Node'] } },
      { bool: { must_not: [{ terms: { 'event.involvedObject.kind.keyword': ['Job'] } }] } },
      {
        bool: {
          should: [
            { regexp: { 'event.reason.keyword': { value: 'BackOff' } } },
            { regexp: { 'event.reason.keyword': { value: 'Failed.*' } } },
          ],
          minimum_should_match: 1,
        },
      },
      { bool: { must_not: [{ regexp: { 'event.reason.keyword': { value: 'FailedMount' } } }] } },
    ]);
    // a rule that reads hits drops resync no-ops as it reads them: no script in its query
    expect(rule.hitFilter).toBeTypeOf('function');
  });

  const resyncClause = {
    bool: {
      must_not: [
        {
          bool: {
            filter: [
              { term: { 'verb.keyword': 'UPDATED' } },
              sameValueQuery(
                'event.metadata.resourceVersion.keyword',
                'old_event.metadata.resourceVersion.keyword',
              ),
            ],
          },
        },
      ],
    },
  };

  it.each([
    ['use_count_query', 'type: frequency\nnum_events: 5\ntimeframe: {minutes: 5}\nuse_count_query: true'],
    [
      'use_terms_query',
      'type: frequency\nnum_events: 5\ntimeframe: {minutes: 5}\nuse_terms_query: true\nquery_key: event.reason.keyword',
    ],
    [
      'an aggregation rule type',
      'type: metric_aggregation\nmetric_agg_key: event.count\nmetric_agg_type: max\nmax_threshold: 5',
    ],
  ])('a rule that counts in Elasticsearch (%s) drops resync no-ops with a painless clause', (_, options) => {
    const rule = load(`${options}\nk8s_skip_resync: true`);
    expect(rule.options.filters).toEqual([resyncClause]);
    expect(rule.hitFilter).toBeUndefined();
  });

  it('with include, the fields the resync check reads are fetched too', () => {
    const rule = load('include: [event.reason]\nk8s_skip_resync: true');
    expect(rule.options.include).toEqual(
      expect.arrayContaining([
        'event.reason',
        'verb',
        'event.metadata.resourceVersion',
        'old_event.metadata.resourceVersion',
      ]),
    );
  });

  it('k8s_keyword_suffix "" reads fields mapped as keyword directly', () => {
    expect(k8sEventFilters({ k8s_kinds: ['Pod'], k8s_keyword_suffix: '' })).toEqual([
      { terms: { 'event.involvedObject.kind': ['Pod'] } },
    ]);
  });

  it('the resync script is one painless script the offline backend knows by its source', () => {
    expect(sameValueQuery('a', 'b')).toEqual({
      script: { script: { lang: 'painless', source: SAME_VALUE_SCRIPT, params: { a: 'a', b: 'b' } } },
    });
  });
});

// --- the in-memory backend evaluating the clauses ---

interface Ev {
  verb?: 'ADDED' | 'UPDATED';
  type: 'Normal' | 'Warning';
  kind: string;
  name: string;
  namespace?: string;
  reason: string;
  rv: string;
  oldRv?: string;
}

const EVENTS: Record<string, Ev> = {
  backoff: {
    type: 'Warning',
    kind: 'Pod',
    name: 'api-7c9f8d6b5-x2k4p',
    namespace: 'prod',
    reason: 'BackOff',
    rv: '101',
  },
  pulled: {
    type: 'Normal',
    kind: 'Pod',
    name: 'api-7c9f8d6b5-x2k4p',
    namespace: 'prod',
    reason: 'Pulled',
    rv: '102',
  },
  mount: {
    type: 'Warning',
    kind: 'Pod',
    name: 'coredns-5d78c9869d-8fhx2',
    namespace: 'kube-system',
    reason: 'FailedMount',
    rv: '103',
  },
  node: { type: 'Warning', kind: 'Node', name: 'node-4', reason: 'NodeNotReady', rv: '104' },
  pv: {
    type: 'Warning',
    kind: 'PersistentVolume',
    name: 'pvc-0b1c',
    namespace: '',
    reason: 'VolumeFailedRecycle',
    rv: '105',
  },
  update: {
    verb: 'UPDATED',
    type: 'Warning',
    kind: 'Pod',
    name: 'indexer-859d7b6c4f-hq2wn',
    namespace: 'search',
    reason: 'FailedScheduling',
    rv: '107',
    oldRv: '106',
  },
  resync: {
    verb: 'UPDATED',
    type: 'Warning',
    kind: 'Pod',
    name: 'indexer-859d7b6c4f-hq2wn',
    namespace: 'search',
    reason: 'FailedScheduling',
    rv: '107',
    oldRv: '107',
  },
  noOld: {
    verb: 'UPDATED',
    type: 'Warning',
    kind: 'Pod',
    name: 'indexer-859d7b6c4f-hq2wn',
    namespace: 'search',
    reason: 'FailedScheduling',
    rv: '107',
  },
  scaled: {
    type: 'Normal',
    kind: 'Deployment',
    name: 'api',
    namespace: 'prod',
    reason: 'ScalingReplicaSet',
    rv: '108',
  },
  sandbox: {
    type: 'Warning',
    kind: 'Pod',
    name: 'gateway-6b4f6c8d9f-zq7lm',
    namespace: 'payments',
    reason: 'FailedCreatePodSandBox',
    rv: '109',
  },
};

function eventDoc(e: Ev): Record<string, unknown> {
  const event = {
    metadata: { resourceVersion: e.rv, namespace: e.namespace || 'default' },
    involvedObject: {
      kind: e.kind,
      name: e.name,
      ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
    },
    reason: e.reason,
    type: e.type,
  };
  return {
    '@timestamp': '2024-05-14T10:00:00.000Z',
    verb: e.verb ?? 'ADDED',
    event,
    ...(e.oldRv
      ? { old_event: { ...event, metadata: { ...event.metadata, resourceVersion: e.oldRv } } }
      : {}),
  };
}

const docs: MemoryDocument[] = Object.entries(EVENTS).map(([id, e]) => ({ _id: id, _source: eventDoc(e) }));
const port = createMemorySearchPort(docs);
/** What a rule that reads hits hands its rule type: the documents of its query, less those its hitFilter drops. */
const selected = (options: string) => {
  const rule = load(options);
  const byId = new Map(docs.map((d) => [d._id, d._source]));
  return port
    .ids('eventrouter-*', buildBaseQuery(rule.options.filters, undefined))
    .filter((id) => rule.hitFilter?.(byId.get(id)!) ?? true);
};
/** What a counting rule counts: the documents of its query (resync no-ops dropped by the script). */
const counted = (options: string) =>
  port.ids(
    'eventrouter-*',
    buildBaseQuery(
      load(`type: frequency\nnum_events: 1\ntimeframe: {minutes: 5}\nuse_count_query: true\n${options}`)
        .options.filters,
      undefined,
    ),
  );

describe('the in-memory backend evaluates the clauses', () => {
  it.each([
    ['k8s_levels: [Warning]', ['backoff', 'mount', 'node', 'pv', 'update', 'resync', 'noOld', 'sandbox']],
    ['k8s_exclude_levels: [Warning]', ['pulled', 'scaled']],
    ['k8s_namespaces: [prod]', ['backoff', 'pulled', 'scaled']],
    ['k8s_namespaces: [prod, _cluster]', ['backoff', 'pulled', 'node', 'pv', 'scaled']],
    ['k8s_namespaces: [_cluster]', ['node', 'pv']],
    [
      'k8s_exclude_namespaces: [kube-system]',
      ['backoff', 'pulled', 'node', 'pv', 'update', 'resync', 'noOld', 'scaled', 'sandbox'],
    ],
    [
      'k8s_exclude_namespaces: [kube-system, _cluster]',
      ['backoff', 'pulled', 'update', 'resync', 'noOld', 'scaled', 'sandbox'],
    ],
    ['k8s_kinds: [Node, PersistentVolume]', ['node', 'pv']],
    ['k8s_exclude_kinds: Pod', ['node', 'pv', 'scaled']],
    // anchored, as Lucene: "Failed" alone is not "FailedMount"
    ['k8s_reasons: Failed', []],
    ['k8s_reasons: ["Failed.*", BackOff]', ['backoff', 'mount', 'update', 'resync', 'noOld', 'sandbox']],
    ['k8s_reasons: [".*Sand[Bb]ox"]', ['sandbox']],
    ['k8s_exclude_reasons: ["Failed.*", "Node.*"]', ['backoff', 'pulled', 'pv', 'scaled']],
    [
      'k8s_skip_resync: true',
      ['backoff', 'pulled', 'mount', 'node', 'pv', 'update', 'noOld', 'scaled', 'sandbox'],
    ],
    [
      'k8s_levels: Warning\nk8s_kinds: Pod\nk8s_exclude_namespaces: [kube-system]\nk8s_reasons: ["Failed.*"]\nk8s_skip_resync: true',
      ['update', 'noOld', 'sandbox'],
    ],
  ])('%s', (options, ids) => {
    expect(selected(options)).toEqual(ids);
    // counting in Elasticsearch selects the same documents
    expect(counted(options)).toEqual(ids);
  });

  it('refuses script queries it does not know, naming them, rather than matching nothing', () => {
    const query = { script: { script: { source: "doc['event.count'].value > 5" } } };
    expect(() => port.ids('eventrouter-*', query)).toThrow(
      /\[script\] query other than the ones esalert writes/,
    );
  });

  it('the resync script on a text field fails as Elasticsearch does (no doc values)', () => {
    expect(() =>
      port.ids(
        'eventrouter-*',
        sameValueQuery('event.metadata.resourceVersion', 'old_event.metadata.resourceVersion'),
      ),
    ).toThrow(/Fielddata is disabled on \[event\.metadata\.resourceVersion\]/);
  });
});
