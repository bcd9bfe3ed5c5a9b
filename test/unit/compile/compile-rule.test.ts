/**
 * Reading a rule file gives a plain definition without touching a registry; compiling resolves
 * it. Options the engine and the alert path read are checked when the rule loads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { catalogs } from '../../../src/app/catalogs.ts';
import { compileRule, loadRuleFile } from '../../../src/compile/compile-rule.ts';
import { readRuleFile } from '../../../src/rules/load-rule.ts';
import { testConfig } from '../../support/config.ts';

const logger = pino({ level: 'silent' });

function write(text: string, name = 'rule.yaml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-compile-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { dir, file };
}

const ctx = (dir: string) => ({
  global: testConfig({ rules_folder: dir, es_host: 'localhost', writeback_index: 'wb' }),
  env: () => undefined,
  catalogs: catalogs(),
  logger,
});

const loadError = (file: string, dir: string): string => {
  try {
    loadRuleFile(file, ctx(dir));
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('rule definitions', () => {
  it('are read without the registries: an unknown type and alerter are the compile step’s to report', () => {
    const { dir, file } = write(
      'name: r\ntype: no_such_type\nindex: x\nalert: [no_such_alerter]\ntop_count_keys: [a]\n',
    );
    const { definition, problems } = readRuleFile(file, ctx(dir));
    expect(problems).toEqual([]);
    expect(definition.common.type).toBe('no_such_type');
    expect(definition.common.top_count_number).toBe(5);
    expect(definition.ownKeys).toEqual(['name', 'type', 'index', 'alert', 'top_count_keys']);
    expect(definition.locate(['alert'])).toMatchObject({ line: 4 });
    expect(() => compileRule(readRuleFile(file, ctx(dir)), ctx(dir))).toThrow(
      /rule\.yaml:2(:\d+)?: type: unknown rule type "no_such_type"/,
    );
  });

  it('a file’s problems are reported together, the rule type’s first and then the file’s own', () => {
    const { dir, file } = write(
      [
        'name: r',
        'type: frequency',
        'index: x',
        'alert: [debug]',
        'alert_text_type: alert_text_jinja',
        'jinja_template_path: missing.j2',
        'filter: [{query_string: {query: "a AND"}}]',
      ].join('\n'),
    );
    const lines = loadError(file, dir).split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/rule\.yaml:\d+(:\d+)?: num_events is required/),
      expect.stringMatching(/rule\.yaml:\d+(:\d+)?: timeframe is required/),
      expect.stringMatching(/rule\.yaml:6(:\d+)?: jinja_template_path: missing\.j2 does not exist/),
      expect.stringMatching(/rule\.yaml:7(:\d+)?: filter\[0\]\.query_string\.query: invalid query_string/),
    ]);
  });
});

describe('options the engine and the alert path read are checked at load', () => {
  it.each([
    ['top_count_number: five', /top_count_number must be a whole number/],
    ['raw_count_keys: "no"', /raw_count_keys must be true or false/],
    [
      'include_rule_params_in_matches: owner',
      /include_rule_params_in_matches must be a list of option names/,
    ],
    [
      'include_rule_params_in_first_match_only: 1',
      /include_rule_params_in_first_match_only must be true or false/,
    ],
    ['include_match_in_root: "yes"', /include_match_in_root must be true or false/],
  ])('%s', (line, expected) => {
    const { dir, file } = write(`name: r\ntype: any\nindex: x\nalert: [debug]\n${line}\n`);
    const message = loadError(file, dir);
    expect(message).toMatch(/rule\.yaml:5(:\d+)?: /);
    expect(message).toMatch(expected);
  });

  it('compiles them into typed options', () => {
    const { dir, file } = write(
      [
        'name: r',
        'type: any',
        'index: x',
        'alert: [debug]',
        'owner: team-a',
        'top_count_keys: [a, b]',
        'top_count_number: 3',
        'raw_count_keys: false',
        'include_rule_params_in_matches: [owner, missing]',
        'include_match_in_root: true',
      ].join('\n'),
    );
    const rule = loadRuleFile(file, ctx(dir));
    expect(rule.options.topCounts).toEqual({
      keys: ['a', 'b'],
      rawCountKeys: false,
      stringMultiFieldName: '.keyword',
      number: 3,
    });
    expect(rule.options.ruleParams).toEqual({
      values: { rule_param_owner: 'team-a', rule_param_missing: null },
      firstMatchOnly: false,
    });
    expect(rule.options.includeMatchInRoot).toBe(true);
    expect(rule.warnings).toEqual([]);
  });

  it('an enhancement that declares its options has them checked at load, at their line', () => {
    // in the package's node_modules, so that the module finds zod as user modules do
    const dir = mkdtempSync(join(import.meta.dirname, '../../../node_modules/.esalert-compile-'));
    writeFileSync(
      join(dir, 'tagger.mjs'),
      [
        "import { z } from 'zod';",
        'export default {',
        "  name: 'tagger',",
        '  options: z.looseObject({ tag_name: z.string() }),',
        "  optionNames: ['tag_name'],",
        '  process: (m) => m,',
        '};',
      ].join('\n'),
    );
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      `name: g\ntype: any\nindex: x\nalert: [debug]\nmatch_enhancements: [tagger.mjs]\ntag_name: t\n`,
    );
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      `name: b\ntype: any\nindex: x\nalert: [debug]\nmatch_enhancements: [tagger.mjs]\ntag_name: 5\n`,
    );
    const c = { ...ctx(dir), catalogs: { ...catalogs(), moduleDirs: [dir] } };
    try {
      expect(loadRuleFile(good, c).warnings).toEqual([]);
      expect(() => loadRuleFile(bad, c)).toThrow(/bad\.yaml:6(:\d+)?: tag_name must be a string/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alerter options that are given but cannot work', () => {
  const content = { ruleName: 'r', options: {}, matches: [], title: 't', body: 'b', matchTexts: [] };
  const rule = (lines: string[]) => {
    const { dir, file } = write(['name: r', 'type: any', 'index: x', ...lines, ''].join('\n'));
    return { file, dir, load: () => loadRuleFile(file, ctx(dir)) };
  };

  it('load as ElastAlert 2 loads them: a warning at the option, and each alert to that alerter fails', async () => {
    const r = rule(['alert: [dingtalk, debug]', 'dingtalk_webhook: ""', 'dingtalk_msgtype: text']).load();
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /rule\.yaml:5(:\d+)?: dingtalk_webhook must not be empty \(dingtalk alerter\); the rule loads, and alerts to this alerter fail until the option is fixed/,
      ),
    ]);
    expect(r.alerters.map((a) => a.type)).toEqual(['dingtalk', 'debug']);
    const failed = await r.alerters[0]!.send(content, AbortSignal.timeout(1000));
    expect(failed).toEqual({
      ok: false,
      retryable: false,
      reason: 'not sent: dingtalk_webhook must not be empty (dingtalk alerter)',
    });
  });

  it('an option written without a value is given, as for ElastAlert 2’s required-option check', () => {
    const r = rule(['alert: discord', 'discord_webhook_url:']).load();
    expect(r.warnings).toEqual([
      expect.stringMatching(/rule\.yaml:5(:\d+)?: discord_webhook_url .*fail until/),
    ]);
  });

  it('an inline alerter option is warned about at its own line', () => {
    const r = rule([
      'alert:',
      '  - webhook:',
      '      webhook_url: not a url',
      'realert: {minutes: 0}',
    ]).load();
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /rule\.yaml:6(:\d+)?: alert\[0\]\.webhook\.webhook_url must be a URL .*fail until/,
      ),
    ]);
  });

  it('a template that does not compile is warned about, not refused', () => {
    const r = rule([
      'alert: webhook',
      'webhook_url: http://127.0.0.1:9/hook',
      'webhook_body: "{{ for x in y }}"',
    ]).load();
    expect(r.warnings).toEqual([expect.stringMatching(/rule\.yaml:6(:\d+)?: webhook_body .*fail until/)]);
  });

  it('a required option that is missing still refuses the rule, as ElastAlert 2 does', () => {
    const { file, dir } = rule(['alert: slack']);
    expect(loadError(file, dir)).toMatch(/rule\.yaml:\d+(:\d+)?: .*slack_webhook_url/);
  });
});

describe('options of another rule type', () => {
  it('are named with the rule types that read them, not as options esalert lacks', () => {
    const { dir, file } = write(
      ['name: r', 'type: any', 'index: x', 'alert: debug', 'num_events: 1', 'nmu_events: 2', ''].join('\n'),
    );
    const r = loadRuleFile(file, ctx(dir));
    expect(r.warnings).toEqual([
      expect.stringMatching(
        /rule\.yaml:5: option "num_events" is read by frequency rules; a rule of type any ignores it, as in ElastAlert 2$/,
      ),
      expect.stringMatching(/rule\.yaml:6: unknown option "nmu_events" is ignored/),
    ]);
    expect(r.ignoredOptions).toEqual({ unsupported: [], unknown: ['nmu_events'] });
  });
});
