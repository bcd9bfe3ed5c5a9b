/**
 * What a rule file may reach (src/config/rule-access.ts, docs/security.md): imports, template
 * files and `${file:...}` inside the rules folders unless allowed_file_paths says more; modules
 * inside the modules folders unless allowed_module_paths says more; `${VAR}` without the
 * Elasticsearch variables or config.yaml's own; and a rule naming another cluster does not get
 * config.yaml's credentials.
 */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { resolveEsConnection, ruleConnection } from '../../../src/config/es-connection.ts';
import { loadGlobalConfig } from '../../../src/config/global-config.ts';
import { loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { testConfig } from '../../support/config.ts';
import { moduleWorkspace } from '../../support/module-workspace.ts';

const logger = pino({ level: 'silent' });
const require = createRequire(import.meta.url);
const ROOT = join(import.meta.dirname, '../../..');

function layout() {
  const top = mkdtempSync(join(tmpdir(), 'esalert-access-'));
  const rules = join(top, 'rules');
  const secrets = join(top, 'secrets');
  const mods = join(top, 'mods');
  for (const d of [rules, secrets, mods, join(rules, 'sub')]) mkdirSync(d);
  writeFileSync(join(secrets, 'token'), 'secret-token-123456\n');
  writeFileSync(join(secrets, 'base.yaml'), 'owner: secret-team\n');
  writeFileSync(join(secrets, 'body.j2'), '{{ x }}');
  writeFileSync(join(rules, 'base.yaml'), 'owner: team-a\n');
  writeFileSync(join(rules, 'sub', 'body.j2'), 'body {{ x }}');
  writeFileSync(
    join(mods, 'outside_alerter.ts'),
    "export default { name: 'outside', create: () => { throw new Error('must not load'); } };\n",
  );
  symlinkSync(join(secrets, 'base.yaml'), join(rules, 'link.yaml'));
  return { top, rules, secrets, mods };
}

const RULE = 'name: r\ntype: any\nindex: i\nalert: [debug]\n';

function load(
  dir: string,
  text: string,
  config: Record<string, unknown> = {},
  env: Record<string, string> = {},
) {
  const file = join(dir, `rule-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, (text.startsWith('alert:') ? RULE.replace('alert: [debug]\n', '') : RULE) + text);
  return loadRuleFile(file, {
    global: testConfig({ rules_folder: dir, ...config }),
    env: (n) => env[n],
    catalogs: { ...catalogs(), moduleDirs: [ROOT] },
    logger,
  });
}

describe('files a rule names', () => {
  it('imports inside the rules folder load; outside, through .. or a link, they are refused', () => {
    const { rules, secrets } = layout();
    expect(load(rules, 'import: base.yaml\n').definition.raw.owner).toBe('team-a');
    for (const target of [join(secrets, 'base.yaml'), '../secrets/base.yaml', 'link.yaml']) {
      expect(() => load(rules, `import: ${target}\n`)).toThrow(
        /import .* is outside the rules folders.*allowed_file_paths/,
      );
    }
    expect(
      load(rules, `import: ${join(secrets, 'base.yaml')}\n`, { allowed_file_paths: [secrets] }).definition.raw
        .owner,
    ).toBe('secret-team');
  });

  it('${file:...} and jinja_template_path read only inside the rules folders', () => {
    const { rules, secrets } = layout();
    const token = join(secrets, 'token');
    expect(() => load(rules, `owner: \${file:${token}}\n`)).toThrow(/is outside the rules folders/);
    expect(
      load(rules, `owner: \${file:${token}}\n`, { allowed_file_paths: [secrets] }).definition.raw.owner,
    ).toBe('secret-token-123456');
    const jinja = 'alert_text_type: alert_text_jinja\njinja_template_path: ';
    expect(load(rules, `${jinja}sub/body.j2\n`).jinjaTemplate).toBe('body {{ x }}');
    expect(() => load(rules, `${jinja}${join(secrets, 'body.j2')}\n`)).toThrow(
      /jinja_template_path: .* is outside the rules folders/,
    );
  });
});

describe('credential files of alerters', () => {
  it('smtp_auth_file and jira_account_file outside the rules folders refuse the rule (not a misconfigured alerter)', () => {
    const { rules, secrets } = layout();
    writeFileSync(join(secrets, 'account.yaml'), 'user: u\npassword: secret-password-1\n');
    const account = join(secrets, 'account.yaml');
    const email = `alert: [email]\nemail: [ops@example.com]\nsmtp_auth_file: ${account}\n`;
    const jira = `alert: [jira]\njira_server: https://jira.example.com\njira_project: OPS\njira_issuetype: Task\njira_account_file: ${account}\n`;
    for (const [text, option] of [
      [email, 'smtp_auth_file'],
      [jira, 'jira_account_file'],
    ] as const) {
      expect(() => load(rules, text)).toThrow(new RegExp(`${option}.* is outside the rules folders`));
      // allowed_file_paths lets the rule read it
      const loaded = load(rules, text, { allowed_file_paths: [secrets] });
      expect(loaded.alerters[0]!.channel).not.toMatch(/misconfigured/);
      expect(loaded.alerters[0]!.secrets()).toContain('secret-password-1');
    }
  });
});

describe('list files of blacklist and whitelist', () => {
  it('!file entries read only inside the rules folders', () => {
    const { rules, secrets } = layout();
    writeFileSync(join(rules, 'list.txt'), 'a\nb\n');
    const rule = (file: string) => `type: blacklist\ncompare_key: x\nblacklist: ["!file ${file}"]\n`;
    const text = (file: string) => RULE.replace('type: any\n', '') + rule(file);
    const write = (file: string) => {
      const f = join(rules, `list-rule-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, text(file));
      return () =>
        loadRuleFile(f, {
          global: testConfig({ rules_folder: rules }),
          env: () => undefined,
          catalogs: catalogs(),
          logger,
        });
    };
    expect(write(join(rules, 'list.txt'))().typeOptions).toMatchObject({ blacklist: ['a', 'b'] });
    expect(write(join(secrets, 'token'))).toThrow(/blacklist\[0\].*is outside the rules folders/);
  });
});

describe('environment variables in rule files', () => {
  const env = { ES_PASSWORD: 'es-pass-123456', DINGTALK_TOKEN: 'dt-123456', SMTP_PASS: 'smtp-123456' };

  it('the Elasticsearch variables are refused, others read', () => {
    const { rules } = layout();
    expect(() => load(rules, 'owner: ${ES_PASSWORD}\n', {}, env)).toThrow(
      /may not read the environment variable ES_PASSWORD.*rule_env_vars/,
    );
    expect(() => load(rules, 'owner: "x $ES_PASSWORD"\n', {}, env)).toThrow(/ES_PASSWORD/);
    expect(load(rules, 'owner: ${DINGTALK_TOKEN}\n', {}, env).definition.raw.owner).toBe('dt-123456');
    // an unset one is not refused for its name: it is reported as unset, as any other
    expect(() => load(rules, 'owner: ${ES_NOTSET}\n', {}, env)).toThrow(/ES_NOTSET is not set/);
  });

  it('variables config.yaml reads are refused; rule_env_vars lists what rules may read', () => {
    const { top, rules } = layout();
    const configFile = join(top, 'config.yaml');
    writeFileSync(
      configFile,
      `rules_folder: ${rules}\nes_host: localhost\nwriteback_index: wb\nrun_every: {minutes: 1}\nbuffer_time: {minutes: 1}\nsmtp_password_default: \${SMTP_PASS}\n`,
    );
    const global = loadGlobalConfig(configFile, { env: (n) => env[n as keyof typeof env] });
    expect(global.access.envAllowed('SMTP_PASS')).toBe(false);
    expect(global.access.envAllowed('DINGTALK_TOKEN')).toBe(true);
    expect(global.access.envAllowed('ES_USERNAME')).toBe(false);
    const listed = testConfig({ rule_env_vars: ['DINGTALK_*'] }).access;
    expect(listed.envAllowed('DINGTALK_TOKEN')).toBe(true);
    expect(listed.envAllowed('HOME')).toBe(false);
  });
});

describe('modules a rule names', () => {
  it('load from modules/; an absolute path or .. out of it is refused unless allowed_module_paths lists it', () => {
    const { rules, mods } = layout();
    expect(load(rules, 'match_enhancements: [modules/owner_workload.ts]\n').enhancements).toHaveLength(1);
    for (const spec of [
      join(mods, 'outside_alerter.ts'),
      'modules/../test/unit/config/rule-access.test.ts',
    ]) {
      expect(() => load(rules, `match_enhancements: ["${spec}"]\n`)).toThrow(
        /is outside the modules folders.*allowed_module_paths/,
      );
    }
    expect(() =>
      load(rules, `alert: ["${join(mods, 'outside_alerter.ts')}"]\n`, { allowed_module_paths: [mods] }),
    ).toThrow(/must not load/);
  });
});

describe('programs and the environment through alerters', () => {
  it('the command alerter loads by default, as in ElastAlert 2, with a warning at its line', () => {
    const { rules } = layout();
    const rule = load(rules, 'alert: [command]\ncommand: [/bin/true]\n');
    expect(rule.alerters.map((a) => a.type)).toEqual(['command']);
    const warnings = rule.warnings.filter((w) => w.includes('alert command'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /rule-\w+\.yaml:4: alert command runs programs on the esalert host with its environment \(code execution.*allow_command_alerter: false/,
    );
    const explicit = load(rules, 'alert: [command]\ncommand: [/bin/true]\n', { allow_command_alerter: true });
    expect(explicit.alerters.map((a) => a.type)).toEqual(['command']);
    // a rule without it gets no such warning
    expect(load(rules, '').warnings.filter((w) => w.includes('alert command'))).toEqual([]);
  });

  it('allow_command_alerter: false refuses a rule that uses it, at its line, with the reason', () => {
    const { rules } = layout();
    expect(() =>
      load(rules, 'alert:\n  - debug\n  - command\ncommand: [/bin/true]\n', { allow_command_alerter: false }),
    ).toThrow(
      /rule-\w+\.yaml:6(:\d+)?: .*command alerter runs programs on the esalert host.*forbids it \(allow_command_alerter: false/,
    );
    expect(load(rules, '', { allow_command_alerter: false }).alerters.map((a) => a.type)).toEqual(['debug']);
  });

  it('alerters see the environment rule files see: no ES_* nor config.yaml variables', () => {
    const { dir: top } = moduleWorkspace({
      'peek.ts': [
        'export const seen: Record<string, unknown> = {};',
        'export default {',
        "  name: 'peek',",
        '  create: (_o: unknown, deps: { env: (n: string) => string | undefined }) => {',
        "    for (const n of ['ES_PASSWORD', 'AWS_REGION']) seen[n] = deps.env(n);",
        "    return { type: 'peek', channel: 'peek', info: () => ({}), secrets: () => [], send: async () => ({ ok: true }) };",
        '  },',
        '};',
      ],
    });
    const file = join(top, 'rules', 'r.yaml');
    writeFileSync(file, 'name: r\ntype: any\nindex: i\nalert: [modules/peek.ts]\n');
    const env: Record<string, string> = { ES_PASSWORD: 'es-pass-123456', AWS_REGION: 'eu-west-1' };
    loadRuleFile(file, {
      global: testConfig({ rules_folder: join(top, 'rules') }),
      env: (n) => env[n],
      catalogs: { ...catalogs(), moduleDirs: [top] },
      logger,
    });
    const peek = require(join(top, 'modules', 'peek.ts')) as { seen: Record<string, unknown> };
    expect(peek.seen).toEqual({ ES_PASSWORD: undefined, AWS_REGION: 'eu-west-1' });
  });
});

describe('a rule that names another cluster', () => {
  const global = {
    es_host: 'es.internal',
    es_port: 9200,
    es_username: 'elastic',
    es_password: 'global-pass-123456',
    es_api_key: 'global-key-123456',
  };
  const env = (n: string) => ({ ES_PASSWORD: 'env-pass-123456', ES_VERSION: '8.15.0' })[n];

  it('shares config.yaml’s connection when it names the same cluster', () => {
    const rc = ruleConnection({ ...global, name: 'r' }, global, env);
    expect(rc.sameCluster).toBe(true);
    expect(resolveEsConnection(rc.keys, rc.env).auth).toEqual({
      kind: 'apiKey',
      apiKey: 'global-key-123456',
    });
  });

  it('gets none of config.yaml’s credentials or ES_* variables, only its own', () => {
    const rc = ruleConnection({ ...global, es_host: 'other.example.com' }, global, env);
    expect(rc.sameCluster).toBe(false);
    const options = resolveEsConnection(rc.keys, rc.env);
    expect(options.nodes).toEqual(['http://other.example.com:9200']);
    expect(options.auth).toBeUndefined();
    expect(options.versionOverride).toBe('8.15.0');
    expect(JSON.stringify(options)).not.toMatch(/global-|env-pass/);

    const own = ruleConnection(
      { ...global, es_hosts: ['other:9200'], es_username: 'other-user', es_password: 'other-pass-1' },
      global,
      env,
    );
    expect(resolveEsConnection(own.keys, own.env).auth).toEqual({
      kind: 'basic',
      username: 'other-user',
      password: 'other-pass-1',
    });
  });
});
