/** `esalert test PATH...`: rule unit tests (test files, or folders holding *.test.yaml files). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import type { CaseResult } from '../app/rule-tests.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import { errorMessage } from '../errors/esalert-error.ts';

const isTestFile = (name: string) => /[._-]test\.ya?ml$/.test(name);

/** The test files under the paths: files as given, folders searched for *.test.yaml (and *_test.yaml). */
export function findTestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (isTestFile(e.name)) out.push(p);
    }
  };
  for (const p of paths) {
    if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

export function testCommand(program: Command, env: EnvLookup): void {
  program
    .command('test')
    .argument('<paths...>', 'rule test files, or folders with *.test.yaml files')
    .description('Run rule unit tests: events in, expected alerts out, no Elasticsearch needed')
    .option('--json', 'print the results as JSON')
    .action(async (paths: string[], o: { json?: boolean }) => {
      // loaded here: the in-memory search backend is not part of `esalert run`'s footprint
      const { runTestFile } = await import('../app/rule-tests.ts');
      const logger = pino({ level: 'silent' });
      const results: CaseResult[] = [];
      const broken: { file: string; error: string }[] = [];
      const files = findTestFiles(paths);
      const say = (line: string) => {
        if (!o.json) process.stdout.write(`${line}\n`);
      };
      for (const file of files) {
        say(file);
        try {
          const rs = await runTestFile(file, { env, logger });
          for (const r of rs) {
            say(`  ${r.passed ? '✓' : '✗'} ${r.name}${r.passed ? '' : `  (${file}:${r.line})`}`);
            for (const f of r.failures) say(f.replace(/^/gm, '      '));
          }
          results.push(...rs);
        } catch (err) {
          broken.push({ file, error: errorMessage(err) });
          say(`  ✗ ${errorMessage(err).replace(/\n/g, '\n    ')}`);
        }
      }
      const failed = results.filter((r) => !r.passed).length;
      if (o.json) process.stdout.write(`${JSON.stringify({ results, broken }, null, 2)}\n`);
      else {
        say(
          `\n${results.length} test(s): ${results.length - failed} passed, ${failed} failed${broken.length ? `; ${broken.length} file(s) could not be run` : ''}`,
        );
        if (files.length === 0) say('no test files found (they are named *.test.yaml)');
      }
      process.exitCode = failed || broken.length || files.length === 0 ? 1 : 0;
    });
}
