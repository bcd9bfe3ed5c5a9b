/**
 * ElastAlert 2 from PyPI in a cached virtualenv: `node bench/compare/ea2-install.ts` prints its version.
 *
 * ElastAlert 2 2.31.0 declares `python_requires >= 3.12` (its docs recommend 3.13 or 3.14). The newest
 * Python 3 found (versioned names on PATH, then pyenv's installs, which pyenv's shims do not expose
 * unless selected) is used. When no Python 3.12+ exists, the newest release that still allows 3.11
 * (2.19.0) is installed instead, so the comparison runs either way and the report names the version
 * that ran. ESALERT_EA2_PYTHON picks the interpreter explicitly.
 * The virtualenv lives in the cache (see test/harness/cache.ts) as ea2-venv-<version>-py<python>.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../../test/harness/cache.ts';

/** The pinned release for Python 3.12+, and the newest release whose requires_python allows 3.11. */
export const EA2_VERSION = '2.31.0';
export const EA2_VERSION_PY311 = '2.19.0';

export interface Ea2Install {
  version: string;
  python: string;
  pythonVersion: string;
  venv: string;
  /** The `elastalert` and `elastalert-create-index` entry points of the virtualenv. */
  elastalert: string;
  createIndex: string;
}

const log = (msg: string) => process.stderr.write(`[ea2-install] ${msg}\n`);

function pythonVersion(python: string): [number, number, string] | undefined {
  const r = spawnSync(python, ['-c', 'import sys; print(*sys.version_info[:3])'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [major, minor, micro] = r.stdout.trim().split(' ').map(Number);
  if (major === undefined || minor === undefined) return undefined;
  return [major, minor, `${major}.${minor}.${micro}`];
}

/** Interpreters to consider: the explicit one, then versioned names on PATH, then pyenv's installs. */
function candidatePythons(): string[] {
  const explicit = process.env.ESALERT_EA2_PYTHON;
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

/** The newest Python 3 that can make a virtualenv. */
export function pickPython(): { python: string; version: string; minor: number } {
  let best: { python: string; version: string; minor: number } | undefined;
  for (const python of candidatePythons()) {
    const v = pythonVersion(python);
    if (!v || v[0] !== 3) continue;
    if (spawnSync(python, ['-c', 'import venv, ensurepip']).status !== 0) continue;
    if (!best || v[1] > best.minor) best = { python, version: v[2], minor: v[1] };
  }
  if (!best) throw new Error('no Python 3 with venv found (set ESALERT_EA2_PYTHON)');
  return best;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
  return r.stdout;
}

/** Creates the virtualenv once (a run interrupted before `.complete` is started over) and returns its entry points. */
export function ensureEa2(): Ea2Install {
  const py = pickPython();
  const version = py.minor >= 12 ? EA2_VERSION : EA2_VERSION_PY311;
  const venv = join(cacheDir(), `ea2-venv-${version}-py${py.version}`);
  const bin = (name: string) => join(venv, 'bin', name);
  if (!existsSync(join(venv, '.complete'))) {
    log(`creating ${venv} with Python ${py.version} (${py.python})`);
    rmSync(venv, { recursive: true, force: true });
    run(py.python, ['-m', 'venv', venv]);
    run(bin('python'), ['-m', 'pip', 'install', '--quiet', `elastalert2==${version}`]);
    writeFileSync(join(venv, '.complete'), run(bin('python'), ['-m', 'pip', 'freeze']));
  }
  const installed = run(bin('python'), [
    '-c',
    'from importlib.metadata import version; print(version("elastalert2"))',
  ]).trim();
  return {
    version: installed,
    python: bin('python'),
    pythonVersion: py.version,
    venv,
    elastalert: bin('elastalert'),
    createIndex: bin('elastalert-create-index'),
  };
}

if (import.meta.main) {
  const ea2 = ensureEa2();
  log(`virtualenv ${ea2.venv} (Python ${ea2.pythonVersion})`);
  console.log(ea2.version);
}
