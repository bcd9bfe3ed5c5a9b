/** `esalert silence set|list|lift`, and ElastAlert 2's `run --silence UNIT=N --rule X`. */
import type { Command } from 'commander';
import {
  findRule,
  liftSilences,
  listSilences,
  openSilences,
  silenceRule,
  silenceTools,
} from '../app/silence.ts';
import type { EnvLookup } from '../config/interpolate.ts';

type Out = (line: string) => void;

export function silenceCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  const out: Out = (line) => process.stdout.write(`${line}\n`);
  const deps = () => silenceTools(env);
  const silence = program
    .command('silence')
    .description(
      'Hold back alerts of a rule (or of one query_key value) for a while; list and lift silences',
    );

  silence
    .command('set')
    .argument('<rule>', 'rule name or rule file')
    .argument('<duration>', 'how long: 4h, 30m, 1h30m, 2d, 1w (or hours=4)')
    .option('--config <file>', 'global config file (default: ./config.yaml if present)')
    .option('--key <value>', 'silence only matches whose query_key has this value')
    .action(async (rule: string, duration: string, o: { config?: string; key?: string }) => {
      try {
        await silenceRule({ ...o, rule, duration }, env, out);
      } catch (err) {
        fail(err);
      }
    });

  silence
    .command('list')
    .argument('[rule]', 'only this rule (name or file)')
    .option('--config <file>', 'global config file (default: ./config.yaml if present)')
    .option('--all', 'include silences that have ended')
    .option('--json', 'JSON output')
    .action(async (rule: string | undefined, o: { config?: string; all?: boolean; json?: boolean }) => {
      try {
        const d = deps();
        const ctx = await openSilences(o.config, d);
        try {
          const r = rule ? findRule(rule, ctx.config, d, o.config) : undefined;
          const list = await listSilences(ctx, d.clock.now(), {
            ...(r ? { rule: r } : {}),
            all: Boolean(o.all),
          });
          if (o.json) return out(JSON.stringify(list, null, 2));
          if (!list.length) return out(o.all ? 'No silences.' : 'No silences in force.');
          const w = Math.max(3, ...list.map((s) => s.key.length));
          out(`${'KEY'.padEnd(w)}  ${'UNTIL'.padEnd(24)}  ID`);
          for (const s of list) out(`${s.key.padEnd(w)}  ${s.until.padEnd(24)}  ${s.id}`);
        } finally {
          await ctx.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  silence
    .command('lift')
    .argument('<target>', 'a silence id (from `silence list`), or a rule name or file')
    .option('--config <file>', 'global config file (default: ./config.yaml if present)')
    .option('--key <value>', 'with a rule: lift only the silence of this query_key value')
    .action(async (target: string, o: { config?: string; key?: string }) => {
      try {
        const d = deps();
        const ctx = await openSilences(o.config, d);
        try {
          let lifted: string[];
          const byId = await liftSilences(ctx, d.clock.now(), { id: target }).catch(() => []);
          if (byId.length) lifted = byId;
          else {
            const rule = findRule(target, ctx.config, d, o.config);
            lifted = await liftSilences(ctx, d.clock.now(), {
              rule,
              ...(o.key !== undefined ? { queryKeyValue: o.key } : {}),
            });
          }
          out(
            lifted.length
              ? `Lifted ${lifted.length} silence(s).`
              : 'Nothing to lift: no silence in force matches.',
          );
          process.exitCode = lifted.length ? 0 : 1;
        } finally {
          await ctx.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
