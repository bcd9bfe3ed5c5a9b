/**
 * The YAML syntax PyYAML accepts, parsed into the `yaml` package's document tree (values are left
 * as the source's strings; yaml-construct.ts gives them PyYAML's types).
 *
 * The text is read as ElastAlert 2 reads it: Python's universal newlines (`\r\n` and `\r` become
 * `\n`), PyYAML's NEL line break, and PyYAML's refusal of non-printable characters. PyYAML ignores
 * indentation inside quoted scalars and flow collections (`[` ... `]`, `{` ... `}`): their
 * continuation lines may start at any column, even 0 inside a nested mapping, where the YAML
 * spec and the `yaml` package want them indented past their parent. The lexer below is the
 * `yaml` package's own, told that the required indentation is 0 while it reads a quoted scalar
 * or a flow collection; only a document marker (`---`, `...`) at column 0 still ends them.
 */
import { Composer, type Document, Lexer, LineCounter, Parser } from 'yaml';
import { PyYamlTokenChecks } from './yaml-token-checks.ts';

export interface ParsedYaml {
  /** The text as parsed: newlines normalized, a leading byte order mark removed. */
  text: string;
  /** Undefined for an empty stream (no document), which PyYAML reads as None. */
  doc: Document.Parsed | undefined;
  /** Lines of the text as parsed (newlines normalized, so the source's line numbers). */
  lineCounter: LineCounter;
  /** The first syntax error; `offset` is a position in the parsed text, for lineCounter. */
  error?: { message: string; offset: number };
}

/** The fields of yaml's Lexer this file relies on (checked by the differential test against PyYAML). */
interface LexerInternals {
  buffer: string;
  pos: number;
  flowLevel: number;
  flowKey: boolean;
  charAt(n: number): string | undefined;
  pushCount(n: number): Generator<string, number>;
  pushIndicators(): Generator<string, number>;
  pushSpaces(allowTabs: boolean): Generator<string, number>;
  pushTag(): Generator<string, number>;
  pushUntil(test: (ch: string | undefined) => boolean): Generator<string, number>;
  parseQuotedScalar(): Generator<string, string>;
}

const isBlank = (ch: string | undefined) => ch === undefined || ch === ' ' || ch === '\t' || ch === '\n';
const isNotAnchorChar = (ch: string | undefined) => ch === undefined || ' ,[]{}\n\r\t'.includes(ch);

/** PyYAML's anchor and alias names, and what may follow one. */
const ANCHOR_NAME = /^[0-9A-Za-z_-]+/;
const AFTER_ANCHOR = ' \t\n?:,]}%@`';

function pyyamlLexer(onRefuse: (message: string, at: number) => void): Lexer {
  const lexer = new Lexer();
  const internals = lexer as unknown as LexerInternals;
  let inQuotedScalar = false;
  let indentNext = 0;
  Object.defineProperty(lexer, 'indentNext', {
    configurable: true,
    get: () => (inQuotedScalar || internals.flowLevel > 0 ? 0 : indentNext),
    set: (v: number) => {
      indentNext = v;
    },
  });
  // In a flow collection PyYAML reads "?" and ":" as indicators even before a non-space
  // character (`[?a]` is [{a: null}], `{q: ?a}` is an error), and "-" only before a space:
  // `[a, -]` holds the string "-".
  const pushIndicators = internals.pushIndicators.bind(lexer);
  internals.pushIndicators = function* () {
    if (internals.flowLevel === 0) return yield* pushIndicators();
    let n = 0;
    for (;;) {
      const ch = internals.charAt(0);
      const next = internals.charAt(1);
      if (ch === '!') n += (yield* internals.pushTag()) + (yield* internals.pushSpaces(true));
      else if (ch === '&')
        n += (yield* internals.pushUntil(isNotAnchorChar)) + (yield* internals.pushSpaces(true));
      else if (ch === '?' || ch === ':' || (ch === '-' && isBlank(next))) {
        n += (yield* internals.pushCount(1)) + (yield* internals.pushSpaces(true));
        internals.flowKey = false;
      } else return n;
    }
  };
  // PyYAML's anchor and alias names are letters, digits, "-" and "_": `*a:` is the alias "a"
  // before a ":" (the yaml package reads the alias "a:").
  const pushUntil = internals.pushUntil.bind(lexer);
  internals.pushUntil = function* (test) {
    const ch = internals.charAt(0);
    if (ch !== '&' && ch !== '*') return yield* pushUntil(test);
    const rest = internals.buffer.slice(internals.pos + 1, internals.pos + 1 + 1024);
    const name = ANCHOR_NAME.exec(rest)?.[0] ?? '';
    const next = rest[name.length];
    if (name === '' || (next !== undefined && !AFTER_ANCHOR.includes(next)))
      onRefuse(
        `an ${ch === '&' ? 'anchor' : 'alias'} name may hold only letters, digits, "-" and "_"`,
        internals.pos,
      );
    return yield* internals.pushCount(1 + name.length);
  };
  const parseQuotedScalar = internals.parseQuotedScalar.bind(lexer);
  internals.parseQuotedScalar = function* () {
    inQuotedScalar = true;
    try {
      return yield* parseQuotedScalar();
    } finally {
      inQuotedScalar = false;
    }
  };
  return lexer;
}

const ALLOWED_ERRORS = [
  'Block scalars with more-indented leading empty lines',
  'The : indicator must be at most 1024 chars after the start of an implicit block mapping key',
];

/** Characters PyYAML's reader accepts (YAML 1.1's printable set). */
// eslint-disable-next-line no-control-regex
const NON_PRINTABLE = /[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

export function parsePyYaml(source: string): ParsedYaml {
  // PyYAML skips a byte order mark at the start of the stream only
  const text = source
    .replace(/^\ufeff/, '')
    .replace(/\r\n?/g, '\n')
    .replaceAll('\x85', '\n');
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', nl + 1))
    lineCounter.addNewLine(nl + 1);
  const bad = NON_PRINTABLE.exec(text);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).padStart(4, '0');
    return {
      text,
      doc: undefined,
      lineCounter,
      error: { message: `special character U+${code} is not allowed in YAML`, offset: bad.index },
    };
  }
  const parser = new Parser();
  const checks = new PyYamlTokenChecks(lineCounter);
  const lexer = pyyamlLexer((message, at) => checks.refuse(message, at));
  function* tokens() {
    for (const lexeme of lexer.lex(text)) {
      checks.see(lexeme);
      yield* parser.next(lexeme);
    }
    yield* parser.end();
  }
  // failsafe: every scalar stays the string written; tags stay on the nodes for yaml-construct.ts
  const composer = new Composer({
    schema: 'failsafe',
    version: '1.1',
    uniqueKeys: false,
    keepSourceTokens: true,
  });
  let doc: Document.Parsed | undefined;
  const errors: { message: string; offset: number }[] = [];
  for (const d of composer.compose(tokens(), false, text.length)) {
    // PyYAML allows these; yaml-construct.ts reads block scalars as it does, and
    // yaml-token-checks.ts measures keys as it does
    const error = d.errors.find((e) => !ALLOWED_ERRORS.some((m) => e.message.startsWith(m)));
    if (error) errors.push({ message: error.message, offset: error.pos[0] });
    if (doc) {
      const message = 'expected a single document in the stream, but found another document';
      errors.push({ message, offset: d.range[0] });
    }
    doc ??= d;
  }
  const streamError = composer.streamInfo().errors[0];
  if (streamError) errors.push({ message: streamError.message, offset: streamError.pos[0] });
  if (checks.refused) errors.push(checks.refused);
  const first = errors.sort((a, b) => a.offset - b.offset)[0];
  if (first) return { text, doc: undefined, lineCounter, error: first };
  return { text, doc, lineCounter };
}
