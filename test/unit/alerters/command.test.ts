/**
 * The command alerter with real processes: argument lists without a shell, the shell form with
 * event text that tries to break out, stdin, the timeout that kills what the command started,
 * bounded output, and how exits and start failures are classified.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptionProblem } from '../../../src/alerters/alerter.ts';
import { commandAlerter } from '../../../src/alerters/command.ts';
import { formatCommandArg, MISSING_VALUE, shellQuote } from '../../../src/alerters/command-args.ts';
import type { Doc } from '../../../src/model/lookup.ts';
import { alertContent, captureLog, deps, signal } from './support/alert-content.ts';

const dir = mkdtempSync(join(tmpdir(), 'esalert-command-test-'));
const recorder = join(dir, 'record.mjs');
writeFileSync(
  recorder,
  `import { writeFileSync } from 'node:fs';
let stdin = '';
for await (const c of process.stdin) stdin += c;
writeFileSync(process.argv[2], JSON.stringify({ args: process.argv.slice(3), stdin }));
`,
);
const NASTY = `it's "bad"; touch ${join(dir, 'pwned')} $(touch ${join(dir, 'pwned2')}) \`id\``;
const MATCH = {
  '@timestamp': '2024-05-14T03:21:09Z',
  user: { name: 'ana', id: 7 },
  message: NASTY,
  count: 3.5,
};
const RULE: Doc = { name: 'cmd rule', type: 'any' };

async function run(options: Doc, matches: Doc[] = [MATCH]) {
  const log = captureLog();
  const alerter = commandAlerter.create({ ...RULE, ...options }, deps(log, dir));
  const outcome = await alerter.send(alertContent({ ...RULE, ...options }, matches), signal());
  return { outcome, log, alerter };
}
const recorded = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { args: string[]; stdin: string };

describe('formatCommandArg', () => {
  const f = (t: string, match: Doc = MATCH, newStyle = false) => formatCommandArg(t, match, { newStyle });
  it('fills %(field)s and {field} from the match, dotted names and indexes included', () => {
    expect(f('--user=%(user.name)s id=%(user.id)03d {user[name]} {user.id} %%')).toBe(
      '--user=ana id=007 ana 7 %',
    );
    expect(f('{{literal}} %(count).1f')).toBe('{literal} 3.5');
  });
  it('writes <MISSING VALUE> for fields the match lacks', () => {
    expect(f('%(nope)s {nope} {nope[x]}')).toBe(`${MISSING_VALUE} ${MISSING_VALUE} ${MISSING_VALUE}`);
  });
  it('never formats text a value brought in', () => {
    expect(f('%(m)s', { m: '{user} %(user)s' })).toBe('{user} %(user)s');
  });
  it('refuses lone % and braces, naming the problem', () => {
    expect(() => f('date +%Y')).toThrow(/%Y needs a field name|lone %/);
    expect(() => f('a } b')).toThrow(/single }/);
    expect(() => f('a { b')).toThrow(/single \{/);
  });
  it('new_style_string_format reads {match[field]} and leaves % alone', () => {
    expect(f('{match[user][name]} 100%', MATCH, true)).toBe('ana 100%');
  });
  it('quotes for the shell: one word whatever the text', () => {
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`);
  });
});

describe('command alerter', () => {
  it('runs a list without a shell: event text stays one argument', async () => {
    const out = join(dir, 'list.json');
    const { outcome, alerter } = await run({
      command: [process.execPath, recorder, out, '%(message)s', '{user[name]}'],
    });
    expect(outcome).toEqual({ ok: true });
    expect(recorded(out).args).toEqual([NASTY, 'ana']);
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
    expect(alerter.info()).toEqual({ type: 'command', command: process.execPath });
  });

  it('the shell form quotes every value from the match, so event text cannot run commands', async () => {
    const out = join(dir, 'shell.txt');
    const { outcome } = await run({ command: `printf '%%s' %(message)s > ${out}` });
    expect(outcome).toEqual({ ok: true });
    expect(readFileSync(out, 'utf8')).toBe(NASTY);
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
  });

  it('pipes the matches as Python-style JSON, or the alert text', async () => {
    const out = join(dir, 'stdin.json');
    await run({ command: [process.execPath, recorder, out], pipe_match_json: true }, [
      { a: 'é', n: 1 },
      { b: null },
    ]);
    expect(recorded(out).stdin).toBe('[{"a": "\\u00e9", "n": 1}, {"b": null}]\n');
    await run({
      command: [process.execPath, recorder, out],
      pipe_alert_text: true,
      alert_text: 'hello',
      alert_text_type: 'alert_text_only',
    });
    expect(recorded(out).stdin).toBe('hello\n\n');
    expect(() =>
      commandAlerter.create(
        { ...RULE, command: ['x'], pipe_match_json: true, pipe_alert_text: true },
        deps(captureLog()),
      ),
    ).toThrow(OptionProblem);
  });

  it('kills the command and what it started at command_timeout, retryably', async () => {
    const pidFile = join(dir, 'child.pid');
    const started = Date.now();
    const { outcome } = await run({ command: `sleep 30 & echo $! > ${pidFile}; wait`, command_timeout: 0.5 });
    expect(outcome).toMatchObject({
      ok: false,
      retryable: true,
      reason: expect.stringMatching(/command_timeout/),
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    // gone, or a zombie waiting for a parent that reaps it (a container's PID 1 may not)
    const state = existsSync(`/proc/${pid}/stat`)
      ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]
      : 'gone';
    expect(['gone', 'Z', 'X']).toContain(state);
  });

  it('stops at once when aborted', async () => {
    const alerter = commandAlerter.create({ ...RULE, command: ['sleep', '30'] }, deps(captureLog()));
    const c = new AbortController();
    setTimeout(() => c.abort(), 100);
    const outcome = await alerter.send(alertContent(RULE, [MATCH]), c.signal);
    expect(outcome).toMatchObject({ ok: false, retryable: true, reason: expect.stringMatching(/abort/) });
  });

  it('keeps 64 KiB of output and reads the rest away', async () => {
    const { outcome, log } = await run({
      command: [process.execPath, '-e', 'process.stdout.write("x".repeat(1 << 20))'],
    });
    expect(outcome).toEqual({ ok: true });
    const line = log.lines().find((l) => typeof l.stdout === 'string')!;
    expect((line.stdout as string).length).toBeLessThan(70 * 1024);
    expect(line.stdout).toMatch(/983040 more bytes/);
  });

  it('classifies exits: 75 retryable, others permanent with stderr; counted as sent without fail_on_non_zero_exit', async () => {
    const exit = (code: number) => [
      process.execPath,
      '-e',
      `process.stderr.write("went wrong"); process.exit(${code})`,
    ];
    expect((await run({ command: exit(75), fail_on_non_zero_exit: true })).outcome).toMatchObject({
      ok: false,
      retryable: true,
    });
    expect((await run({ command: exit(3), fail_on_non_zero_exit: true })).outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/exit status 3: went wrong/),
    });
    const lenient = await run({ command: exit(3) });
    expect(lenient.outcome).toEqual({ ok: true });
    expect(lenient.log.text()).toMatch(/exit status 3/);
  });

  it('a program that cannot start fails permanently and says why', async () => {
    expect((await run({ command: [join(dir, 'no-such-program')] })).outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/ENOENT.*full path/),
    });
    expect((await run({ command: ['echo', 'date +%Y'] })).outcome).toMatchObject({
      ok: false,
      retryable: false,
      reason: expect.stringMatching(/%Y/),
    });
  });
});
