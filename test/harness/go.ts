/**
 * Go tools for the tests, from the Go module proxy through the machine's Go toolchain, which checks
 * every module it downloads against the Go checksum database (sum.golang.org): Helm is built once
 * into the test cache (test/harness/helm.ts), and the Prometheus Operator's CRDs are read from its
 * module (test/unit/deploy/kubernetes-schemas.ts).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './cache.ts';

const exec = promisify(execFile);

/** The Go toolchain: `go` on PATH, or where the official archive and Debian put it. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const candidates = [
    ...(env.PATH ?? '').split(delimiter).map((d) => join(d, 'go')),
    ...(env.GOROOT ? [join(env.GOROOT, 'bin', 'go')] : []),
    '/usr/local/go/bin/go',
    '/usr/lib/go/bin/go',
  ];
  return candidates.find(
    (go) => existsSync(go) && spawnSync(go, ['version'], { stdio: 'ignore', timeout: 60_000 }).status === 0,
  );
}

const tail = (text: string) => text.trim().split('\n').slice(-20).join('\n');

async function runGo(args: string[], env: Record<string, string> = {}): Promise<string> {
  const go = findGo();
  if (!go) throw new Error(`go ${args[0]}: no Go toolchain on this machine (Debian: apt-get install golang)`);
  const scratch = mkdtempSync(join(cacheDir(), 'go-run-'));
  try {
    // outside any Go module, so that only the arguments decide what is built or downloaded
    const { stdout } = await exec(go, args, {
      cwd: scratch,
      env: { ...process.env, ...env },
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`go ${args.join(' ')} failed: ${tail(e.stderr || e.message)}`, { cause: err });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Where `goInstall` keeps a command: `<cache>/<name>-<version>/<name>`. */
export function goBinaryPath(pkg: string, version: string): string {
  const name = pkg.split('/').at(-1)!;
  return join(cacheDir(), `${name}-${version}`, name);
}

/**
 * `go install pkg@version` into the test cache, once: later runs, and runs beside this one, use the
 * cached binary (each build goes to a directory of its own and is renamed into place).
 */
export async function goInstall(pkg: string, version: string, log: (msg: string) => void): Promise<string> {
  const bin = goBinaryPath(pkg, version);
  if (existsSync(bin)) return bin;
  const dir = join(bin, '..');
  const gobin = mkdtempSync(`${dir}.part-`);
  try {
    log(`building ${pkg}@${version} from the Go module proxy (once; kept in ${dir})`);
    const started = performance.now();
    await runGo(['install', `${pkg}@${version}`], { GOBIN: gobin, CGO_ENABLED: '0' });
    mkdirSync(dir, { recursive: true });
    renameSync(join(gobin, bin.split('/').at(-1)!), bin);
    log(`built ${bin} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmSync(gobin, { recursive: true, force: true });
  }
  return bin;
}

/** The directory of a Go module's source (`go mod download`; read-only, in Go's module cache). */
export async function goModuleDir(module: string, version: string): Promise<string> {
  const out = await runGo(['mod', 'download', '-json', `${module}@${version}`]);
  const info = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}
