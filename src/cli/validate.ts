/** `esalert validate [PATH...]`: check rule files without running them. */
import { type Command, Option } from 'commander';
import { pino } from 'pino';
import { formatSummary } from '../app/migration-summary.ts';
import { asWarning, validateRules } from '../app/validate.ts';
import type { EnvLookup } from '../config/interpolate.ts';

export function validateCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  program
    .command('validate')
    .argument('[paths...]', 'rule files or folders (default: rules_folder from the config)')
    .description(
      'Check rule files (schema, query strings, regular expressions, templates, alerter options) without Elasticsearch; exit 1 on any error',
    )
    .option('--config <file>', 'global config file (default: ./config.yaml if present)')
    .option('--strict', 'warnings (unknown options, unsupported features) fail too')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .action((paths: string[], o: { config?: string; strict?: boolean; format: string }) => {
      try {
        const report = validateRules(
          { paths, ...(o.config ? { config: o.config } : {}) },
          {
            env,
            logger: pino({ level: 'silent' }),
          },
        );
        const failed = report.errors.length > 0 || (o.strict === true && report.warnings.length > 0);
        if (o.format === 'json') {
          process.stdout.write(`${JSON.stringify({ ok: !failed, ...report }, null, 2)}\n`);
        } else {
          for (const e of report.errors) process.stdout.write(`${e.message}\n`);
          for (const w of report.warnings) process.stdout.write(`${asWarning(w)}\n`);
          // several files (a rules folder being brought over): how it went, by reason and option
          if (report.files > 1) process.stdout.write(`${formatSummary(report.summary).join('\n')}\n`);
          const bad = new Set(report.errors.map((e) => e.file)).size;
          process.stdout.write(
            `${report.files} rule file(s): ${report.rules.length} valid, ${bad} invalid, ${report.warnings.length} warning(s)\n`,
          );
        }
        process.exitCode = failed ? 1 : 0;
      } catch (err) {
        fail(err);
      }
    });
}
