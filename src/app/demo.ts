/**
 * `esalert demo`: the example rules in rules/ over a simulated day of Kubernetes events shipped
 * in examples/, offline. It shows what esalert would send, with nothing to install or configure.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { EnvLookup } from '../config/interpolate.ts';
import { loadDocuments, spanWindow, timeSpan } from '../query/memory/load-documents.ts';
import { createMemorySearchPort } from '../query/memory/memory-search-port.ts';
import { loadRuleFiles } from '../compile/load-rules.ts';
import { prettyTimestamp } from '../util/time.ts';
import { catalogs } from './catalogs.ts';
import { FakeClock } from '../model/clock.ts';
import { dryRun } from './dry-run.ts';
import { loadToolConfig } from './tool-config.ts';
import { findRuleFiles } from '../rules/find-rule-files.ts';

/** The package root (rules/ and examples/ ship with it). */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '../..');

export interface DemoOptions {
  rules?: string;
  data?: string;
  /** Container log lines (related_logs); by default the example's, beside the example events. */
  logs?: string;
}

export interface DemoResult {
  rules: number;
  alerts: number;
  errors: number;
}

const shown = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

export async function runDemo(
  o: DemoOptions,
  deps: { env: EnvLookup; logger: Logger; out: (line: string) => void },
): Promise<DemoResult> {
  const rulesDir = resolve(o.rules ?? join(PACKAGE_ROOT, 'rules'));
  const dataFile = resolve(o.data ?? join(PACKAGE_ROOT, 'examples/k8s-events.ndjson.gz'));
  const out = deps.out;
  const began = performance.now();
  const config = loadToolConfig(undefined, deps.env);
  const { files } = findRuleFiles([rulesDir], true);
  const loaded = loadRuleFiles(files, {
    global: { ...config, rulesFolders: [rulesDir] },
    env: deps.env,
    catalogs: catalogs(),
    logger: deps.logger,
  });
  const docs = existsSync(dataFile) ? await loadDocuments(dataFile) : [];
  const logsFile =
    o.logs ?? (o.data === undefined ? join(PACKAGE_ROOT, 'examples/k8s-logs.ndjson.gz') : undefined);
  const logs = logsFile && existsSync(logsFile) ? await loadDocuments(logsFile) : [];
  const span = timeSpan(docs, '@timestamp');

  out('esalert demo: the example rules over a simulated day of Kubernetes events');
  out(`  rules:   ${shown(rulesDir)}/ (${loaded.rules.length} rules)`);
  out(
    `  events:  ${shown(dataFile)} (${docs.length} eventrouter documents${span ? `, ${prettyTimestamp(span[0])} to ${prettyTimestamp(span[1])}` : ''})`,
  );
  if (logsFile && logs.length > 0) out(`  logs:    ${shown(logsFile)} (${logs.length} container log lines)`);
  out('  offline: no Elasticsearch; alerts are printed here, nothing is sent');
  for (const { error } of loaded.errors) out(`\n! ${error.message}`);
  if (!span) {
    out(`\nNo events with an @timestamp in ${shown(dataFile)}.`);
    return { rules: loaded.rules.length, alerts: 0, errors: loaded.errors.length + 1 };
  }
  const last = span[1];

  const port = createMemorySearchPort([...docs, ...logs]);
  let alerts = 0;
  let errors = loaded.errors.length;
  for (const rule of loaded.rules) {
    const run = await dryRun(rule, port, spanWindow(span), {
      config,
      clock: new FakeClock(last + 60_000),
      logger: deps.logger,
    });
    const n = run.sent.length;
    alerts += n;
    out(
      `\n▶ ${rule.name} (${rule.definition.common.type}): ${run.report.hits} events matched the filter, ${run.report.matches.length} match(es), ${n} alert(s)`,
    );
    if (run.report.error) {
      errors++;
      out(`  ! ${run.report.error.message}`);
    }
    for (const a of run.sent) {
      out(`  ┌ ${a.title}`);
      for (const line of a.body.trimEnd().split('\n')) out(`  │ ${line}`);
      out('  └');
    }
  }
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  out(
    `\nDemo done: ${loaded.rules.length} rules, ${alerts} alerts from ${docs.length} events in ${seconds} s.`,
  );
  out('\nNext: write your rules in rules/ (ElastAlert 2 rule files work as they are), check them');
  out('with `esalert validate`, and point esalert at your Elasticsearch:');
  out('  cp config.yaml.example config.yaml   # then set es_host, or:');
  out('  ES_HOST=elasticsearch.example.com esalert run --config config.yaml --verbose');
  return { rules: loaded.rules.length, alerts, errors };
}
