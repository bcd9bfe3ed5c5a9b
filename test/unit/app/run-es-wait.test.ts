/**
 * `esalert run --end` against an Elasticsearch that never answers gives up after --es-wait and
 * says so in one line, with a non-zero exit code (a continuous run keeps waiting: it may start
 * before Elasticsearch does).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'esalert-es-wait-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

it('run --end gives up on an unreachable Elasticsearch after --es-wait, in one line, exit 2', async () => {
  const port = await closedPort();
  const rules = mkdtempSync(join(dir, 'rules-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    `es_host: 127.0.0.1\nes_port: ${port}\nwriteback_index: wb\nrun_every: {minutes: 1}\nbuffer_time: {minutes: 5}\nrules_folder: ${rules}\n`,
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ES_')));
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'src/cli/main.ts'),
      'run',
      '--config',
      config,
      '--start',
      '2024-05-14T00:00:00Z',
      '--end',
      '2024-05-14T01:00:00Z',
      '--es-wait',
      '2',
    ],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr).toBe(2);
  const last = stderr.trimEnd().split('\n').at(-1)!;
  expect(last).toMatch(
    /^esalert: Elasticsearch did not answer for 2 s, giving up \(--es-wait sets how long\): /,
  );
  expect(last).toContain(`127.0.0.1:${port}`);
  // the retries before it are warnings, each on a line of its own
  expect(stderr).toContain('Elasticsearch is unreachable; retrying');
});
