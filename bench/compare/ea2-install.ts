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
import { ensureVenv, pickPython } from '../../test/harness/python.ts';

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

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
  return r.stdout;
}

/** Creates the virtualenv once (a run interrupted before `.complete` is started over) and returns its entry points. */
export function ensureEa2(): Ea2Install {
  const py = pickPython(process.env.ESALERT_EA2_PYTHON ?? process.env.ESALERT_PYTHON);
  const version = py.minor >= 12 ? EA2_VERSION : EA2_VERSION_PY311;
  const { venv, python } = ensureVenv(`ea2-venv-${version}`, [`elastalert2==${version}`], py, log);
  const bin = (name: string) => `${venv}/bin/${name}`;
  const installed = run(python, [
    '-c',
    'from importlib.metadata import version; print(version("elastalert2"))',
  ]).trim();
  return {
    version: installed,
    python,
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
