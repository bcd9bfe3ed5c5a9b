/**
 * `esalert run` as a service: the logger (scrubbing every secret it learns), the HTTP server
 * for metrics, health, the console and its API (over app/console's ConsoleSource), and the app, started and stopped in order. It runs until
 * a backfill is done or `stop` aborts (SIGTERM, SIGINT); the command line turns the result into
 * an exit code.
 */
import type { Undelivered } from '../alerts/pipeline.ts';
import { httpAuthSecrets } from '../config/http-auth.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import type { HttpServer } from '../http/server.ts';
import { type Clock, systemClock } from '../model/clock.ts';
import type { BackfillProgress } from '../scheduler/rule-job.ts';
import { type App, type RunOptions, startApp } from './app.ts';
import { createConsoleSource } from './console/console-source.ts';
import { createLogger, type LogFormat, type LogLevel, SecretRegistry } from './logger.ts';

export interface ServiceOptions extends Omit<RunOptions, 'progress'> {
  log: { level: LogLevel; format: LogFormat };
  /** Serve the console (/), its API (/api/), /metrics, /healthz and /readyz. */
  http?: { port: number; host: string };
  /** Progress of a backfill, and what to show when it is done. */
  progress?: BackfillProgress & { done(): void };
}

export type ServiceResult =
  /** Stopped by `stop`. */
  | { stopped: true }
  /**
   * A backfill (--end, --data) covered its window; `failedRules` files did not load, and
   * `undelivered` alerts did not reach every alerter (they stay unsent in the writeback).
   */
  | { stopped: false; failedRules: number; undelivered: Undelivered[] };

export async function runService(
  o: ServiceOptions,
  deps: { env: EnvLookup; clock?: Clock },
  stop: AbortSignal,
): Promise<ServiceResult> {
  const secrets = new SecretRegistry();
  const logger = createLogger(o.log, secrets);
  // prom-client and the HTTP server load only when metrics are served (about 20 MB of RSS)
  const observability = o.http ? new (await import('../http/observability.ts')).Observability() : undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    const onStop = () => {
      logger.warn({ signal: stop.reason }, 'stopping: finishing running queries and sending due alerts');
      if (observability) observability.phase = 'stopping';
      resolve('stopped');
    };
    if (stop.aborted) onStop();
    else stop.addEventListener('abort', onStop, { once: true });
  });
  let server: HttpServer | undefined;
  try {
    if (observability && o.http) {
      const { startHttpServer } = await import('../http/server.ts');
      server = await startHttpServer(observability, o.http.port, o.http.host);
      logger.info(
        { url: server.url },
        `serving /metrics, /healthz, /readyz, /api/rules and the console on ${server.url}`,
      );
    }
    const { log: _log, http: _http, progress, ...run } = o;
    const started: App | 'stopped' = await Promise.race([
      startApp(
        { ...run, ...(progress ? { progress } : {}) },
        {
          env: deps.env,
          clock: deps.clock ?? systemClock,
          logger,
          secrets,
          ...(observability ? { observability } : {}),
        },
      ),
      stopped,
    ]);
    if (started === 'stopped') {
      await server?.close();
      return { stopped: true };
    }
    const app = started;
    if (server && observability) {
      secrets.add(...httpAuthSecrets(app.config.httpAuth));
      server.attachConsole({
        source: createConsoleSource(app, {
          observability,
          clock: deps.clock ?? systemClock,
          logger,
          secrets,
        }),
        auth: app.config.httpAuth,
      });
    }
    const ended = await Promise.race([app.finished.then(() => 'finished' as const), stopped]);
    if (ended === 'finished') progress?.done();
    await app.stop();
    await server?.close();
    return ended === 'stopped'
      ? { stopped: true }
      : { stopped: false, failedRules: app.loaded.errors.length, undelivered: app.undelivered() };
  } catch (err) {
    logger.flush?.();
    throw err;
  }
}
