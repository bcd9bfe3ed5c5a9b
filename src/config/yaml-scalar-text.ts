/**
 * The text of quoted and block scalars as PyYAML's scanner reads it. The `yaml` package decides
 * where each scalar starts and ends; these functions give its value the way PyYAML does, which
 * differs from the `yaml` package after an escaped line break (`"a\` + newline + blank line +
 * `b"` is "a\nb" in PyYAML and the YAML spec, "a b" in the `yaml` package), in block scalars
 * with an indentation indicator and whitespace-only lines, and at the end of a file without a
 * final line break.
 */
import { ScalarError } from './yaml-scalars.ts';

const REPLACEMENTS: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
const CODE_LENGTHS: Record<string, number> = { x: 2, u: 4, U: 8 };
/** Line breaks PyYAML knows (\r and \x85 are already \n in the text yaml-parse.ts reads). */
const BREAKS = '\n\u2028\u2029';

/** PyYAML's scan_flow_scalar: `source` is the scalar as written, quotes included. */
export function flowScalarValue(source: string): string {
  const double = source[0] === '"';
  const quote = source[0]!;
  let pos = 1;
  const out: string[] = [];
  const peek = (n = 0) => source[pos + n] ?? '\0';

  /** Blank lines after a line break, each one kept as a line feed; the text may not hold a document marker there. */
  const breaks = (): string[] => {
    const found: string[] = [];
    for (;;) {
      const marker = source.slice(pos, pos + 3);
      if ((marker === '---' || marker === '...') && ` \t\0${BREAKS}`.includes(peek(3)))
        throw new ScalarError('found unexpected document separator inside a quoted scalar');
      while (peek() === ' ' || peek() === '\t') pos += 1;
      if (!BREAKS.includes(peek())) return found;
      found.push(lineBreak());
    }
  };
  const lineBreak = (): string => {
    const ch = source[pos++]!;
    return ch === '\n' ? '\n' : ch;
  };

  const nonSpaces = (): void => {
    for (;;) {
      let end = pos;
      while (end < source.length && !`'"\\ \t${BREAKS}`.includes(source[end]!)) end += 1;
      if (end > pos) {
        out.push(source.slice(pos, end));
        pos = end;
      }
      const ch = peek();
      if (!double && ch === "'" && peek(1) === "'") {
        out.push("'");
        pos += 2;
      } else if ((double && ch === "'") || (!double && (ch === '"' || ch === '\\'))) {
        out.push(ch);
        pos += 1;
      } else if (double && ch === '\\') {
        pos += 1;
        const esc = peek();
        const replacement = REPLACEMENTS[esc];
        const length = CODE_LENGTHS[esc];
        if (replacement !== undefined) {
          out.push(replacement);
          pos += 1;
        } else if (length !== undefined) {
          pos += 1;
          const hex = source.slice(pos, pos + length);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== length)
            throw new ScalarError(`expected ${length} hexadecimal digits after \\${esc}`);
          const code = parseInt(hex, 16);
          if (code > 0x10ffff) throw new ScalarError(`the escape \\${esc} is beyond Unicode`);
          out.push(String.fromCodePoint(code));
          pos += length;
        } else if (BREAKS.includes(esc)) {
          lineBreak();
          out.push(...breaks());
        } else {
          throw new ScalarError(`found unknown escape character ${JSON.stringify(esc)}`);
        }
      } else return;
    }
  };

  const spaces = (): void => {
    const start = pos;
    while (peek() === ' ' || peek() === '\t') pos += 1;
    const whitespace = source.slice(start, pos);
    const ch = peek();
    if (pos >= source.length) throw new ScalarError('found unexpected end of stream inside a quoted scalar');
    if (BREAKS.includes(ch)) {
      const first = lineBreak();
      const more = breaks();
      if (first !== '\n') out.push(first);
      else if (more.length === 0) out.push(' ');
      out.push(...more);
    } else out.push(whitespace);
  };

  nonSpaces();
  while (peek() !== quote) {
    if (pos >= source.length) throw new ScalarError('found unexpected end of stream inside a quoted scalar');
    spaces();
    nonSpaces();
  }
  return out.join('');
}

/**
 * PyYAML's scan_block_scalar. `header` is the indicator (`|`, `>-`, `|2+`...), `start` the
 * offset in `text` of the line after it, `parentIndent` the column of the block collection the
 * scalar is in (PyYAML's `self.indent`). `end` is where PyYAML's scalar ends.
 */
export function blockScalarValue(
  text: string,
  header: string,
  start: number,
  parentIndent: number,
): { value: string; end: number } {
  const folded = header[0] === '>';
  let chomping: boolean | undefined;
  let increment: number | undefined;
  for (const ch of header.slice(1)) {
    if (ch === '+' || ch === '-') chomping = ch === '+';
    else if (ch >= '1' && ch <= '9') increment = Number(ch);
  }
  let pos = start;
  let column = 0;
  const peek = (n = 0) => text[pos + n] ?? '\0';
  const isBreak = (ch: string) => BREAKS.includes(ch) && ch !== '';
  const forward = () => {
    column = isBreak(text[pos]!) ? 0 : column + 1;
    pos += 1;
  };
  const lineBreak = (): string => {
    const ch = peek();
    if (!isBreak(ch)) return '';
    forward();
    return ch;
  };
  /** Line breaks of empty lines and of lines indented less than `indent`. */
  const blockBreaks = (indent: number): string[] => {
    const found: string[] = [];
    while (column < indent && peek() === ' ') forward();
    while (isBreak(peek())) {
      found.push(lineBreak());
      while (column < indent && peek() === ' ') forward();
    }
    return found;
  };

  const minIndent = Math.max(1, parentIndent + 1);
  let indent: number;
  let breaks: string[] = [];
  if (increment === undefined) {
    let maxIndent = 0;
    while (peek() === ' ' || isBreak(peek())) {
      if (peek() !== ' ') breaks.push(lineBreak());
      else {
        forward();
        maxIndent = Math.max(maxIndent, column);
      }
    }
    indent = Math.max(minIndent, maxIndent);
  } else {
    indent = minIndent + increment - 1;
    breaks = blockBreaks(indent);
  }

  const chunks: string[] = [];
  let lastBreak = '';
  while (column === indent && pos < text.length) {
    chunks.push(...breaks);
    const leadingNonSpace = peek() !== ' ' && peek() !== '\t';
    const lineStart = pos;
    while (pos < text.length && !isBreak(peek())) forward();
    chunks.push(text.slice(lineStart, pos));
    lastBreak = lineBreak();
    breaks = blockBreaks(indent);
    if (column !== indent || pos >= text.length) break;
    // PyYAML's folding: a break between two lines that start with non-space text is a space
    if (folded && lastBreak === '\n' && leadingNonSpace && peek() !== ' ' && peek() !== '\t') {
      if (breaks.length === 0) chunks.push(' ');
    } else chunks.push(lastBreak);
  }
  if (chomping !== false) chunks.push(lastBreak);
  if (chomping === true) chunks.push(...breaks);
  return { value: chunks.join(''), end: pos };
}
