/**
 * Every option ElastAlert 2 2.31's alerters read is an option esalert knows, so that a rule file
 * written for ElastAlert 2 gets no "unknown option" or "not supported" warning for it. The table
 * (test/fixtures/elastalert2-alerter-options.json) lists, per alerter of ElastAlert 2's registry,
 * the options its schema, its documentation and its code name; scripts/elastalert2-alerter-options.ts
 * generates it from ElastAlert 2's sources. An option is known when the alerter lists it
 * (optionNames, optionPrefixes) or when a rule may hold it anyway, as compile/compile-rule.ts sees it: a
 * rule option (COMMON_RULE_OPTIONS) or a config.yaml key rules inherit (GLOBAL_ONLY_KEYS).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlerterDefinition } from '../../../src/alerters/alerter.ts';
import { AlerterRegistry } from '../../../src/alerters/registry.ts';
import { GLOBAL_ONLY_KEYS } from '../../../src/config/global-config.ts';
import { ELASTALERT_OPTION_NAMES } from '../../../src/rules/elastalert-options.ts';
import { COMMON_RULE_OPTIONS } from '../../../src/rules/rule-options.ts';
import { compileTestRule } from '../../support/compiled-rule.ts';

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

/**
 * Options esalert knows but does not act on, as "<alerter> <option>": a rule holding them loads,
 * and docs/deviations.md says why they do nothing.
 */
const WITHOUT_EFFECT: Record<string, string> = {
  'slack slack_attach_jira_ticket_url': 'alerters do not hand a Jira ticket to each other',
  'slack slack_jira_ticket_color': 'styles the Jira ticket attachment, which is never added',
  'slack slack_jira_ticket_title': 'titles the Jira ticket attachment, which is never added',
};

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

const deviations = readFileSync(join(import.meta.dirname, '../../../docs/deviations.md'), 'utf8');

/** Checks the entries of a list of "<alerter> <option>": in the table, explained in docs/deviations.md. */
function eachListed(list: Record<string, string>, check: (name: string, option: string) => void) {
  for (const key of Object.keys(list)) {
    const [name, option] = key.split(' ') as [string, string];
    expect(table.alerters[name]?.options, `${option} is in the table`).toHaveProperty(option);
    expect(deviations, `docs/deviations.md explains ${option}`).toContain(`\`${option}\``);
    check(name, option);
  }
}

it('every exception is in the table, still unknown, warned as not supported, and explained in docs/deviations.md', () => {
  eachListed(EXCEPTIONS, (name, option) => {
    expect(knows(registry.get(name)!, option), `${name} ${option} is known now: drop the exception`).toBe(
      false,
    );
    expect(ELASTALERT_OPTION_NAMES.has(option), `${option} is warned as not supported`).toBe(true);
  });
});

it('every option known but without effect is in the table, known, and explained in docs/deviations.md', () => {
  eachListed(WITHOUT_EFFECT, (name, option) => {
    expect(knows(registry.get(name)!, option), `${name} ${option} is known`).toBe(true);
  });
});

it('a rule with the summary and Jinja options every alerter reads, and zabbix timestamp_strptime, loads without warnings', () => {
  const rule = compileTestRule({
    name: 'r',
    type: 'any',
    index: 'x',
    summary_table_fields: ['host'],
    summary_prefix: 'Hosts:',
    summary_suffix: '--',
    jinja_root_name: 'doc',
    timestamp_type: 'custom',
    timestamp_strptime: '%Y-%m-%d %H:%M:%S',
    alert: 'zabbix',
    zbx_host: 'prod',
    zbx_key: 'k8s.alert',
  });
  expect(rule.warnings).toEqual([]);
});
