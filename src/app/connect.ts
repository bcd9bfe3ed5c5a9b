/**
 * Connections to Elasticsearch: one per set of connection keys (config.yaml's, or a rule's own),
 * shared by every rule that uses it, each retried with backoff while Elasticsearch is
 * unreachable (it may start after us).
 */
import type { Logger } from 'pino';
import {
  connectionSecrets,
  ES_CONNECTION_KEYS,
  type EsConnectionKeys,
  resolveEsConnection,
} from '../config/es-connection.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { EsalertError } from '../errors/esalert-error.ts';
import { connectElasticsearch, describeServer, type EsConnection } from '../query/es-client.ts';
import type { SecretRegistry } from './logger.ts';

export interface ConnectDeps {
  env: EnvLookup;
  logger: Logger;
  secrets: SecretRegistry;
  /** Give up when Elasticsearch has not answered for this long (one-shot runs); default: never. */
  giveUpAfterMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * Connects, retrying with backoff while Elasticsearch is unreachable (it may start after us), for
 * at most `deps.giveUpAfterMs` when that is set.
 */
export async function connectWithRetry(
  keys: EsConnectionKeys,
  deps: ConnectDeps,
  signal: AbortSignal,
): Promise<EsConnection> {
  const options = resolveEsConnection(keys, deps.env);
  deps.secrets.add(...connectionSecrets(options));
  const deadline = performance.now() + (deps.giveUpAfterMs ?? Infinity);
  for (let attempt = 0; ; attempt++) {
    try {
      const conn = await connectElasticsearch(options, { signal });
      deps.logger.info(
        {
          version: conn.server.version,
          distribution: conn.server.distribution,
          detected: conn.detected,
          nodes: options.nodes.length,
        },
        `connected to ${describeServer(conn.server)}${conn.detected === 'override' ? ' (as ES_VERSION says)' : ''}`,
      );
      return conn;
    } catch (err) {
      if (!(err instanceof EsalertError) || err.code !== 'ES_UNREACHABLE' || signal.aborted) throw err;
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new EsalertError(
          'ES_UNREACHABLE',
          `Elasticsearch did not answer for ${Math.round(deps.giveUpAfterMs! / 1000)} s, giving up (--es-wait sets how long): ${err.message}`,
          { cause: err },
        );
      }
      const wait = Math.min(30_000, 1000 * 2 ** attempt, Math.ceil(left));
      deps.logger.warn({ err: err.message, retryInMs: wait }, 'Elasticsearch is unreachable; retrying');
      await sleep(wait, signal);
      if (signal.aborted) throw err;
    }
  }
}

/** The connection keys of a rule or config.yaml, and an id that is the same for the same keys. */
function connectionKeyOf(raw: EsConnectionKeys | Record<string, unknown>): {
  id: string;
  keys: EsConnectionKeys;
} {
  const keys: Record<string, unknown> = {};
  for (const k of ES_CONNECTION_KEYS)
    if ((raw as Record<string, unknown>)[k] !== undefined) keys[k] = (raw as Record<string, unknown>)[k];
  return { id: JSON.stringify(keys), keys: keys as EsConnectionKeys };
}

export interface ConnectionPool {
  /** The connection for these keys, made on first use. */
  connect(keys: EsConnectionKeys | Record<string, unknown>): Promise<EsConnection>;
  /** Stops connecting and closes every connection. */
  close(): Promise<void>;
}

export function createConnectionPool(deps: ConnectDeps): ConnectionPool {
  const lifetime = new AbortController();
  const connections = new Map<string, Promise<EsConnection>>();
  return {
    connect(raw) {
      const { id, keys } = connectionKeyOf(raw);
      let c = connections.get(id);
      if (!c) {
        c = connectWithRetry(keys, deps, lifetime.signal);
        connections.set(id, c);
      }
      return c;
    },
    async close() {
      lifetime.abort();
      for (const c of connections.values()) await (await c.catch(() => undefined))?.close();
    },
  };
}
