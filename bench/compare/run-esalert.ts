/**
 * Runs esalert once over a window and reads back its alerts:
 *   node bench/compare/run-esalert.ts --es <url> --rules <dir> --writeback <index> --start <iso> --end <iso> --work <dir>
 * [--ref <commit>] prints the run (measurements, per-rule status, alerts) as JSON; with --ref, that
 * commit runs (exported to the work dir) instead of the working tree. esalert creates its writeback
 * indices itself at start, so those requests are part of its count.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type EngineRun,
  type EngineRunOptions,
  engineEnv,
  optionsFromArgv,
  readWriteback,
  writeConfig,
} from './engine-run.ts';
import { buildEsalert, imageEnv, imageNode } from './esalert-build.ts';
import { runMeasured } from './measure.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
};

/** Where esalert runs from: this working tree, or a commit of it exported to `dest` (git archive). */
export interface EsalertSource {
  dir: string;
  version: string;
}

/** This working tree; the version names the commit, `+dirty` when src/ has uncommitted changes. */
export function workingTree(): EsalertSource {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const commit = git(REPO, 'rev-parse', '--short', 'HEAD');
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' })
    .stdout
    ? '+dirty'
    : '';
  return { dir: REPO, version: `${pkg.version} (${commit}${dirty})` };
}

/**
 * `ref` of this repository exported to `dest` (the repository itself is not touched), with this
 * tree's node_modules linked in: a stable esalert while the working tree is being edited.
 */
export function exportCommit(ref: string, dest: string): EsalertSource {
  const commit = git(REPO, 'rev-parse', '--short', `${ref}^{commit}`);
  mkdirSync(dest, { recursive: true });
  const archive = spawnSync('git', ['archive', '--format=tar', commit], { cwd: REPO, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${commit} failed`);
  const untar = spawnSync('tar', ['-x', '-C', dest], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`unpacking ${commit} into ${dest} failed`);
  if (!existsSync(join(dest, 'node_modules')))
    symlinkSync(join(REPO, 'node_modules'), join(dest, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(dest, 'package.json'), 'utf8')) as { version: string };
  return { dir: dest, version: `${pkg.version} (${commit})` };
}

/** Messages of error-level (pino level >= 50) lines of esalert's JSON log. */
export function esalertLogErrors(log: string): string[] {
  const out: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((rec.level ?? 0) >= 50) out.push([rec.msg, rec.err?.message].filter(Boolean).join(': '));
    } catch {
      // not a log record
    }
  }
  return out;
}

export async function runEsalert(o: EngineRunOptions, source = workingTree()): Promise<EngineRun> {
  mkdirSync(o.workDir, { recursive: true });
  const config = join(o.workDir, 'esalert-config.yaml');
  const logFile = join(o.workDir, 'esalert.log');
  writeConfig(config, o);
  // compiled, with the image's V8 flags: as the container runs it
  const cli = buildEsalert(source.dir, join(o.workDir, 'esalert-dist'));
  const node = imageNode(join(source.dir, 'Dockerfile'));
  const args = [
    ...node.flags,
    cli,
    'run',
    '--config',
    config,
    '--start',
    o.start,
    '--end',
    o.end,
    '--verbose',
    '--pin-rules',
  ];
  const measurement = await runMeasured(process.execPath, args, {
    cwd: o.workDir,
    env: imageEnv(engineEnv(), node),
    logFile,
  });
  const log = readFileSync(logFile, 'utf8');
  if (measurement.exitCode !== 0)
    throw new Error(`esalert exited with ${measurement.exitCode}; see ${logFile}`);
  const written = await readWriteback(o.readUrl ?? o.esUrl, o.writebackIndex);
  return {
    engine: 'esalert',
    version: source.version,
    measurement,
    ...written,
    errors: [...written.errors, ...esalertLogErrors(log)],
    logFile,
  };
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const refAt = argv.indexOf('--ref');
  const ref = refAt >= 0 ? argv.splice(refAt, 2)[1] : undefined;
  const o = optionsFromArgv(argv);
  const run = await runEsalert(o, ref ? exportCommit(ref, join(o.workDir, 'esalert-src')) : workingTree());
  console.log(JSON.stringify(run, null, 2));
}
