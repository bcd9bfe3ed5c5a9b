/**
 * The aggregation summary table (summary_table_fields), in ElastAlert 2's three styles: an ASCII
 * grid (as Python's texttable draws it, 80 columns), markdown, and an HTML table.
 */
import type { Match } from '../model/match.ts';
import { type Doc, lookupField, pythonRepr, pythonStr } from '../model/lookup.ts';

interface Column {
  path: string;
  header: string;
}

function columns(raw: Doc): Column[] {
  const fields = Array.isArray(raw.summary_table_fields)
    ? raw.summary_table_fields
    : [raw.summary_table_fields];
  return fields.map((f) => {
    if (f && typeof f === 'object') {
      const entry = f as { path: string; header?: string };
      return { path: entry.path, header: entry.header ?? entry.path };
    }
    return { path: String(f), header: String(f) };
  });
}

/** Code points whose terminal width is 2 (wcwidth, which texttable measures with): first-last, hex. */
const WIDE =
  '1100-115f,231a-231b,2329-232a,23e9-23ec,23f0,23f3,25fd-25fe,2614-2615,2630-2637,2648-2653,267f,' +
  '268a-268f,2693,26a1,26aa-26ab,26bd-26be,26c4-26c5,26ce,26d4,26ea,26f2-26f3,26f5,26fa,26fd,2705,' +
  '270a-270b,2728,274c,274e,2753-2755,2757,2795-2797,27b0,27bf,2b1b-2b1c,2b50,2b55,2e80-2e99,2e9b-2ef3,' +
  '2f00-2fd5,2ff0-3029,3030-303e,3041-3096,309b-30ff,3105-312f,3131-3163,3165-318e,3190-31e5,31ef-321e,' +
  '3220-3247,3250-a48c,a490-a4c6,a960-a97c,ac00-d7a3,f900-faff,fe10-fe19,fe30-fe52,fe54-fe66,fe68-fe6b,' +
  'ff01-ff60,ffe0-ffe6,16fe0-16fe3,16ff2-16ff6,17000-18cda,18cff-18d20,18d80-18df2,18e00-19191,' +
  '191a0-191d2,1aff0-1aff3,1aff5-1affb,1affd-1affe,1b000-1b128,1b132,1b150-1b152,1b155,1b164-1b168,' +
  '1b170-1b2fb,1d300-1d356,1d360-1d376,1f004,1f0cf,1f18e,1f191-1f19a,1f1ae,1f1e6-1f202,1f210-1f23b,' +
  '1f240-1f248,1f250-1f251,1f260-1f265,1f300-1f320,1f32d-1f335,1f337-1f37c,1f37e-1f393,1f3a0-1f3ca,' +
  '1f3cf-1f3d3,1f3e0-1f3f0,1f3f4,1f3f8-1f43e,1f440,1f442-1f4fc,1f4ff-1f53d,1f54b-1f54e,1f550-1f567,' +
  '1f57a,1f595-1f596,1f5a4,1f5fb-1f64f,1f680-1f6c5,1f6cc,1f6d0-1f6d2,1f6d5-1f6d9,1f6dc-1f6df,' +
  '1f6eb-1f6ec,1f6f4-1f6fc,1f7da,1f7e0-1f7eb,1f7f0,1f90c-1f93a,1f93c-1f945,1f947-1f9ff,1fa70-1fa7c,' +
  '1fa80-1fac6,1fac8,1facc-1fadd,1fadf-1faeb,1faef-1fafa,20000-2fffd,30000-3fffd';
let wideRanges: number[][] | undefined;

/** Marks, controls and format characters take no width; format characters that print are the exceptions. */
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Mc}\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u1160-\u11ff\ud7b0-\ud7ff\u3164\uffa0]/u;
const PRINTED_FORMAT = /[\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}]/u;

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x7f) return cp < 0x20 ? 0 : 1;
  if (ZERO_WIDTH.test(ch) && !PRINTED_FORMAT.test(ch)) return 0;
  wideRanges ??= WIDE.split(',').map((r) => r.split('-').map((h) => parseInt(h, 16)));
  let lo = 0;
  let hi = wideRanges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last = first] = wideRanges[mid]!;
    if (cp < first!) hi = mid - 1;
    else if (cp > last!) lo = mid + 1;
    else return 2;
  }
  return 1;
}

/** Display width, as texttable measures text: CJK and emoji take two columns, combining marks none. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

/** Length in code points (Python's len). */
const cpLength = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};
const cpSlice = (s: string, start: number, end?: number) => Array.from(s).slice(start, end).join('');

/** Python's str.expandtabs(8). */
function expandTabs(text: string): string {
  let out = '';
  let col = 0;
  for (const ch of text) {
    if (ch === '\t') {
      const n = 8 - (col % 8);
      out += ' '.repeat(n);
      col += n;
    } else {
      out += ch;
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
  }
  return out;
}

// Python's textwrap.TextWrapper.wordsep_re, with Python's Unicode \w (letters, numbers, _) and \d.
const WS = '[\\t\\n\\x0b\\x0c\\r ]';
const NWS = '[^\\t\\n\\x0b\\x0c\\r ]';
const W = '[\\p{L}\\p{N}_]';
const LT = '[\\p{L}\\p{Nl}\\p{No}_]';
const WP = '[\\p{L}\\p{N}_!"\'&.,?]';
const WORDSEP = new RegExp(
  `(${WS}+|(?<=${WP})-{2,}(?=${W})|${NWS}+?(?:-(?:(?<=${LT}{2}-)|(?<=${LT}-${LT}-))(?=${LT}-?${LT})|(?=${WS}|$)|(?<=${WP})(?=-{2,}${W})))`,
  'u',
);

/**
 * Python's textwrap.wrap(text, width) with its defaults: tabs expanded, whitespace made spaces,
 * breaks at spaces and after hyphens inside words, words longer than a line cut to fill it.
 * Lengths are in code points, as Python counts them.
 */
export function wrapText(text: string, width: number): string[] {
  const chunks = expandTabs(text)
    .replace(/[\t\n\v\f\r]/g, ' ')
    .split(WORDSEP)
    .filter((c) => c !== '')
    .reverse();
  const blank = (c: string) => c.trim() === '';
  const lines: string[] = [];
  while (chunks.length > 0) {
    const line: string[] = [];
    let len = 0;
    // whitespace starting a line is dropped, except at the very beginning of the text
    if (blank(chunks.at(-1)!) && lines.length > 0) chunks.pop();
    while (chunks.length > 0) {
      const l = cpLength(chunks.at(-1)!);
      if (len + l > width) break;
      line.push(chunks.pop()!);
      len += l;
    }
    if (chunks.length > 0 && cpLength(chunks.at(-1)!) > width) {
      // a chunk longer than any line: as much of it as fits, after its last hyphen if it has one
      const chunk = chunks.at(-1)!;
      const spaceLeft = width < 1 ? 1 : width - len;
      let end = spaceLeft;
      const hyphen = cpSlice(chunk, 0, spaceLeft).lastIndexOf('-');
      if (hyphen > 0 && /[^-]/.test(chunk.slice(0, hyphen))) end = cpLength(chunk.slice(0, hyphen)) + 1;
      line.push(cpSlice(chunk, 0, end));
      chunks[chunks.length - 1] = cpSlice(chunk, end);
    }
    if (line.length > 0 && blank(line.at(-1)!)) line.pop();
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

/** texttable's cell width: the widest line, tabs moving to the next multiple of 8. */
function cellWidth(cell: string): number {
  let widest = 0;
  for (const line of cell.split('\n')) {
    const parts = line.split('\t');
    let w = 0;
    parts.forEach((part, i) => {
      w += displayWidth(part);
      if (i < parts.length - 1) w = (Math.floor(w / 8) + 1) * 8;
    });
    widest = Math.max(widest, w);
  }
  return widest;
}

/** Python texttable as ElastAlert 2 sets it up: a header, text columns, rows left-aligned, headers centred. */
export function asciiTable(header: string[], rows: string[][], maxWidth = 80): string {
  let widths = header.map(cellWidth);
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, cellWidth(c))));
  const deco = 3 * (widths.length - 1) + 4;
  if (widths.reduce((a, b) => a + b, 0) + deco > maxWidth) {
    // too wide: hand out the width one column at a time, round robin
    let available = maxWidth - deco;
    const fitted = widths.map(() => 0);
    for (let i = 0; available > 0; i = (i + 1) % widths.length) {
      if (fitted[i]! < widths[i]!) {
        fitted[i]!++;
        available--;
      }
    }
    widths = fitted;
  }
  const hline = (ch: string) => `+${widths.map((w) => ch.repeat(w + 2)).join('+')}+\n`;
  const drawRow = (cells: string[], isHeader: boolean) => {
    const split = cells.map((c, i) =>
      c.split('\n').flatMap((part) => (part.trim() === '' ? [''] : wrapText(part, widths[i]!))),
    );
    const height = Math.max(...split.map((s) => s.length));
    let out = '';
    for (let l = 0; l < height; l++) {
      out += '| ';
      out += split
        .map((s, i) => {
          const text = s[l] ?? '';
          const fill = widths[i]! - displayWidth(text);
          if (!isHeader) return text + ' '.repeat(Math.max(0, fill));
          const left = Math.trunc(fill / 2);
          const right = Math.trunc(fill / 2 + (((fill % 2) + 2) % 2));
          return ' '.repeat(Math.max(0, left)) + text + ' '.repeat(Math.max(0, right));
        })
        .join(' | ');
      out += ' |\n';
    }
    return out;
  };
  let out = hline('-') + drawRow(header, true) + hline('=');
  rows.forEach((r, i) => {
    out += drawRow(r, false);
    if (i < rows.length - 1) out += hline('-');
  });
  out += hline('-');
  return out.slice(0, -1);
}

/** Python's html.escape (PrettyTable escapes headers and cells with it). */
const escapeHtml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#x27;');

/** PrettyTable's MSWORD_FRIENDLY HTML (as ElastAlert 2 renders summary_table_type: html). */
export function htmlTable(header: string[], rows: string[][]): string {
  const pad = 'padding-left: 1em; padding-right: 1em; text-align: center';
  let out = '<table frame="box" rules="all">\n    <thead>\n        <tr>\n';
  for (const h of header) out += `            <th style="${pad}">${escapeHtml(h)}</th>\n`;
  out += '        </tr>\n    </thead>\n    <tbody>\n';
  for (const r of rows) {
    out += '        <tr>\n';
    for (const c of r)
      out += `            <td style="${pad}; vertical-align: top">${escapeHtml(c).replace(/\n/g, '<br>')}</td>\n`;
    out += '        </tr>\n';
  }
  return `${out}    </tbody>\n</table>`;
}

/** ElastAlert 2's aggregation summary (empty unless summary_table_fields is set). */
export function summaryTable(raw: Doc, matches: readonly Match[]): string {
  if (raw.summary_table_fields === undefined) return '';
  const cols = columns(raw);
  const type = raw.summary_table_type ?? 'ascii';
  let text = typeof raw.summary_prefix === 'string' ? raw.summary_prefix : '';
  if (text !== '') text += '\n';
  const paths = [...cols.map((c) => c.path), 'count'];
  const headers = [...cols.map((c) => c.header), 'count'];
  text += `Aggregation resulted in the following data for summary_table_fields ==> ${pythonRepr(paths)}:\n\n`;
  const counts = new Map<string, { keys: string[]; count: number }>();
  for (const m of matches) {
    const keys = cols.map((c) => pythonStr(lookupField(m, c.path)));
    const id = JSON.stringify(keys);
    const entry = counts.get(id);
    if (entry) entry.count++;
    else counts.set(id, { keys, count: 1 });
  }
  let rows = [...counts.values()];
  const maxRows = raw.summary_table_max_rows;
  if (typeof maxRows === 'number') rows = [...rows].sort((a, b) => b.count - a.count).slice(0, maxRows);
  const cells = rows.map((r) => [...r.keys, String(r.count)]);
  if (type === 'markdown') {
    text += `| ${headers.join(' | ')} |\n`;
    text += `${'|-----'.repeat(headers.length)}|\n`;
    for (const r of rows) text += `${r.keys.map((k) => `| ${k} `).join('')}| ${r.count} |\n`;
    text += '\n';
  } else if (type === 'html') {
    text = htmlTable(headers, cells);
  } else {
    text += `${asciiTable(headers, cells)}\n\n`;
  }
  if (typeof maxRows === 'number') text += `Showing top ${maxRows} rows\n`;
  if (typeof raw.summary_suffix === 'string') text += raw.summary_suffix;
  return text;
}
