/**
 * What each folder of src/ may import: the layering that layers.test.ts enforces and
 * docs/architecture.md shows (the test checks that the two tables agree). Lower layers come
 * first. An import that is not allowed here is a design question, not a lint exception: move the
 * shared piece down (usually to model/) instead of widening a row.
 */
export interface Layer {
  folder: string;
  mayImport: readonly string[];
  holds: string;
}

export const LAYERS: readonly Layer[] = [
  {
    folder: 'model',
    mayImport: [],
    holds: 'plain shared types and helpers: Match, Hit, Clock, document lookup',
  },
  { folder: 'errors', mayImport: [], holds: 'the error class with stable codes' },
  { folder: 'util', mayImport: ['errors'], holds: 'time, cron, Python floats, redaction' },
  { folder: 'config', mayImport: ['errors', 'util'], holds: 'config.yaml, environment, field schemas' },
  {
    folder: 'query',
    mayImport: ['model', 'errors', 'util', 'config'],
    holds: 'the search port, Elasticsearch adapter, Lucene grammar, query builders',
  },
  {
    folder: 'query/memory',
    mayImport: ['query', 'model', 'errors', 'util'],
    holds: 'the in-memory backend (offline runs), behind the search port',
  },
  {
    folder: 'k8s',
    mayImport: ['query', 'model', 'errors', 'util'],
    holds: 'Kubernetes event filters, fields and workload digests',
  },
  {
    folder: 'format',
    mayImport: ['k8s', 'model', 'errors', 'util'],
    holds: 'Python-style and percent formatting, Jinja, alert texts, summary tables',
  },
  {
    folder: 'alerters',
    mayImport: ['format', 'config', 'model', 'errors', 'util'],
    holds: 'one file per channel, the registry',
  },
  {
    folder: 'ruletypes',
    mayImport: ['query', 'format', 'config', 'model', 'errors', 'util'],
    holds: 'one file per rule type, the registry',
  },
  { folder: 'enhancements', mayImport: ['model', 'util'], holds: 'match enhancements' },
  {
    folder: 'modules',
    mayImport: ['alerters', 'ruletypes', 'enhancements', 'errors'],
    holds: 'loading user modules (custom rule types, alerters, enhancements)',
  },
  {
    folder: 'rules',
    mayImport: ['format', 'query', 'k8s', 'config', 'model', 'errors', 'util'],
    holds: 'rule files -> plain, typed rule definitions with file:line',
  },
  {
    folder: 'compile',
    mayImport: [
      'rules',
      'alerters',
      'ruletypes',
      'enhancements',
      'modules',
      'k8s',
      'config',
      'model',
      'errors',
      'util',
    ],
    holds: 'rule definitions + registries -> runnable rules',
  },
  {
    folder: 'state',
    mayImport: ['query', 'model', 'errors', 'util'],
    holds: 'the writeback stores, Elasticsearch and in memory',
  },
  {
    folder: 'engine',
    mayImport: ['compile', 'ruletypes', 'query', 'state', 'model', 'errors', 'util'],
    holds: 'one run of one rule',
  },
  {
    folder: 'alerts',
    mayImport: [
      'engine',
      'compile',
      'query',
      'alerters',
      'format',
      'state',
      'k8s',
      'model',
      'errors',
      'util',
    ],
    holds: 'the alert path',
  },
  {
    folder: 'scheduler',
    mayImport: ['engine', 'model', 'errors', 'util'],
    holds: 'when rules run: the per-rule job, no overlap, concurrency cap',
  },
  {
    folder: 'cluster',
    mayImport: ['scheduler', 'engine', 'state', 'model', 'errors', 'util'],
    holds: 'replicas: membership, rule leases with epochs, fencing of runs and alerts',
  },
  {
    folder: 'http/console/web',
    mayImport: [],
    holds: "the console's browser code and the API's types; runs in the browser as it is",
  },
  {
    folder: 'http',
    mayImport: ['engine', 'http/console/web', 'util'],
    holds: 'metrics, health, the console and its API',
  },
  {
    folder: 'app',
    mayImport: [
      'alerts',
      'cluster',
      'scheduler',
      'compile',
      'engine',
      'http',
      'http/console/web',
      'state',
      'rules',
      'modules',
      'ruletypes',
      'alerters',
      'enhancements',
      'format',
      'k8s',
      'query',
      'query/memory',
      'config',
      'model',
      'errors',
      'util',
    ],
    holds: 'the composition root and the commands behind the CLI',
  },
  {
    folder: 'cli',
    mayImport: ['app', 'config', 'errors'],
    holds: 'argv -> command, exit codes',
  },
];
