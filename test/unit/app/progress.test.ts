import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackfillProgress, progressLine } from '../../../src/cli/progress.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('progress', () => {
  it('rewrites one line at most ten times a second and clears it', () => {
    let t = 0;
    const written: string[] = [];
    const stream = { columns: 40, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const line = progressLine(stream, () => t);
    line.update('a');
    t = 50;
    line.update('b'); // too soon
    t = 150;
    line.update('c'.repeat(100));
    line.clear();
    expect(written).toEqual(['\r\x1b[Ka', `\r\x1b[K${'c'.repeat(39)}`, '\r\x1b[K']);
  });

  it('sums segments and hits over rules, with rates', () => {
    let t = 0;
    const p = new BackfillProgress(() => t);
    p.segment('a', { segmentsDone: 10, segmentsTotal: 40, hits: 100 });
    p.segment('b', { segmentsDone: 30, segmentsTotal: 40, hits: 300 });
    p.segment('a', { segmentsDone: 20, segmentsTotal: 40, hits: 150 });
    p.ruleRun(7);
    t = 2000;
    expect(p.text()).toBe('segments 50/80 (62%), 450 hits, 7 matches, 25 segments/s, 225 hits/s');
  });

  it('a backfill with text logs shows progress on a terminal, and none when stderr is not one', () => {
    const args = [
      'src/cli/main.ts',
      'run',
      '--config',
      'none.yaml',
      '--data',
      'examples/k8s-events.ndjson.gz',
      '--log-format',
      'text',
    ];
    const piped = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toContain('segments');
    const tty = spawnSync('script', ['-qec', [process.execPath, ...args].join(' '), '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (tty.error) return; // no `script` to give the process a terminal
    expect(tty.stdout).toContain('\r\x1b[Ksegments ');
    expect(tty.stdout).toMatch(/segments \d+\/\d+ \(\d+%\), \d+ hits/);
    expect(tty.stdout).toMatch(/backfill done: segments (\d+)\/\1 \(100%\), \d+ hits, \d+ matches/);
  });
});
