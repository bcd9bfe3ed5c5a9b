/**
 * Runs ElastAlert 2 once over a window and reads back its alerts:
 *   node bench/compare/run-ea2.ts --es <url> --rules <dir> --writeback <index> --start <iso> --end <iso> --work <dir>
 * prints the run (measurements, per-rule status, alerts) as JSON.
 *
 * `elastalert --start --end` runs every rule once over the window (in segments of buffer_time, or
 * run_every for count/terms queries), then exits when the main loop's first run_every sleep ends:
 * its wall time is at least run_every whatever the work, so compare CPU time and per-rule time_taken.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureEa2 } from './ea2-install.ts';
import {
  type EngineRun,
  type EngineRunOptions,
  engineEnv,
  optionsFromArgv,
  readWriteback,
  writeConfig,
} from './engine-run.ts';
import { runMeasured } from './measure.ts';

/**
 * At exit, APScheduler's daemon thread may still submit the next interval job to the stopped
 * thread pool: a traceback after the work is done that loses nothing.
 */
const EXIT_RACE = /cannot schedule new futures after (interpreter )?shutdown/;

/**
 * The failures an ElastAlert 2 log reports: each ERROR/CRITICAL record (with the traceback lines
 * that follow it), named by its first line; the exit race above is left out.
 */
export function ea2LogErrors(log: string): string[] {
  const records: string[][] = [];
  for (const line of log.split('\n')) {
    if (/^[A-Z]+:[\w.]+:/.test(line)) records.push([line]);
    else records.at(-1)?.push(line);
  }
  return records
    .filter((r) => /^(ERROR|CRITICAL):/.test(r[0]!) && !r.some((l) => EXIT_RACE.test(l)))
    .map((r) => r[0]!);
}

export async function runEa2(o: EngineRunOptions): Promise<EngineRun> {
  const ea2 = ensureEa2();
  mkdirSync(o.workDir, { recursive: true });
  const config = join(o.workDir, 'ea2-config.yaml');
  const logFile = join(o.workDir, 'ea2.log');
  // The writeback indices are set up beforehand, directly (not through the counting proxy).
  const setupConfig = join(o.workDir, 'ea2-create-index.yaml');
  writeConfig(setupConfig, { ...o, esUrl: o.readUrl ?? o.esUrl });
  const created = spawnSync(ea2.createIndex, ['--config', setupConfig], {
    cwd: o.workDir,
    env: engineEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (created.status !== 0)
    throw new Error(
      `elastalert-create-index failed (${created.status}): ${created.stderr || created.stdout}`,
    );

  writeConfig(config, o);
  const args = ['--config', config, '--start', o.start, '--end', o.end, '--verbose', '--pin_rules'];
  const measurement = await runMeasured(ea2.elastalert, args, {
    cwd: o.workDir,
    env: engineEnv(),
    logFile,
    ...(o.limitMs !== undefined ? { stopAfterMs: o.limitMs } : {}),
  });
  const log = readFileSync(logFile, 'utf8');
  if (measurement.exitCode !== 0)
    throw new Error(`elastalert exited with ${measurement.exitCode}; see ${logFile}`);
  // SIGINT makes ElastAlert 2 exit at once with status 0
  const stopped = o.limitMs !== undefined && measurement.wallMs >= o.limitMs;
  const written = await readWriteback(o.readUrl ?? o.esUrl, o.writebackIndex);
  return {
    engine: 'ElastAlert 2',
    version: `${ea2.version} (Python ${ea2.pythonVersion})`,
    measurement,
    ...(stopped ? { stopped } : {}),
    ...written,
    errors: [...written.errors, ...ea2LogErrors(log)],
    logFile,
  };
}

if (import.meta.main) {
  const run = await runEa2(optionsFromArgv(process.argv.slice(2)));
  console.log(JSON.stringify(run, null, 2));
}
