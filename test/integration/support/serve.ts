/** `esalert run --http-port 0` as a child process, until its console answers. */
import { type CliRun, runCli } from './cli.ts';

export interface Served {
  url: string;
  run: CliRun;
  stop(): Promise<void>;
}

export async function serve(
  config: string,
  extra: string[] = [],
  o: { timeoutMs?: number; cwd?: string; main?: string } = {},
): Promise<Served> {
  const timeoutMs = o.timeoutMs ?? 90_000;
  const run = runCli(
    [
      'run',
      '--config',
      config,
      '--http-port',
      '0',
      '--http-host',
      '127.0.0.1',
      '--log-level',
      'info',
      ...extra,
    ],
    { ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.main ? { main: o.main } : {}) },
  );
  const stop = async () => {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      run.child.kill('SIGTERM');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
      await run.exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (run.child.exitCode !== null)
        throw new Error(`esalert exited (${run.child.exitCode}):\n${run.output()}`);
      const url = /serving \/metrics.* on (http:\/\/[\d.]+:\d+)/.exec(run.output())?.[1];
      if (url) {
        const ready = await fetch(`${url}/api/session`).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) return { url, run, stop };
      }
      if (Date.now() > deadline)
        throw new Error(`esalert did not serve its console in time:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
}
