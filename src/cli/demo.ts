/** `esalert demo`: the example rules over the shipped example events, offline. */
import type { Command } from 'commander';
import { pino } from 'pino';
import type { EnvLookup } from '../config/interpolate.ts';

export function demoCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  program
    .command('demo')
    .description('Run the example rules over a simulated day of Kubernetes events: no Elasticsearch needed')
    .option('--rules <dir>', 'rules folder (default: the example rules shipped in rules/)')
    .option('--data <file>', 'events file (default: examples/k8s-events.ndjson.gz)')
    .action(async (o: { rules?: string; data?: string }) => {
      try {
        // loaded here: the in-memory search backend is not part of `esalert run`'s footprint
        const { runDemo } = await import('../app/demo.ts');
        const r = await runDemo(o, {
          env,
          logger: pino({ level: 'silent' }),
          out: (line) => process.stdout.write(`${line}\n`),
        });
        process.exitCode = r.errors ? 2 : 0;
      } catch (err) {
        fail(err);
      }
    });
}
