/**
 * Helm for the chart tests (test/unit/deploy/helm.test.ts): a pinned release, built from the Go
 * module proxy the first time (a few minutes) and kept in the test cache. Its configuration, cache
 * and data directories are a scratch directory, so that a machine's own Helm repositories and
 * plugins play no part.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findGo, goBinaryPath, goInstall } from './go.ts';

const exec = promisify(execFile);

export const HELM_PACKAGE = 'helm.sh/helm/v3/cmd/helm';
export const HELM_VERSION = 'v3.22.0';

/** Why Helm cannot be had on this machine, or undefined when it can. */
export function helmUnavailable(): string | undefined {
  if (existsSync(goBinaryPath(HELM_PACKAGE, HELM_VERSION)) || findGo()) return undefined;
  return `Helm ${HELM_VERSION} is not in the test cache (${goBinaryPath(HELM_PACKAGE, HELM_VERSION)}) and there is no Go toolchain to build it (Debian: apt-get install golang; or https://go.dev/dl)`;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Helm {
  run(args: string[]): Promise<HelmResult>;
  /** Deletes Helm's scratch directories. */
  dispose(): void;
}

/** Runs the pinned Helm, building it first if need be. */
export async function createHelm(log: (msg: string) => void): Promise<Helm> {
  const bin = await goInstall(HELM_PACKAGE, HELM_VERSION, log);
  const home = mkdtempSync(join(tmpdir(), 'esalert-helm-'));
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  return {
    run: (args) =>
      exec(bin, args, { env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (err: { code?: number; stdout?: string; stderr?: string; message: string }) => {
          if (typeof err.code !== 'number') throw err;
          return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
        },
      ),
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}
