/**
 * Every option ElastAlert 2 2.31's alerters read is an option esalert knows, so that a rule file
 * written for ElastAlert 2 gets no "unknown option" or "not supported" warning for it. The table
 * (test/fixtures/elastalert2-alerter-options.json) lists, per alerter of ElastAlert 2's registry,
 * the options its schema, its documentation and its code name; scripts/elastalert2-alerter-options.ts
 * generates it from ElastAlert 2's sources. An option is known when the alerter lists it
 * (optionNames, optionPrefixes) or when a rule may hold it anyway, as compile/compile-rule.ts sees it: a
 * rule option (COMMON_RULE_OPTIONS) or a config.yaml key rules inherit (GLOBAL_ONLY_KEYS).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import { catalogs } from '../../../src/app/catalogs.ts';
import { loadRules } from '../../../src/compile/load-rules.ts';
import { GLOBAL_ONLY_KEYS, parseGlobalConfig } from '../../../src/config/global-config.ts';
import { ELASTALERT_OPTION_NAMES } from '../../../src/rules/elastalert-options.ts';
import { COMMON_RULE_OPTIONS } from '../../../src/rules/rule-options.ts';

interface OptionTable {
  source: { version: string };
  common: string[];
  alerters: Record<string, { class: string; options: Record<string, string[]> }>;
}

const table = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/elastalert2-alerter-options.json'), 'utf8'),
) as OptionTable;

/**
 * Options esalert does not know, as "<alerter> <option>", each with why. Reviewed; empty today.
 * Each must be in ELASTALERT_OPTION_NAMES, so that a rule is told "not supported", not "unknown",
 * and named in docs/deviations.md.
 */
const EXCEPTIONS: Record<string, string> = {};

const registry = new AlerterRegistry();
/** What a rule may hold besides alerter options: its own options, and the config.yaml keys it inherits. */
const ruleOptions = new Set([...COMMON_RULE_OPTIONS, ...GLOBAL_ONLY_KEYS]);
const knows = (def: AlerterDefinition, option: string) =>
  def.optionNames.includes(option) ||
  (def.optionPrefixes ?? []).some((p) => option.startsWith(p)) ||
  ruleOptions.has(option);

it(`the table comes from ElastAlert 2 2.31 and lists its ${Object.keys(table.alerters).length} alerters`, () => {
  expect(table.source.version).toMatch(/^2\.31\./);
  expect(Object.keys(table.alerters).length).toBeGreaterThanOrEqual(44);
});

it('the options every alerter of ElastAlert 2 reads (alert_subject, alert_text...) are rule options', () => {
  expect(table.common.filter((o) => !ruleOptions.has(o))).toEqual([]);
});

describe.each(Object.entries(table.alerters))('%s', (name, { class: classPath, options }) => {
  const def = registry.get(name);

  it('exists in esalert, under its name and its class path', () => {
    expect(def, `built-in alerter ${name}`).toBeDefined();
    expect(registry.get(classPath)?.name, `alias ${classPath}`).toBe(def?.name);
  });

  it("knows every option ElastAlert 2's schema, documentation and code name", () => {
    const unknown = Object.keys(options)
      .filter((o) => !knows(def!, o) && !(`${name} ${o}` in EXCEPTIONS))
      .map((o) => `${o} (${options[o]!.join(', ')})`);
    expect(unknown, `options of ${name} esalert does not know`).toEqual([]);
  });
});

it('every exception is still unknown, warned as not supported, and explained in docs/deviations.md', () => {
  const deviations = readFileSync(join(import.meta.dirname, '../../../docs/deviations.md'), 'utf8');
  for (const key of Object.keys(EXCEPTIONS)) {
    const [name, option] = key.split(' ') as [string, string];
    expect(table.alerters[name]?.options, `${option} is in the table`).toHaveProperty(option);
    expect(knows(registry.get(name)!, option), `${key} is known now: drop the exception`).toBe(false);
    expect(ELASTALERT_OPTION_NAMES.has(option), `${option} is warned as not supported`).toBe(true);
    expect(deviations, `docs/deviations.md explains ${option}`).toContain(`\`${option}\``);
  }
});

describe('rule files', () => {
  const load = (yaml: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-ea2-options-'));
    writeFileSync(join(dir, 'r.yaml'), yaml);
    const value = {
      rules_folder: dir,
      run_every: { minutes: 1 },
      buffer_time: { minutes: 15 },
      es_host: 'es',
      writeback_index: 'wb',
    };
    const global = parseGlobalConfig(
      { file: 'config.yaml', value, locate: () => ({ file: 'config.yaml', line: 1 }) },
      { env: () => undefined },
    );
    const loaded = loadRules({
      global,
      env: () => undefined,
      catalogs: catalogs(),
      logger: pino({ level: 'silent' }),
    });
    expect(loaded.errors.map((e) => e.error.message)).toEqual([]);
    return loaded.rules[0]!.warnings;
  };

  it('with the summary and Jinja options every alerter reads, and zabbix timestamp_strptime, load without warnings', () => {
    expect(
      load(
        [
          'name: r',
          'type: any',
          'index: x',
          'summary_table_fields: [host]',
          'summary_prefix: "Hosts:"',
          'summary_suffix: "--"',
          'jinja_root_name: doc',
          'timestamp_type: custom',
          "timestamp_strptime: '%Y-%m-%d %H:%M:%S'",
          'alert: zabbix',
          'zbx_host: prod',
          'zbx_key: k8s.alert',
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
  });
});
