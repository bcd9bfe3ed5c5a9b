/** `esalert test-rule RULE`: elastalert-test-rule's flags, plus --data and --explain. */
import { type Command, InvalidArgumentError } from 'commander';
import type { TestRuleOptions } from '../app/test-rule.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { BackfillProgress, progressLine } from './progress.ts';

const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${flag} needs a whole number above 0`);
  return n;
};
const positiveNumber = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} needs a number above 0`);
  return n;
};

export function testRuleCommand(program: Command, env: EnvLookup, fail: (err: unknown) => never): void {
  program
    .command('test-rule')
    .argument('<rule>', 'the rule file to test')
    .description(
      'Dry-run one rule against Elasticsearch (or a file of events with --data): hits, matches, what each match would send and why',
    )
    .option(
      '--config <file>',
      'global config file (default: ./config.yaml if present, else built-in defaults)',
    )
    .option(
      '--days <n>',
      "query the last N days (default: the rule's timeframe, else 1 day)",
      positiveNumber('--days'),
    )
    .option('--start <ts>', 'start of the window (ISO 8601 or NOW)')
    .option('--end <ts>', 'end of the window (ISO 8601 or NOW)')
    .option('--schema-only', 'only check that the rule file loads')
    .option('--count-only', 'only count the hits and list the fields of the first one')
    .option('--alert', 'really send the alerts (default: print them)')
    .option('--formatted-output', 'print one JSON document instead of text')
    .option('--max-query-size <n>', 'documents to save with --save-json', positiveInt('--max-query-size'))
    .option('--save-json <file>', 'save the hits to this file (usable with --data)')
    .option('--data <file>', 'evaluate over this JSON/NDJSON file of documents instead of Elasticsearch')
    .option(
      '--stop-error',
      'exit 2 on a query error, 3 on an invalid filter, 4 on documents without the timestamp field',
    )
    .option('--explain', "print each query sent and every match's fate")
    .action(async (rule: string, o: Omit<TestRuleOptions, 'rule'>) => {
      const line = process.stderr.isTTY && !o.formattedOutput ? progressLine(process.stderr) : undefined;
      const meter = new BackfillProgress();
      try {
        // loaded here: the in-memory search backend is not part of `esalert run`'s footprint
        const { runTestRule } = await import('../app/test-rule.ts');
        const code = await runTestRule(
          { ...o, rule },
          {
            env,
            out: (text) => process.stdout.write(`${text}\n`),
            ...(line
              ? {
                  progress: (p: {
                    segmentsDone: number;
                    segmentsTotal: number;
                    hits: number;
                    to: string;
                  }) => {
                    meter.segment(rule, p);
                    line.update(`${meter.text()}, up to ${p.to}`);
                  },
                }
              : {}),
          },
        );
        line?.clear();
        process.exitCode = code;
      } catch (err) {
        fail(err);
      }
    });
}
