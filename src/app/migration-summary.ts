/**
 * What `esalert validate` says about a folder of rules brought over from ElastAlert 2: how many
 * files load, load with warnings, or are refused, why, and which options esalert ignores, each
 * with the number of files that use it.
 */
import type { IgnoredOptions } from '../rules/ignored-options.ts';

export type FileStatus = 'loads' | 'warnings' | 'refused';

export interface FileResult {
  file: string;
  status: FileStatus;
  /** The errors of a refused file, the warnings of one that loads with warnings. */
  messages: string[];
  ignored: IgnoredOptions;
}

export interface Tally {
  /** A reason, or an option name. */
  name: string;
  files: string[];
}

export interface MigrationSummary {
  files: number;
  loads: number;
  loadsWithWarnings: number;
  refused: number;
  /** Why files were refused, most common first. */
  refusals: Tally[];
  /** What the warnings of files that load say (ignored options are counted below), most common first. */
  warnings: Tally[];
  /** ElastAlert 2 options esalert does not support yet. */
  unsupportedOptions: Tally[];
  /** Options neither ElastAlert 2 nor esalert knows. */
  unknownOptions: Tally[];
}

const IGNORED_OPTION =
  /^(?:option "[^"]+" is not supported by esalert yet and|unknown option "[^"]+") is ignored/;

/** A message without its location and hints, with line numbers generalized, so equal reasons group. */
export function reasonOf(message: string): string {
  return message
    .replace(/^.*?:\d+(?::\d+)?: /, '')
    .replace(/\blines? \d+/g, 'line N')
    .replace(/; (?:did you mean|available:).*$/s, '');
}

function tally(entries: Iterable<[name: string, file: string]>): Tally[] {
  const byName = new Map<string, Set<string>>();
  for (const [name, file] of entries) {
    let files = byName.get(name);
    if (!files) byName.set(name, (files = new Set()));
    files.add(file);
  }
  return [...byName]
    .map(([name, files]) => ({ name, files: [...files] }))
    .sort((a, b) => b.files.length - a.files.length || (a.name < b.name ? -1 : 1));
}

export function summarize(results: readonly FileResult[]): MigrationSummary {
  const count = (status: FileStatus) => results.filter((r) => r.status === status).length;
  const refused = results.filter((r) => r.status === 'refused');
  const warned = results.filter((r) => r.status === 'warnings');
  return {
    files: results.length,
    loads: count('loads'),
    loadsWithWarnings: count('warnings'),
    refused: refused.length,
    refusals: tally(refused.map((r) => [reasonOf(r.messages[0] ?? 'refused'), r.file])),
    warnings: tally(
      warned.flatMap((r) =>
        r.messages
          .map(reasonOf)
          .filter((m) => !IGNORED_OPTION.test(m))
          .map((m): [string, string] => [m, r.file]),
      ),
    ),
    unsupportedOptions: tally(
      results.flatMap((r) => r.ignored.unsupported.map((o): [string, string] => [o, r.file])),
    ),
    unknownOptions: tally(
      results.flatMap((r) => r.ignored.unknown.map((o): [string, string] => [o, r.file])),
    ),
  };
}

const FILES_SHOWN = 3;

function tallyLines(tallies: readonly Tally[], indent: string, withFiles: boolean): string[] {
  return tallies.map((t) => {
    const shown = t.files.slice(0, FILES_SHOWN).join(', ');
    const more = t.files.length > FILES_SHOWN ? ` and ${t.files.length - FILES_SHOWN} more` : '';
    return `${indent}${String(t.files.length).padStart(4)}  ${t.name}${withFiles ? ` (${shown}${more})` : ''}`;
  });
}

/** The summary as text, one fact per line. */
export function formatSummary(s: MigrationSummary): string[] {
  const lines = [
    `Migration summary: ${s.files} rule file(s)`,
    `  ${s.loads} load`,
    `  ${s.loadsWithWarnings} load with warnings${s.warnings.length ? ', saying (files):' : ''}`,
    ...tallyLines(s.warnings, '    ', true),
    `  ${s.refused} refused${s.refusals.length ? ', because (files):' : ''}`,
    ...tallyLines(s.refusals, '    ', true),
  ];
  if (s.unsupportedOptions.length)
    lines.push(
      '  ElastAlert 2 options esalert does not support yet, ignored (files using them):',
      ...tallyLines(s.unsupportedOptions, '    ', false),
    );
  if (s.unknownOptions.length)
    lines.push(
      '  Unknown options, ignored (files using them):',
      ...tallyLines(s.unknownOptions, '    ', false),
    );
  return lines;
}
