/** Watching `esalert run` from outside, as an operator does: its HTTP endpoints and its metrics. */
import { type CliRun, runCli } from './cli.ts';

/** How long a condition may take to become true: a limit against a hang, generous for a loaded machine. */
export const PATIENCE_MS = 90_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns something other than undefined or false. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = PATIENCE_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The value of one Prometheus series, e.g. metric(text, 'esalert_rule_runs_total', {rule: 'a', result: 'ok'}). */
export function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    const have = inner.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export interface Served {
  run: CliRun;
  /** Where /metrics, /healthz, /readyz and /api/rules are served. */
  url: string;
}

/**
 * Starts `esalert run --config CONFIG --http-port 0 --verbose ...extra` and waits for its HTTP
 * server. `cleanup` gets a step that kills the process if the test left it running.
 */
export async function serve(config: string, extra: string[], cleanup: (() => unknown)[]): Promise<Served> {
  const run = runCli(['run', '--config', config, '--http-port', '0', '--verbose', ...extra]);
  cleanup.push(async () => {
    if (run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });
  const url = await until('the HTTP server', async () => {
    if (run.child.exitCode !== null) throw new Error(`esalert exited: ${run.output()}`);
    return /serving \/metrics.* on (http:\/\/[\d.]+:\d+)/.exec(run.output())?.[1];
  });
  return { run, url };
}

export const getJson = async <T>(url: string) => (await (await fetch(url)).json()) as T;
