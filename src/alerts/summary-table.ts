/**
 * The aggregation summary table (summary_table_fields), in ElastAlert 2's three styles: an ASCII
 * grid (as Python's texttable draws it, 80 columns), markdown, and an HTML table.
 */
import type { Match } from '../ruletypes/rule-type.ts';
import { type Doc, lookupField, pythonRepr, pythonStr } from '../util/lookup.ts';

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

/** Python's textwrap.wrap (break on whitespace and after hyphens, split words longer than the width). */
export function wrapText(text: string, width: number): string[] {
  const chunks = text
    .replace(/\s/g, ' ')
    .split(/( +)/)
    .flatMap((c) => (c.startsWith(' ') ? [c] : c.split(/(?<=[^\d\W]-)(?=\w)/u)))
    .filter((c) => c !== '');
  const lines: string[] = [];
  let line = '';
  for (let chunk of chunks) {
    if (chunk.startsWith(' ')) {
      if (line && line.length + chunk.length <= width) line += chunk;
      else if (line) {
        lines.push(line);
        line = '';
      }
      continue;
    }
    while (chunk.length > 0) {
      if (line.length + chunk.length <= width) {
        line += chunk;
        chunk = '';
      } else if (line.trim() === '' && chunk.length > width) {
        line = chunk.slice(0, width);
        chunk = chunk.slice(width);
        lines.push(line);
        line = '';
      } else {
        lines.push(line.trimEnd());
        line = '';
      }
    }
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.map((l) => l.trimStart());
}

/** Python texttable (header, all-text columns, left-aligned rows, centred header, 80 wide). */
export function asciiTable(header: string[], rows: string[][], maxWidth = 80): string {
  const cellWidth = (c: string) => Math.max(...c.split('\n').map((l) => l.length));
  let widths = header.map(cellWidth);
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, cellWidth(c))));
  const deco = 3 * (widths.length - 1) + 4;
  if (widths.reduce((a, b) => a + b, 0) + deco > maxWidth) {
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
          const fill = widths[i]! - text.length;
          if (!isHeader) return text + ' '.repeat(Math.max(0, fill));
          const left = Math.floor(fill / 2);
          return ' '.repeat(left) + text + ' '.repeat(fill - left);
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

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

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
