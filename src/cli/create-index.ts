/** `esalert create-index`: the writeback indices, as elastalert-create-index makes them. */
import type { Command } from 'commander';
import { createIndices } from '../app/create-index.ts';
import type { EnvLookup } from '../config/interpolate.ts';

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
      try {
        await createIndices(o, { env, out: (line) => process.stdout.write(`${line}\n`) });
      } catch (err) {
        fail(err);
      }
    });
}
