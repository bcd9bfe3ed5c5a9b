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
  });

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
  });

  it('a path that does not exist is an error', () => {
    const report = validateRules({ paths: ['/nonexistent/rules'] }, deps);
    expect(report.errors[0]!.message).toBe('/nonexistent/rules: no such file or folder');
  });

  it('asWarning keeps the location first', () => {
    expect(asWarning('r.yaml:5:1: unknown option')).toBe('r.yaml:5:1: warning: unknown option');
    expect(asWarning('something')).toBe('warning: something');
  });
});
