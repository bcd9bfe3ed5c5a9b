/** The esalert command line as a child process, as a user runs it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');

export interface CliRun {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** stdout and stderr interleaved. */
  output(): string;
  stdout(): string;
}

/** `main`: the entry point (default the TypeScript sources; dist/cli/main.js for the built package). */
export function runCli(args: string[], options: { cwd?: string; main?: string } = {}): CliRun {
  // The host's ES_* variables would override the test's config.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ES_')));
  const child = spawn(process.execPath, [options.main ?? join(ROOT, 'src/cli/main.ts'), ...args], {
    env,
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out, stdout: () => stdout };
}
