/** `esalert validate`: every broken fixture is named with its file and line; good rules pass. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { asWarning, validateRules } from '../../../src/app/validate.ts';

const ROOT = join(import.meta.dirname, '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/rules');
const deps = { env: () => undefined, logger: pino({ level: 'silent' }) };
const cli = (args: string[], cwd = ROOT) =>
  spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'validate', ...args], {
    cwd,
    encoding: 'utf8',
  });

describe('esalert validate', () => {
  const bad = readdirSync(join(FIXTURES, 'bad')).filter((f) => f.endsWith('.bad.yaml'));

  it('rejects each broken fixture with its file, line and expected message', () => {
    const report = validateRules({ paths: [join(FIXTURES, 'bad')] }, deps);
    expect(bad.length).toBeGreaterThanOrEqual(20);
    expect(report.files).toBe(bad.length);
    for (const name of bad) {
      const text = readFileSync(join(FIXTURES, 'bad', name), 'utf8');
      const line = /^# line: (\d+)/m.exec(text)![1];
      const expected = new RegExp(/^# expect: (.+)$/m.exec(text)![1]!);
      const errors = report.errors.filter((e) => e.file.endsWith(name));
      expect(errors, name).toHaveLength(1);
      expect(errors[0]!.message, name).toMatch(new RegExp(`${name.replace(/\./g, '\\.')}:${line}(:\\d+)?: `));
      expect(errors[0]!.message, name).toMatch(expected);
    }
  });

  it('accepts the good fixtures', () => {
    const report = validateRules({ paths: [join(FIXTURES, 'good')] }, deps);
    expect(report.errors).toEqual([]);
    expect(report.rules.map((r) => r.name)).toContain('Other event frequency rule');
  });

  it('exits 1 on errors and prints one line per problem, 0 when all rules are valid', () => {
    const failed = cli([
      join(FIXTURES, 'bad', 'unknown-type.bad.yaml'),
      join(FIXTURES, 'good', 'crashloop.yaml'),
    ]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(
      /unknown-type\.bad\.yaml:4:1: type: unknown rule type "frequncy"; did you mean "frequency"\?/,
    );
    expect(failed.stdout).toContain('2 rule file(s): 1 valid, 1 invalid');
    const ok = cli([join(FIXTURES, 'good', 'crashloop.yaml')]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  }, 60_000); // spawns the CLI: slow on a loaded machine

  it('refuses a rule whose ${VAR} is not set, naming the variable; runs once it is set', () => {
    const file = join(FIXTURES, 'bad', 'unset-variable.bad.yaml');
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DINGTALK_')));
    const run = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'validate', file], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...env, ...extra },
      });
    const unset = run({});
    expect(unset.status).toBe(1);
    expect(unset.stdout).toMatch(
      /unset-variable\.bad\.yaml:9:16: environment variable DINGTALK_SIGN is not set/,
    );
    const set = run({ DINGTALK_SIGN: 'SEC0123' });
    expect(set.status, set.stdout + set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain('SEC0123');
  });

  it('warnings pass unless --strict; --format json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-validate-'));
    writeFileSync(join(dir, 'r.yaml'), 'name: r\ntype: any\nindex: x\nalert: debug\nrealrt:\n  minutes: 5\n');
    const loose = cli([dir]);
    expect(loose.status).toBe(0);
    expect(loose.stdout).toMatch(
      /r\.yaml:5(:\d+)?: warning: unknown option "realrt" is ignored; did you mean "realert"\?/,
    );
    expect(cli(['--strict', dir]).status).toBe(1);
    const json = JSON.parse(cli(['--format', 'json', dir]).stdout) as {
      ok: boolean;
      rules: { name: string }[];
    };
    expect(json.ok).toBe(true);
    expect(json.rules.map((r) => r.name)).toEqual(['r']);
  }, 60_000);

  it('summarizes a folder brought over from ElastAlert 2: loads, warnings, refusals and ignored options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'esalert-migrate-'));
    const rule = (name: string, extra: string) =>
      writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\ntype: any\nindex: x\nalert: debug\n${extra}`);
    rule('clean', '');
    rule('counts', 'jinja_filters: [my.filters]\nmax_scrolling: 3\n');
    rule('counts-typo', 'jinja_filters: [my.filters]\ncatagory: ops\n');
    rule('twice', 'realert: {minutes: 1}\nrealert: {minutes: 2}\n');
    writeFileSync(
      join(dir, 'slack1.yaml'),
      'name: s1\ntype: any\nindex: x\nalert: [slackk]\nkibana_username: u\n',
    );
    writeFileSync(join(dir, 'slack2.yaml'), 'name: s2\ntype: any\nindex: x\nalert: slackk\n');
    const { summary, results } = validateRules({ paths: [dir] }, deps);
    expect(results.map((r) => [r.file.replace(/.*\//, ''), r.status])).toEqual([
      ['clean.yaml', 'loads'],
      ['counts-typo.yaml', 'warnings'],
      ['counts.yaml', 'warnings'],
      ['slack1.yaml', 'refused'],
      ['slack2.yaml', 'refused'],
      ['twice.yaml', 'warnings'],
    ]);
    expect([summary.files, summary.loads, summary.loadsWithWarnings, summary.refused]).toEqual([6, 1, 3, 2]);
    expect(summary.refusals.map((t) => [t.name, t.files.length])).toEqual([
      ['alert: unknown alerter "slackk"', 2],
    ]);
    expect(summary.warnings.map((t) => [t.name, t.files.length])).toEqual([
      ['key "realert" is written twice (also on line N); the last one is used', 1],
    ]);
    const options = (tallies: { name: string; files: string[] }[]) =>
      tallies.map((t) => [t.name, t.files.length]);
    expect(options(summary.unsupportedOptions)).toEqual([
      ['jinja_filters', 2],
      ['kibana_username', 1], // a refused file's options are counted too
      ['max_scrolling', 1],
    ]);
    expect(options(summary.unknownOptions)).toEqual([['catagory', 1]]);

    const text = cli([dir]).stdout;
    expect(text).toContain(
      'Migration summary: 6 rule file(s)\n  1 load\n  3 load with warnings, saying (files):',
    );
    expect(text).toMatch(/ {4}\s+2 {2}alert: unknown alerter "slackk" \(.*slack1\.yaml, .*slack2\.yaml\)/);
    expect(text).toMatch(
      /ElastAlert 2 options esalert does not support yet, ignored \(files using them\):\n(?: +\d+ {2}\w+\n)* +2 {2}jinja_filters\n/,
    );
  }, 60_000);

  it('a path that does not exist is an error', () => {
    const report = validateRules({ paths: ['/nonexistent/rules'] }, deps);
    expect(report.errors[0]!.message).toBe('/nonexistent/rules: no such file or folder');
  });

  it('asWarning keeps the location first', () => {
    expect(asWarning('r.yaml:5:1: unknown option')).toBe('r.yaml:5:1: warning: unknown option');
    expect(asWarning('something')).toBe('warning: something');
  });
});
