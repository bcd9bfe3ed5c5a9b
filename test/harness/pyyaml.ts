/**
 * PyYAML from PyPI in a cached virtualenv, and a runner that loads YAML files with it exactly as
 * ElastAlert 2 does (test/harness/pyyaml-load.py). Only the first run needs the network.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureVenv, pickPython } from './python.ts';

/** What `pip install elastalert2==2.31.0` installs today (ElastAlert 2 requires PyYAML>=6.0.3). */
export const PYYAML_VERSION = '6.0.4';

export type PyYamlResult = { ok: unknown } | { error: string };

export interface PyYaml {
  python: string;
  pythonVersion: string;
  /** The PyYAML version the virtualenv holds. */
  version: string;
  /** Loads each file as ElastAlert 2 does; results in the files' order. */
  load(files: readonly string[]): PyYamlResult[];
}

const SCRIPT = join(import.meta.dirname, 'pyyaml-load.py');

export function ensurePyYaml(
  log: (msg: string) => void = (m) => process.stderr.write(`[pyyaml] ${m}\n`),
): PyYaml {
  const py = pickPython();
  const { python } = ensureVenv(`pyyaml-venv-${PYYAML_VERSION}`, [`PyYAML==${PYYAML_VERSION}`], py, log);
  const load = (files: readonly string[]): PyYamlResult[] => {
    // no environment: os.path.expandvars leaves $VAR alone; UTF-8 as in ElastAlert 2's images
    const r = spawnSync(python, [SCRIPT, ...files], {
      encoding: 'utf8',
      env: { PYTHONUTF8: '1', PYTHONDONTWRITEBYTECODE: '1' },
      maxBuffer: 1 << 30,
    });
    if (r.status !== 0) throw new Error(`pyyaml-load.py failed (exit ${r.status}): ${r.stderr}`);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file?: string } & PyYamlResult);
    return files.map((file, i) => {
      const line = lines[i];
      if (line?.file !== file) throw new Error(`pyyaml-load.py answered out of order at ${file}`);
      return 'ok' in line ? { ok: line.ok } : { error: (line as { error: string }).error };
    });
  };
  const version = (
    JSON.parse(spawnSync(python, [SCRIPT], { encoding: 'utf8' }).stdout.trim()) as { pyyaml: string }
  ).pyyaml;
  return { python, pythonVersion: py.version, version, load };
}
