/** The zero-setup demo: every example rule fires on the shipped events, with no Elasticsearch. */
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../../src/app/demo.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('esalert demo', () => {
  it('each example rule alerts on the example events', async () => {
    const lines: string[] = [];
    const r = await runDemo(
      {},
      { env: () => undefined, logger: pino({ level: 'silent' }), out: (l) => lines.push(l) },
    );
    expect(r.errors).toBe(0);
    expect(r.rules).toBeGreaterThanOrEqual(6);
    const text = lines.join('\n');
    for (const m of text.matchAll(/^▶ (\S+) .*, (\d+) alert\(s\)$/gm))
      expect(Number(m[2]), m[1]).toBeGreaterThan(0);
    expect([...text.matchAll(/^▶ /gm)]).toHaveLength(r.rules);
    expect(text).toContain('offline: no Elasticsearch; alerts are printed here, nothing is sent');
    expect(text).toContain('Pod crash-looping: ');
    expect(text).toContain('CronJob stopped completing: heartbeat');
    // pod-crashloop: the container's last log lines, then a resolved notification
    expect(text).toMatch(/│ Last \d+ log lines of \S+\/\S+, container \S+:\n {2}│ ```\n/);
    expect(text).toContain('│ panic: cannot start');
    expect(text).toContain('┌ [RESOLVED] Pod crash-looping: ');
    expect(text).toMatch(/│ \[RESOLVED\] The condition cleared at .* and lasted \d+:\d\d:\d\d\./);
  });

  it('runs from any directory through the command line', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), 'demo'], {
      cwd: tmpdir(),
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Demo done: \d+ rules, \d+ alerts from \d+ events/);
  });
});
