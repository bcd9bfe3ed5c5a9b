/** `esalert test`: rule unit tests pass and fail with readable differences. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runTestFile } from '../../../src/app/rule-tests.ts';

const ROOT = join(import.meta.dirname, '../../..');
const deps = { env: () => undefined, logger: pino({ level: 'silent' }) };
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'test', ...args], { encoding: 'utf8' });

const backoffs = (pod: string, n: number, from: string) => ({
  repeat: n,
  every: '30s',
  from,
  doc: {
    event: {
      reason: 'BackOff',
      message: `back-off ${pod}`,
      involvedObject: { name: pod, namespace: 'prod' },
    },
  },
});

describe('rule unit tests', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'esalert-rule-tests-'));
    writeFileSync(
      join(dir, 'crashloop.yaml'),
      stringify({
        name: 'crashloop',
        type: 'frequency',
        index: 'eventrouter-*',
        num_events: 5,
        timeframe: { minutes: 10 },
        query_key: 'event.involvedObject.name.keyword',
        filter: [{ query_string: { query: 'event.reason: BackOff' } }],
        realert: { minutes: 30 },
        alert_text: 'Pod {} keeps restarting',
        alert_text_args: ['event.involvedObject.name'],
        alert_text_type: 'alert_text_only',
        alert: ['debug'],
      }),
    );
    writeFileSync(
      join(dir, 'events.ndjson'),
      [0, 1, 2, 3, 4, 5]
        .map((i) =>
          JSON.stringify({
            '@timestamp': `2024-05-14T09:0${i}:00Z`,
            event: { reason: 'BackOff', involvedObject: { name: 'db-0', namespace: 'data' } },
          }),
        )
        .join('\n'),
    );
  });

  it('the example rules pass their tests', async () => {
    const results = await runTestFile(join(ROOT, 'examples/rule-tests/k8s-rules.test.yaml'), deps);
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) expect(r.failures, r.name).toEqual([]);
  });

  it('passes when the alerts are as expected (inline, generated and file events)', async () => {
    const file = join(dir, 'ok.test.yaml');
    writeFileSync(
      file,
      stringify({
        rule_files: ['crashloop.yaml'],
        tests: [
          {
            name: 'two pods',
            events: [backoffs('web-1', 10, '2024-05-14T08:00:00Z')],
            events_file: 'events.ndjson',
            expect: [{ alerts: 2, query_keys: ['web-1', 'db-0'], text_contains: ['Pod web-1', 'Pod db-0'] }],
          },
          {
            name: 'nothing',
            events: [backoffs('web-1', 4, '2024-05-14T08:00:00Z')],
            expect: [{ alerts: 0, matches: 0 }],
          },
        ],
      }),
    );
    const results = await runTestFile(file, deps);
    expect(results.map((r) => [r.name, r.passed, r.failures])).toEqual([
      ['two pods', true, []],
      ['nothing', true, []],
    ]);
  });

  it('says what differs when alerts are not as expected', async () => {
    const file = join(dir, 'wrong.test.yaml');
    writeFileSync(
      file,
      stringify({
        rule_files: ['crashloop.yaml'],
        tests: [
          {
            name: 'wrong',
            events: [backoffs('web-1', 10, '2024-05-14T08:00:00Z')],
            expect: [
              {
                alerts: 2,
                query_keys: ['web-2'],
                text_contains: 'Pod web-2',
                text_not_contains: 'keeps restarting',
              },
            ],
          },
        ],
      }),
    );
    const [r] = await runTestFile(file, deps);
    expect(r!.passed).toBe(false);
    expect(r!.line).toBe(4);
    const text = r!.failures.join('\n');
    expect(text).toContain('crashloop: alerts: expected 2, got 1');
    expect(text).toMatch(
      /expected: \[web-2\]\n\s+got:\s+\[web-1\]\n\s+missing:\s+\[web-2\]\n\s+extra:\s+\[web-1\]/,
    );
    expect(text).toMatch(
      /no alert text contains "Pod web-2"; the texts:\n\s+alert 1:\n\s+\| Pod web-1 keeps restarting/,
    );
    expect(text).toContain('an alert text contains "keeps restarting"');
  });

  it('a broken test file names the file and line', async () => {
    const file = join(dir, 'broken.test.yaml');
    writeFileSync(file, 'rule_files: [crashloop.yaml]\ntests:\n  - name: x\n    expects: []\n');
    await expect(runTestFile(file, deps)).rejects.toThrow(/broken\.test\.yaml:3(:\d+)?: .*expect/);
  });

  it('exits 0 when all pass, 1 when one fails', () => {
    const ok = cli(join(dir, 'ok.test.yaml'));
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('2 test(s): 2 passed, 0 failed');
    const bad = cli(dir);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/✗ wrong {2}\(.*wrong\.test\.yaml:4\)/);
    expect(bad.stdout).toContain('1 file(s) could not be run');
  });
});
