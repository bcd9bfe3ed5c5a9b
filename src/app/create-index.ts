/** `esalert create-index`: the writeback indices, as elastalert-create-index makes them. */
import { loadGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { createEsWriteback, WRITEBACK_KINDS } from '../state/es-writeback.ts';
import { writebackIndex } from '../state/writeback.ts';
import { connectWithRetry } from './connect.ts';
import { createLogger, SecretRegistry } from './logger.ts';

export interface CreateIndexOptions {
  config: string;
  /** The writeback index base name (default: writeback_index from the config). */
  index?: string;
  /** Delete and create the indices again (their documents are lost). */
  recreate?: boolean;
}

export async function createIndices(
  o: CreateIndexOptions,
  deps: { env: EnvLookup; out(line: string): void },
): Promise<void> {
  const secrets = new SecretRegistry();
  const logger = createLogger({ level: 'info', format: 'text' }, secrets);
  const config = loadGlobalConfig(o.config, { env: deps.env });
  const base = o.index ?? config.writebackIndex;
  const conn = await connectWithRetry(
    config.raw,
    { env: deps.env, logger, secrets },
    AbortSignal.timeout(60_000),
  );
  try {
    const names = WRITEBACK_KINDS.map((k) => writebackIndex(base, k));
    if (!o.recreate && (await conn.client.indices.exists({ index: base }))) {
      deps.out(`Index ${base} already exists. Skipping index creation.`);
      return;
    }
    if (o.recreate) await conn.client.indices.delete({ index: names.join(','), ignore_unavailable: true });
    await createEsWriteback(conn.client, base).ensureIndices();
    deps.out(`New indices created: ${names.join(', ')}`);
  } finally {
    await conn.close();
  }
}
