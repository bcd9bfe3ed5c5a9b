/** `esalert create-index`: the writeback indices, as elastalert-create-index makes them. */
import type { Command } from 'commander';
import { connectWithRetry } from '../app/app.ts';
import { systemClock } from '../model/clock.ts';
import { createLogger, SecretRegistry } from '../app/logger.ts';
import { loadGlobalConfig } from '../config/global-config.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { createEsWriteback, WRITEBACK_KINDS } from '../state/es-writeback.ts';
import { writebackIndex } from '../state/writeback.ts';

export function createIndexCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  program
    .command('create-index')
    .description(
      'Create the writeback indices (<index>, _status, _silence, _error, _past) with their mappings',
    )
    .option('--config <file>', 'global config file', 'config.yaml')
    .option('--index <name>', 'writeback index base name (default: writeback_index from the config)')
    .option('--recreate', 'delete and create the indices again (their documents are lost)')
    .action(async (o: { config: string; index?: string; recreate?: boolean }) => {
      const secrets = new SecretRegistry();
      const logger = createLogger({ level: 'info', format: 'text' }, secrets);
      try {
        const config = loadGlobalConfig(o.config, { env });
        const base = o.index ?? config.writebackIndex;
        const conn = await connectWithRetry(
          config.raw,
          { env, clock: systemClock, logger, secrets },
          AbortSignal.timeout(60_000),
        );
        try {
          const names = WRITEBACK_KINDS.map((k) => writebackIndex(base, k));
          if (!o.recreate && (await conn.client.indices.exists({ index: base }))) {
            process.stdout.write(`Index ${base} already exists. Skipping index creation.\n`);
            return;
          }
          if (o.recreate)
            await conn.client.indices.delete({ index: names.join(','), ignore_unavailable: true });
          await createEsWriteback(conn.client, base).ensureIndices();
          process.stdout.write(`New indices created: ${names.join(', ')}\n`);
        } finally {
          await conn.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
