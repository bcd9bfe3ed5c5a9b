/**
 * Python virtualenvs in the cache (see cache.ts), for tests and benchmarks that run Python
 * software from PyPI (PyYAML for the YAML differential test, ElastAlert 2 for bench/compare).
 *
 * The newest Python 3 that can make a virtualenv is used: versioned names on PATH, then pyenv's
 * installs (which pyenv's shims do not expose unless selected). ESALERT_PYTHON picks one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from './cache.ts';

export interface PickedPython {
  python: string;
  /** major.minor.micro */
  version: string;
  minor: number;
}

function pythonVersion(python: string): [number, number, string] | undefined {
  const r = spawnSync(python, ['-c', 'import sys; print(*sys.version_info[:3])'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [major, minor, micro] = r.stdout.trim().split(' ').map(Number);
  if (major === undefined || minor === undefined) return undefined;
  return [major, minor, `${major}.${minor}.${micro}`];
}

/** Interpreters to consider: the explicit one, then versioned names on PATH, then pyenv's installs. */
function candidatePythons(explicit: string | undefined): string[] {
  if (explicit) return [explicit];
  const names = ['python3.14', 'python3.13', 'python3.12', 'python3'];
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const pyenv = existsSync(join(pyenvRoot, 'versions'))
    ? readdirSync(join(pyenvRoot, 'versions'))
        .filter((v) => /^3\.\d+\.\d+$/.test(v))
        .map((v) => join(pyenvRoot, 'versions', v, 'bin', 'python3'))
    : [];
  return [...names, ...pyenv];
}

/** The newest Python 3 that can make a virtualenv; `explicit` (an interpreter path) wins. */
export function pickPython(explicit = process.env.ESALERT_PYTHON): PickedPython {
  let best: PickedPython | undefined;
  for (const python of candidatePythons(explicit)) {
    const v = pythonVersion(python);
    if (!v || v[0] !== 3) continue;
    if (spawnSync(python, ['-c', 'import venv, ensurepip']).status !== 0) continue;
    if (!best || v[1] > best.minor) best = { python, version: v[2], minor: v[1] };
  }
  if (!best)
    throw new Error(
      'no Python 3 with venv found: install python3 and python3-venv (Debian/Ubuntu), or set ESALERT_PYTHON to an interpreter',
    );
  return best;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
  return r.stdout;
}

/** Sleeps the thread: ensureVenv is synchronous, like the spawnSync calls it waits for. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that made `lock` still works on it; a lock without a pid yet counts as busy for 10 s. */
function lockHolder(lock: string): 'busy' | 'gone' | 'released' {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (pid) return isAlive(pid) ? 'busy' : 'gone';
    return Date.now() - statSync(lock).mtimeMs < 10_000 ? 'busy' : 'gone';
  } catch {
    return 'released';
  }
}

/**
 * A virtualenv `<name>-py<version>` in the cache with `requirements` pip-installed from PyPI, made
 * once (a run interrupted before `.complete` is started over). Test runs on the same machine may
 * ask for it at the same time: one makes it, holding `<venv>.lock`, the others wait for it.
 */
export function ensureVenv(
  name: string,
  requirements: readonly string[],
  py: PickedPython,
  log: (msg: string) => void,
): { venv: string; python: string } {
  const venv = join(cacheDir(), `${name}-py${py.version}`);
  const python = join(venv, 'bin', 'python');
  const complete = join(venv, '.complete');
  const lock = `${venv}.lock`;
  const deadline = Date.now() + 15 * 60_000;
  while (!existsSync(complete)) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      const holder = lockHolder(lock);
      if (holder === 'released') continue;
      if (holder === 'busy' && Date.now() < deadline) {
        sleepSync(1000);
        continue;
      }
      rmSync(lock, { force: true }); // its maker is gone
      continue;
    }
    try {
      log(`creating ${venv} with Python ${py.version} (${py.python})`);
      rmSync(venv, { recursive: true, force: true });
      run(py.python, ['-m', 'venv', venv]);
      run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements]);
      writeFileSync(complete, run(python, ['-m', 'pip', 'freeze']));
    } finally {
      rmSync(lock, { force: true });
    }
  }
  return { venv, python };
}
