/**
 * node scripts/elastalert2-alerter-options.ts [--repo DIR] [--ref REV] [--out FILE]
 *
 * Writes the table test/unit/alerters/elastalert2-options.test.ts checks: for every alerter in
 * ElastAlert 2's registry (alerts_mapping in elastalert/loaders.py), every option name
 *   - its rule schema lists (elastalert/schema.yaml, the "### <Alerter>" section),
 *   - its documentation describes (docs/source/alerts.rst, "``option``:" in its section),
 *   - its code reads (self.rule.get('x'), self.rule['x'], 'x' in self.rule, required_options),
 * with where each was found; and the options the base Alerter class reads for every alerter
 * (elastalert/alerts.py). Keys of an option's mapping that the documentation lists among the
 * options (TheHive's) are kept apart, under `nested`; so are keys only the code names that ElastAlert
 * 2's loader puts into every rule (rule_file, jinja_template), under `setByLoader`. DIR is a clone of github.com/jertel/elastalert2 (files are read with
 * `git show REV:path`, so the work tree may be anything); the table was generated from the 2.31.0
 * tag. Run it again for a newer ElastAlert 2 and review the diff.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const repo = arg('--repo', '/work/.mirror/jertel+elastalert2/repo');
const ref = arg('--ref', 'HEAD');
const out = arg('--out', join(import.meta.dirname, '../test/fixtures/elastalert2-alerter-options.json'));

const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
const show = (path: string) => git('show', `${ref}:${path}`);

/** Schema sections ("### Title") and documentation sections (underlined titles) by alerter. */
const SCHEMA_SECTIONS: Record<string, string> = {
  Alerta: 'alerta',
  Alertmanager: 'alertmanager',
  'AWS SES': 'ses',
  'AWS SNS': 'sns',
  'AWS SQS': 'sqs',
  Chatwork: 'chatwork',
  Command: 'command',
  Datadog: 'datadog',
  Dingtalk: 'dingtalk',
  Email: 'email',
  Exotel: 'exotel',
  Gitter: 'gitter',
  Gelf: 'gelf',
  GoogleChat: 'googlechat',
  'HTTP POST': 'post',
  'HTTP POST 2': 'post2',
  INDEXER: 'indexer',
  IRIS: 'iris',
  Jira: 'jira',
  Lark: 'lark',
  'LINE Messaging API': 'line',
  'Matrix Hookshot': 'matrixhookshot',
  Mattermost: 'mattermost',
  'Microsoft Power Automate': 'ms_power_automate',
  Opsgenie: 'opsgenie',
  PagerDuty: 'pagerduty',
  PagerTree: 'pagertree',
  RocketChat: 'rocketchat',
  ServiceNow: 'servicenow',
  Slack: 'slack',
  SMSEagle: 'smseagle',
  'Splunk On-Call (Formerly VictorOps)': 'victorops',
  Stomp: 'stomp',
  Telegram: 'telegram',
  'Tencent SMS': 'tencent_sms',
  Twilio: 'twilio',
  'Webex Webhook': 'webex_webhook',
  WorkWechat: 'workwechat',
  Zabbix: 'zabbix',
  YZJ: 'yzj',
  Flashduty: 'flashduty',
};
const DOC_SECTIONS: Record<string, string> = {
  ...SCHEMA_SECTIONS,
  'AWS SES (Amazon Simple Email Service)': 'ses',
  'AWS SNS (Amazon Simple Notification Service)': 'sns',
  'AWS SQS (Amazon Simple Queue Service)': 'sqs',
  Debug: 'debug',
  Discord: 'discord',
  'Graylog GELF': 'gelf',
  Indexer: 'indexer',
  OpsGenie: 'opsgenie',
  'Rocket.Chat': 'rocketchat',
  TheHive: 'hivealerter',
};

/** schema.yaml lists Discord's options without a "### Discord" title, after DingTalk's. */
const SCHEMA_OWNERS: Record<string, string> = { discord_: 'discord' };

/**
 * Keys the documentation describes like options that are keys of another option: TheHive's
 * section documents hive_connection's and hive_alert_config's keys in the same list.
 */
const NESTED: Record<string, Record<string, string[]>> = {
  hivealerter: {
    hive_connection: ['hive_proxies', 'hive_verify'],
    hive_alert_config: [
      'description_args',
      'description_missing_value',
      'source',
      'source_args',
      'title',
      'title_args',
      'type_args',
    ],
  },
};
const nestedKey = (alerter: string, key: string) =>
  Object.values(NESTED[alerter] ?? {}).some((keys) => keys.includes(key));

type Source = 'schema' | 'docs' | 'code';
type Table = Record<string, Record<string, Source[]>>;

const add = (table: Table, alerter: string, option: string, source: Source) => {
  const options = (table[alerter] ??= {});
  const sources = (options[option] ??= []);
  if (!sources.includes(source)) sources.push(source);
};

/** alerts_mapping: alerter name -> module path of its class. */
function registry(): Map<string, { className: string; module: string }> {
  const loaders = show('elastalert/loaders.py');
  const moduleOf = new Map<string, string>();
  for (const m of loaders.matchAll(/^from elastalert\.alerters\.(\w+) import ([\w, ]+)$/gm))
    for (const cls of m[2]!.split(',')) moduleOf.set(cls.trim(), m[1]!);
  const mapping = /alerts_mapping = \{([^}]*)\}/.exec(loaders)![1]!;
  const out = new Map<string, { className: string; module: string }>();
  for (const m of mapping.matchAll(/'(\w+)':\s*([\w.]+)/g)) {
    const ref = m[2]!;
    const dotted = /^elastalert\.alerters\.(\w+)\.(\w+)$/.exec(ref);
    const className = dotted ? dotted[2]! : ref;
    const module = dotted ? dotted[1]! : moduleOf.get(ref);
    if (!module) throw new Error(`no module for ${ref}`);
    out.set(m[1]!, { className, module });
  }
  return out;
}

/** The top-level properties of schema.yaml, by "### Title" section. */
function fromSchema(table: Table, names: Set<string>) {
  const text = show('elastalert/schema.yaml');
  const lines = text.slice(text.search(/^properties:/m)).split('\n');
  let section: string | undefined;
  for (const line of lines) {
    const title = /^ {2}### (.+?)\s*$/.exec(line);
    if (title) {
      section = SCHEMA_SECTIONS[title[1]!];
      continue;
    }
    const option = /^ {2}([a-z][a-z0-9_]*)\s*:/.exec(line)?.[1];
    if (!option || !section) continue;
    const owner = Object.entries(SCHEMA_OWNERS).find(([prefix]) => option.startsWith(prefix))?.[1] ?? section;
    if (names.has(owner)) add(table, owner, option, 'schema');
  }
}

/** "``option``: ..." paragraphs of docs/source/alerts.rst, by section. */
function fromDocs(table: Table, names: Set<string>) {
  const lines = show('docs/source/alerts.rst').split('\n');
  let section: string | undefined;
  lines.forEach((line, i) => {
    if (/^~{3,}$/.test(lines[i + 1] ?? '') && line.trim()) {
      section = DOC_SECTIONS[line.trim()];
      return;
    }
    if (/^[=\-^]{3,}$/.test(lines[i + 1] ?? '') && line.trim()) section = undefined;
    const option = /^``([a-z][a-z0-9_]*)``\s*:/.exec(line)?.[1];
    if (option && section && names.has(section) && !nestedKey(section, option))
      add(table, section, option, 'docs');
  });
}

/** Option names a piece of alerter code reads from the rule. */
function readsOf(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    /\brule(?:\.get\(|\[)\s*['"]([a-z][a-z0-9_]*)['"]/g,
    /['"]([a-z][a-z0-9_]*)['"]\s+(?:not\s+)?in\s+self\.rule\b/g,
  ];
  for (const p of patterns) for (const m of code.matchAll(p)) found.add(m[1]!);
  for (const m of code.matchAll(/required_options\s*=\s*frozenset\(\[([^\]]*)\]/g))
    for (const o of m[1]!.matchAll(/['"]([a-z][a-z0-9_]*)['"]/g)) found.add(o[1]!);
  return [...found];
}

/**
 * Keys ElastAlert 2's loader puts into every rule that neither its schema nor its rule
 * documentation knows as options (rule_file, jinja_template): no rule file writes them.
 */
function loaderKeys(): Set<string> {
  const loaders = show('elastalert/loaders.py');
  const schemaKeys = new Set([
    ...[...show('elastalert/schema.yaml').matchAll(/^\s+([a-z][a-z0-9_]*)\s*:/gm)].map((m) => m[1]!),
    ...[...show('docs/source/ruletypes.rst').matchAll(/``([a-z][a-z0-9_]*)``/g)].map((m) => m[1]!),
  ]);
  const keys = new Set<string>();
  for (const m of loaders.matchAll(/rule\[['"]([a-z][a-z0-9_]*)['"]\]\s*=(?!=)/g)) keys.add(m[1]!);
  for (const m of loaders.matchAll(/['"]([a-z][a-z0-9_]*)['"]:\s*filename\b/g)) keys.add(m[1]!);
  return new Set([...keys].filter((k) => !schemaKeys.has(k)));
}

/** Options only the code names that the loader sets, apart from the ones rule files may write. */
function split(options: Record<string, Source[]>, loaderSet: Set<string>) {
  const kept: Record<string, Source[]> = {};
  const setByLoader: string[] = [];
  for (const [option, sources] of Object.entries(options)) {
    if (sources.length === 1 && sources[0] === 'code' && loaderSet.has(option)) setByLoader.push(option);
    else kept[option] = sources;
  }
  return { kept, setByLoader: setByLoader.sort() };
}

const alerters = registry();
const names = new Set(alerters.keys());
const table: Table = {};
for (const name of names) table[name] = {};
fromSchema(table, names);
fromDocs(table, names);
for (const [name, { module }] of alerters)
  for (const option of readsOf(show(`elastalert/alerters/${module}.py`))) add(table, name, option, 'code');
const loaderSet = loaderKeys();
const baseReads = readsOf(show('elastalert/alerts.py')).sort();
const common = baseReads.filter((o) => !loaderSet.has(o));

const sorted = (o: Record<string, Source[]>) =>
  Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]!]),
  );
const version = git('describe', '--tags', '--always', ref).trim();
writeFileSync(
  out,
  `${JSON.stringify(
    {
      source: {
        repository: 'https://github.com/jertel/elastalert2',
        version,
        commit: git('rev-parse', ref).trim(),
        generatedBy: 'scripts/elastalert2-alerter-options.ts',
      },
      common,
      commonSetByLoader: baseReads.filter((o) => loaderSet.has(o)),
      alerters: Object.fromEntries(
        [...alerters]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([name, { className, module }]) => {
            const { kept, setByLoader } = split(table[name] ?? {}, loaderSet);
            return [
              name,
              {
                class: `elastalert.alerters.${module}.${className}`,
                options: sorted(kept),
                ...(setByLoader.length ? { setByLoader } : {}),
                ...(NESTED[name] ? { nested: NESTED[name] } : {}),
              },
            ];
          }),
      ),
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`${out}: ${alerters.size} alerters from ElastAlert 2 ${version}\n`);
