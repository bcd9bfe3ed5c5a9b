/**
 * Side by side: which rule files ElastAlert 2's own loader accepts, and which `esalert validate`
 * accepts, for any folder of rule files.
 *
 *   node scripts/compare-loaders.ts FOLDER [--config config.yaml] [--json]
 *
 * ElastAlert 2 (the pinned release, in the cached virtualenv of bench/compare/ea2-install.ts)
 * loads each file with RulesLoader.load_configuration, alerters instantiated
 * (scripts/ea2-load-rules.py); modules it cannot import (community plugins) are stood in for and
 * reported. esalert validates each file on its own, so that duplicate names across unrelated files
 * do not count. Without --config a minimal global configuration is used. A global configuration
 * file found in the folder (rules_folder, no name) is read as `esalert run` reads config.yaml.
 * Prints the counts and every file ElastAlert 2 loads and esalert refuses, with esalert's reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { catalogs, knownRuleOptionNames } from '../src/app/catalogs.ts';
import { validateRules } from '../src/app/validate.ts';
import { loadGlobalConfig } from '../src/config/global-config.ts';
import { ensureEa2 } from '../bench/compare/ea2-install.ts';

interface Ea2Result {
  file: string;
  kind: 'rule' | 'config';
  loaded: boolean;
  reason?: string;
  env?: string;
  plugin: string[];
}

interface Row {
  file: string;
  ea2: Ea2Result;
  esalert: 'loads' | 'warnings' | 'refused';
  messages: string[];
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/i.test(name) ? [path] : [];
    })
    .sort();
}

function minimalConfig(folder: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'compare-loaders-')), 'config.yaml');
  writeFileSync(
    file,
    [
      'es_host: localhost',
      'es_port: 9200',
      `rules_folder: ${JSON.stringify(folder)}`,
      'writeback_index: elastalert_status',
      'run_every: {minutes: 1}',
      'buffer_time: {minutes: 15}',
      '',
    ].join('\n'),
  );
  return file;
}

function loadWithEa2(files: string[]): Map<string, Ea2Result> {
  const ea2 = ensureEa2();
  const helper = join(import.meta.dirname, 'ea2-load-rules.py');
  const r = spawnSync(`${ea2.venv}/bin/python`, [helper, ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  if (r.status !== 0) throw new Error(`ElastAlert 2's loader exited with ${r.status}`);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  return new Map(lines.map((l) => JSON.parse(l) as Ea2Result).map((e) => [e.file, e]));
}

function compare(folder: string, config: string): Row[] {
  const files = yamlFiles(folder);
  const ea2 = loadWithEa2(files);
  const logger = pino({ level: 'silent' });
  const knownRuleOptions = knownRuleOptionNames(catalogs());
  return files.map((file) => {
    const e = ea2.get(file) ?? { file, kind: 'rule', loaded: false, reason: 'not reported', plugin: [] };
    if (e.kind === 'config') {
      try {
        const config = loadGlobalConfig(file, { env: () => undefined, knownRuleOptions });
        return {
          file,
          ea2: e,
          esalert: config.warnings.length ? 'warnings' : 'loads',
          messages: config.warnings,
        };
      } catch (err) {
        return { file, ea2: e, esalert: 'refused', messages: [(err as Error).message] };
      }
    }
    const report = validateRules({ paths: [file], config }, { env: () => undefined, logger });
    const result = report.results[0];
    return {
      file,
      ea2: e,
      esalert: result?.status ?? 'refused',
      messages: result?.messages ?? report.errors.map((e) => e.message),
    };
  });
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { config: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) {
    process.stderr.write('usage: node scripts/compare-loaders.ts FOLDER [--config config.yaml] [--json]\n');
    process.exit(2);
  }
  const folder = resolve(positionals[0]!);
  const rows = compare(folder, values.config ? resolve(values.config) : minimalConfig(folder));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    const rules = rows.filter((r) => r.ea2.kind === 'rule');
    const ea2Loads = rules.filter((r) => r.ea2.loaded);
    const configs = rows.filter((r) => r.ea2.kind === 'config' && r.ea2.loaded);
    const gaps = [...ea2Loads, ...configs].filter((r) => r.esalert === 'refused');
    const count = (rs: Row[]) => rs.length;
    const out = [
      `files: ${rows.length} (${count(rules)} rule files, ${rows.length - rules.length} global configs)`,
      `ElastAlert 2 loads: ${count(ea2Loads)} (${count(ea2Loads.filter((r) => r.ea2.plugin.length))} with community modules stood in for)`,
      `esalert passes: ${count(ea2Loads.filter((r) => r.esalert !== 'refused'))} of those (${count(ea2Loads.filter((r) => r.esalert === 'warnings'))} with warnings)`,
      `global configs ElastAlert 2 loads: ${configs.length}, esalert reads ${count(configs.filter((r) => r.esalert !== 'refused'))}`,
      `esalert loads what ElastAlert 2 refuses: ${count(rules.filter((r) => !r.ea2.loaded && r.esalert !== 'refused'))}`,
      `gaps (ElastAlert 2 loads, esalert refuses; rules and configs): ${gaps.length}`,
      ...gaps.flatMap((g) => [
        `  ${g.file}${g.ea2.plugin.length ? ` [modules: ${g.ea2.plugin.join(', ')}]` : ''}`,
        ...g.messages.map((m) => `    ${m}`),
      ]),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
