/** `esalert status`: the replicas sharing a writeback index, their heartbeats and shares of the rules. */
import { type ClusterStatus, clusterStatus } from '../cluster/cluster-status.ts';

export { formatClusterStatus } from '../cluster/cluster-status.ts';
import { loadGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { createEsLeaseStore } from '../state/es-lease-store.ts';
import { connectWithRetry } from './connect.ts';
import { createLogger, SecretRegistry } from './logger.ts';

export async function readClusterStatus(
  o: { config: string },
  deps: { env: EnvLookup; now(): number },
): Promise<ClusterStatus> {
  const secrets = new SecretRegistry();
  const logger = createLogger({ level: 'warn', format: 'text' }, secrets);
  const config = loadGlobalConfig(o.config, { env: deps.env });
  const conn = await connectWithRetry(
    config.raw,
    { env: deps.env, logger, secrets },
    AbortSignal.timeout(30_000),
  );
  try {
    const store = createEsLeaseStore(conn.client, config.writebackIndex);
    const [members, leases] = await Promise.all([store.listMembers(), store.listLeases()]);
    return clusterStatus(
      members.map((m) => m.doc),
      leases.map((l) => l.doc),
      deps.now(),
      config.replicas.leaseMs,
    );
  } finally {
    await conn.close();
  }
}
