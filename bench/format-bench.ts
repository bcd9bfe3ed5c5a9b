/**
 * Formatting untrusted text: how long summary tables, alert bodies and text wrapping take for
 * one 300 KB token (no spaces), the shape that used to take 85 s to wrap.
 *
 *   node bench/format-bench.ts [--kb 300] [--repeat 5]
 *
 * Prints a markdown table (and writes it to bench/results/format.md): the best of --repeat runs
 * for each case, in milliseconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { alertBody } from '../src/format/alert-text.ts';
import { summaryTable, wrapText } from '../src/format/summary-table.ts';

const { values } = parseArgs({
  options: { kb: { type: 'string', default: '300' }, repeat: { type: 'string', default: '5' } },
});
const size = Number(values.kb) * 1000;
const repeat = Number(values.repeat);

const token = 'x'.repeat(size);
const hyphens = 'ab-'.repeat(Math.ceil(size / 3)).slice(0, size);
const cases: [string, () => unknown][] = [
  ['summary table, ascii (cell capped)', () => summaryTable({ summary_table_fields: ['m'] }, [{ m: token }])],
  [
    'summary table, markdown',
    () => summaryTable({ summary_table_fields: ['m'], summary_table_type: 'markdown' }, [{ m: token }]),
  ],
  [
    'summary table, html',
    () => summaryTable({ summary_table_fields: ['m'], summary_table_type: 'html' }, [{ m: token }]),
  ],
  [
    'alert body (field capped)',
    () => alertBody({ raw: { name: 'r' }, name: 'r', matchText: () => '' }, [{ m: token }]),
  ],
  ['wrapText, one token, uncapped', () => wrapText(token, 37)],
  ['wrapText, hyphenated token, uncapped', () => wrapText(hyphens, 37)],
];

const rows: string[] = [];
for (const [name, run] of cases) {
  let best = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  rows.push(`| ${name} | ${best.toFixed(1)} |`);
}
const report = [
  `# Formatting a ${values.kb} KB single-token text`,
  '',
  `${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, best of ${repeat} runs.`,
  '',
  '| Case | ms |',
  '|---|---:|',
  ...rows,
  '',
].join('\n');
console.log(report);
const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'format.md'), report);
