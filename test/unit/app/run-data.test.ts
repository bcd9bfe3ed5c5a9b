/** `esalert run --data`: the scheduler and alert pipeline of `run`, over a file of events. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

describe('run --data', () => {
  it('runs the rules over the file, sends aggregated alerts when the data runs out, and exits 0', () => {
    const res = spawnSync(
      process.execPath,
      [
        join(ROOT, 'src/cli/main.ts'),
        'run',
        '--config',
        'no-such-config.yaml',
        '--data',
        'examples/k8s-events.ndjson.gz',
        '--verbose',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(res.status, res.stderr).toBe(0);
    const logs = res.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; rule?: string; documents?: number });
    expect(logs.find((l) => l.msg.startsWith('evaluating over a file'))?.documents).toBeGreaterThan(1000);
    const alerted = new Set(logs.filter((l) => l.msg.startsWith('Alert for ')).map((l) => l.rule));
    // scheduling-failures aggregates for 10 minutes: its alert goes out when the data ends
    expect([...alerted].sort()).toEqual([
      'cronjob-stopped',
      'image-pull-failure',
      'node-problems',
      'pod-crashloop',
      'pod-warnings',
      'probe-failure-spike',
      'scheduling-failures',
    ]);
  });
});
