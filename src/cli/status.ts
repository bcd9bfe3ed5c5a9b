/** `esalert status`: the replicas sharing the writeback index and the rules each holds. */
import type { Command } from 'commander';
import { formatClusterStatus, readClusterStatus } from '../app/cluster-status.ts';
import type { EnvLookup } from '../config/interpolate.ts';

export function statusCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  program
    .command('status')
    .description('List the instances sharing the writeback index (replicas) and the rules each runs')
    .option('--config <file>', 'global config file', 'config.yaml')
    .option('--json', 'print JSON')
    .action(async (o: { config: string; json?: boolean }) => {
      try {
        const s = await readClusterStatus(o, { env, now: Date.now });
        process.stdout.write(
          o.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatClusterStatus(s).join('\n')}\n`,
        );
      } catch (err) {
        fail(err);
      }
    });
}
