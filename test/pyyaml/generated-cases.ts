/**
 * A seeded generator of awkward YAML documents shaped like ElastAlert 2 rule files: every scalar
 * style (plain, single- and double-quoted with escapes and continuation lines at any column,
 * block scalars with chomping and indentation indicators), explicit `!!` tags, anchors, aliases
 * and merge keys, duplicate keys, flow collections spread over lines, comments everywhere, odd
 * numbers, booleans, nulls and dates, unicode, long lines, CRLF or CR line ends, a BOM and
 * document markers. Some documents are invalid on purpose; both readers must then refuse them.
 */
import { Random } from '../corpus/random.ts';

export interface YamlCase {
  name: string;
  text: string;
}

const OPTION_KEYS = [
  'name',
  'type',
  'index',
  'alert',
  'alert_text',
  'alert_subject',
  'alert_text_args',
  'query_key',
  'timeframe',
  'realert',
  'num_events',
  'filter',
  'query',
  'include',
  'owner',
  'priority',
  'description',
  'dingtalk_access_token',
  'email',
  'timestamp_field',
  'use_strftime_index',
  'kibana_discover_version',
  'minutes',
  'hours',
  'http_post_headers',
];

const ODD_KEYS = [
  '"quoted key"',
  "'single key'",
  '"@timestamp"',
  'key with spaces',
  '1',
  '0x1F',
  'yes',
  'on',
  'null',
  '~',
  '2024-01-01',
  '1.5',
  '"1"',
  'a',
  'b',
  'x',
  '""',
  'ключ',
  '键',
  'k.e.y',
  'k-e_y',
  '=',
  '? complex',
];

/** Plain scalars PyYAML types in surprising ways, or keeps as strings where YAML 1.2 would not. */
const PLAIN_SCALARS = [
  '0',
  '-0',
  '+0',
  '007',
  '08',
  '0o17',
  '0O17',
  '0x1F',
  '0X1F',
  '0x_1F',
  '-0x1f',
  '0b101',
  '0b_1_0',
  '1_000',
  '+12',
  '-12',
  '1:30',
  '-1:30',
  '190:20:30',
  '0:30',
  '1:60',
  '1_0:3_0',
  '12e3',
  '1e3',
  '1E3',
  '1.0e+3',
  '1.0e3',
  '1.0E-3',
  '.5',
  '-.5',
  '+.5',
  '1.',
  '.',
  '1_0.5',
  '1__0.',
  '.inf',
  '-.Inf',
  '+.INF',
  '.NaN',
  '.nan',
  '.NAN',
  'nan',
  'inf',
  '3.14',
  '-0.0',
  '99999999999999999999',
  '9007199254740993',
  '9007199254740991',
  '-9007199254740993',
  '123456789012345678901234567890',
  '1:2:3.5',
  '0.1',
  '2.675',
  '1e309',
  '1.0e+309',
  '0.000001',
  '1_2_3',
  '6.5.1',
  '7.3',
  '8.x',
  '1,000',
  '$5',
  '5%',
  '1/2',
  'yes',
  'Yes',
  'YES',
  'yEs',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
  'y',
  'Y',
  'n',
  'N',
  'true',
  'True',
  'TRUE',
  'tRUE',
  'false',
  'False',
  'FALSE',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  'None',
  'none',
  '2024-01-01',
  '2024-1-1',
  '2024-01-01T10:00:00Z',
  '2024-01-01t10:00:00z',
  '2024-01-01 10:00:00',
  '2024-01-01 1:00:00',
  '2024-01-01T10:00:00.123456789+08:00',
  '2024-01-01 10:00:00.5 -5',
  '2001-12-14t21:59:43.10-05:00',
  '2024-02-29',
  '2023-02-29',
  '2024-13-01',
  '0000-01-01',
  '2024-01-01T24:00:00',
  '2024-01-01 10:00:00 +99',
  '20240101',
  '2024-01-01T10:00',
  'a:b',
  'x#y',
  'x #y',
  'a-b',
  '-a',
  'a?',
  'a,b',
  'a]',
  'a}',
  "a'b",
  'a"b',
  'http://example.com/a?b=c&d=e#f',
  'logs-*',
  'filebeat-%Y.%m.%d',
  '==',
  'event.type:Warning',
  'status:>=500',
  '中文告警',
  'émoji 🚨',
  'a\u00a0b',
  'ﬁ',
  'Ω≈ç√',
  '\u200bzero-width',
];

/** Dates PyYAML's datetime refuses. */
const BAD_DATES = new Set([
  '2023-02-29',
  '2024-13-01',
  '0000-01-01',
  '2024-01-01T24:00:00',
  '2024-01-01 10:00:00 +99',
]);
const VALID_PLAIN = PLAIN_SCALARS.filter((s) => !BAD_DATES.has(s));

/** Plain scalars that start with an indicator or hold one PyYAML reads specially: mostly refused. */
const RISKY_PLAIN = [
  'a:',
  ':a',
  '?a',
  '@timestamp',
  '`x`',
  '%x',
  '!x',
  '&x',
  '*x',
  '|x',
  '>x',
  '<<',
  '=',
  'tab\there',
  'x: y',
];

const WORDS = [
  'Pod',
  '{0}',
  '{1}',
  'restarted',
  '{2:.2f}',
  'times',
  'in',
  'namespace',
  '{}',
  '%(x)s',
  'status:500',
  'AND',
  'NOT',
  'path:"/health"',
  'x: y',
  'a #b',
  'c#d',
  '—',
  '告警',
  '🚨',
  "it's",
  'say "hi"',
  '\\',
  '\\n',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '[x]',
  '{y}',
  ',',
  '?',
  '-',
  ':',
  '<br>',
  '$HOME',
  '${X}',
];

/** Words that keep a plain scalar plain (no ": ", " #", leading indicators). */
const PLAIN_WORDS = WORDS.filter((w) => !/^[-?:,[\]{}#&*!|>'"%@`]|: |#|^\\/.test(w));

const ESCAPES = [
  '\\n',
  '\\t',
  '\\\\',
  '\\"',
  '\\x41',
  '\\xe9',
  '\\u263a',
  '\\u00e9',
  '\\U0001F600',
  '\\/',
  '\\ ',
  '\\_',
  '\\N',
  '\\L',
  '\\P',
  '\\e',
  '\\0',
  '\\a',
  '\\b',
  '\\v',
  '\\f',
  '\\r',
  '\\\t',
];

const TAGS = [
  '!!str',
  '!!int',
  '!!float',
  '!!bool',
  '!!null',
  '!!binary',
  '!!timestamp',
  '!',
  '!!python/str',
  '!!python/int',
  '!!python/float',
  '!!python/bool',
  '!!python/none',
  '!!python/unicode',
  '!!python/long',
  '!<tag:yaml.org,2002:str>',
  '!!merge',
  '!!value',
  '!!seq',
  '!!map',
  '!custom',
];

/** Tags with values PyYAML constructs them from. */
const MATCHING_TAGS: [string, string[]][] = [
  ['!!str', ['42', 'yes', '~', '"x"', "'1.5'", '2024-01-01', '']],
  ['!!int', ['42', '"0x1F"', '" 12 "', '1:30', '"0o17"', '"017"', '-0', '1_000']],
  ['!!float', ['1', '"1e5"', '1:30.5', '.5', '"-.inf"', '" 2 "', '1_0.5']],
  ['!!bool', ['yes', '"On"', 'FALSE', "'no'"]],
  ['!!null', ['', '~', 'anything', '""']],
  ['!!binary', ['aGVsbG8=', '"aGVs bG8="', '|\n  aGVs\n  bG8=']],
  ['!!timestamp', ['2024-01-01', '"2024-1-1"', '2024-01-01 10:00:00', '"2024-01-01T10:00:00.5+08:00"']],
  ['!', ['123', '"123"', 'yes', 'text']],
  ['!!python/str', ['42', 'x']],
  ['!!python/int', ['42', '0x10']],
  ['!!python/float', ['1.5', '3']],
  ['!!python/bool', ['on', 'True']],
  ['!!python/none', ['', 'x']],
  ['!<tag:yaml.org,2002:str>', ['1', 'x']],
];

class DocumentGenerator {
  private readonly r: Random;
  private readonly lines: string[] = [];
  private readonly anchors: { name: string; kind: 'scalar' | 'map' | 'seq'; open: boolean }[] = [];
  private anchorCount = 0;
  /**
   * A wild document may hold what PyYAML refuses (bad dates, mismatched tags, unknown tags,
   * duplicate anchors, aliases into their own node); the others hold only what it should read.
   */
  private readonly wild: boolean;

  constructor(r: Random) {
    this.r = r;
    this.wild = r.chance(0.35);
  }

  private spaces(n: number): string {
    return ' '.repeat(Math.max(0, n));
  }

  private word(): string {
    return this.r.chance(0.7)
      ? this.r.pick(WORDS)
      : this.r.chars('abcdefghijklmnopqrstuvwxyz', this.r.int(1, 8));
  }

  private sentence(max: number): string {
    const n = this.r.int(1, max);
    return Array.from({ length: n }, () => this.word()).join(' ');
  }

  private plainSentence(max: number): string {
    const n = this.r.int(1, max);
    return Array.from({ length: n }, () =>
      this.r.chance(0.6)
        ? this.r.pick(PLAIN_WORDS)
        : this.r.chars('abcdefghijklmnopqrstuvwxyz', this.r.int(1, 8)),
    ).join(' ');
  }

  private plain(): string {
    if (this.wild && this.r.chance(0.04)) return this.r.pick(RISKY_PLAIN);
    const s = this.r.chance(0.75)
      ? this.r.pick(this.wild ? PLAIN_SCALARS : VALID_PLAIN)
      : this.plainSentence(4);
    return this.r.chance(0.02) ? s + 'x'.repeat(this.r.int(200, 3000)) : s;
  }

  /** A single-quoted scalar, continued over lines at any column (0 included). */
  private singleQuoted(indent: number): string {
    const parts: string[] = [];
    const n = this.r.chance(0.3) ? this.r.int(2, 4) : 1;
    for (let i = 0; i < n; i++) {
      let text = this.sentence(5).replaceAll("'", "''");
      if (this.r.chance(0.15)) text += '\t' + this.word().replaceAll("'", "''");
      if (this.r.chance(0.1)) text = ' ' + text + ' ';
      parts.push(text);
    }
    return `'${this.joinLines(parts, indent)}'`;
  }

  /** A double-quoted scalar with escapes, raw tabs, escaped line breaks and continuation lines. */
  private doubleQuoted(indent: number): string {
    const parts: string[] = [];
    const n = this.r.chance(0.35) ? this.r.int(2, 4) : 1;
    for (let i = 0; i < n; i++) {
      const bits: string[] = [];
      const m = this.r.int(1, 5);
      for (let j = 0; j < m; j++) {
        if (this.r.chance(0.3)) bits.push(this.r.pick(ESCAPES));
        else bits.push(this.word().replaceAll('\\', '\\\\').replaceAll('"', '\\"'));
      }
      let text = bits.join(this.r.chance(0.1) ? '\t' : ' ');
      if (i < n - 1 && this.r.chance(0.2)) text += '\\';
      parts.push(text);
    }
    return `"${this.joinLines(parts, indent)}"`;
  }

  /** Joins the lines of a multi-line flow scalar: blank lines, trailing spaces, any indentation. */
  private joinLines(parts: string[], indent: number): string {
    let out = parts[0] ?? '';
    for (const part of parts.slice(1)) {
      if (this.r.chance(0.2)) out += this.r.chance(0.5) ? '\n' : `\n${this.spaces(this.r.int(0, 3))}`;
      if (this.r.chance(0.1)) out += ' ';
      const column = this.r.pick([0, 0, 1, indent, indent + 1, indent + 2, indent + 4]);
      out += `\n${this.spaces(column)}${this.r.chance(0.05) ? '\t' : ''}${part}`;
    }
    return out;
  }

  private taggedScalar(indent: number): string {
    if (!this.wild) {
      const [tag, values] = this.r.pick(MATCHING_TAGS);
      const value = this.r.pick(values);
      return value === '' ? tag : `${tag} ${value}`;
    }
    const tag = this.r.pick(TAGS);
    const value = this.r.pick([
      () => this.plain(),
      () => this.doubleQuoted(indent),
      () => this.singleQuoted(indent),
      () =>
        this.r.pick([
          '42',
          '"0x1F"',
          '" 12 "',
          '1:30',
          '"1e5"',
          'aGVsbG8=',
          '"aGVs\\nbG8="',
          '2024-01-01',
          'yes',
          '""',
          '',
        ]),
    ])();
    return value === '' ? tag : `${tag} ${value}`;
  }

  private inlineScalar(indent: number): string {
    return this.r.pick([
      () => this.plain(),
      () => this.plain(),
      () => this.singleQuoted(indent),
      () => this.doubleQuoted(indent),
      () => this.taggedScalar(indent),
      () => this.multiLinePlain(indent),
      () => '',
    ])();
  }

  /** A plain scalar continued on more-indented lines (PyYAML needs them past the parent's column). */
  private multiLinePlain(indent: number): string {
    const first = this.plainSentence(3);
    const rest = Array.from({ length: this.r.int(1, 3) }, () => this.plainSentence(3));
    return [
      first,
      ...rest.map((l) => `${this.r.chance(0.15) ? '\n' : ''}\n${this.spaces(indent + this.r.int(1, 3))}${l}`),
    ].join('');
  }

  private anchor(kind: 'scalar' | 'map' | 'seq', open = false): string {
    if (!this.r.chance(0.12)) return '';
    const reuse = this.wild && this.r.chance(0.05) && this.anchors.length > 0; // PyYAML refuses a duplicate anchor
    const name = reuse ? this.r.pick(this.anchors).name : `a${this.anchorCount++}`;
    this.anchors.push({ name, kind, open });
    return `&${name} `;
  }

  /** An alias of an earlier anchor; only wild documents refer to a mapping from inside it. */
  private alias(kind?: 'scalar' | 'map' | 'seq'): string | undefined {
    const candidates = this.anchors.filter((a) => (!kind || a.kind === kind) && (this.wild || !a.open));
    return candidates.length ? `*${this.r.pick(candidates).name}` : undefined;
  }

  private comment(indent: number): void {
    if (this.r.chance(0.08))
      this.lines.push(`${this.spaces(this.r.int(0, indent + 4))}# ${this.sentence(4)}`);
    if (this.r.chance(0.05)) this.lines.push(this.r.chance(0.8) ? '' : this.spaces(this.r.int(1, 6)));
  }

  private trailingComment(): string {
    return this.r.chance(0.1) ? ` # ${this.sentence(3)}` : '';
  }

  private key(used: string[]): string {
    if (used.length && this.r.chance(0.06)) return this.r.pick(used); // a duplicate key
    const k = this.r.chance(0.8) ? this.r.pick(OPTION_KEYS) : this.r.pick(ODD_KEYS);
    if (k === '? complex') return k;
    if (this.r.chance(0.03))
      return `${this.r.pick(['!!str', '!!int', '!', '!!python/str'])} ${this.r.pick(['1', '"5"', k])}`;
    if (this.r.chance(0.03)) return `${this.anchor('scalar')}${k}`;
    if (this.r.chance(0.02)) return this.alias('scalar') ?? k;
    if (this.r.chance(0.005)) return 'k'.repeat(this.r.int(1000, 1100)); // PyYAML's limit for a key is 1024 characters
    return this.r.chance(0.05) ? `${k} ` : k;
  }

  private blockScalar(indent: number): [string, string[]] {
    const style = this.r.pick(['|', '>']);
    const chomp = this.r.pick(['', '', '-', '+']);
    const explicit = this.r.chance(0.15) ? this.r.int(1, 4) : undefined;
    const header = `${style}${this.r.chance(0.5) ? `${explicit ?? ''}${chomp}` : `${chomp}${explicit ?? ''}`}${this.trailingComment()}`;
    const base = indent + (explicit ?? this.r.int(1, 4));
    const body: string[] = [];
    const n = this.r.int(1, 6);
    for (let i = 0; i < n; i++) {
      if (this.r.chance(0.15)) {
        body.push(this.r.chance(0.7) ? '' : this.spaces(this.r.int(0, base + 2)));
        continue;
      }
      // the first line sets the indentation unless the header gives it
      const extra =
        (explicit !== undefined || body.some((l) => l.trim())) && this.r.chance(0.2) ? this.r.int(1, 4) : 0;
      let line = this.sentence(6);
      if (this.r.chance(0.08)) line = `\t${line}`;
      if (this.r.chance(0.05)) line += '   ';
      body.push(`${this.spaces(base + extra)}${line}`);
    }
    for (let i = this.r.int(0, 2); i > 0; i--) body.push('');
    return [header, body];
  }

  private flow(indent: number, depth: number): string {
    const map = this.r.chance(0.4);
    const items: string[] = [];
    const n = this.r.int(0, 5);
    for (let i = 0; i < n; i++) {
      let item: string;
      if (depth < 2 && this.r.chance(0.15)) item = this.flow(indent, depth + 1);
      else if (this.r.chance(0.2)) item = this.r.pick([this.doubleQuoted(indent), this.singleQuoted(indent)]);
      else
        item = this.r.pick(
          PLAIN_SCALARS.filter((s) => !/[,[\]{}#]/.test(s) && !s.startsWith('-') && !s.includes(':')),
        );
      if (map) item = `${this.r.pick(['a', 'bb', 'a', 'cc', '"q"', 'x'])}: ${item}`;
      items.push(item);
    }
    const sep = () =>
      this.r.chance(0.25)
        ? `,${this.r.chance(0.2) ? ' # note' : ''}\n${this.spaces(this.r.pick([0, 1, indent, indent + 2]))}`
        : ', ';
    let body = items.map((item, i) => (i === 0 ? item : sep() + item)).join('');
    if (items.length && this.r.chance(0.1)) body += ',';
    const close = this.r.chance(0.15) ? `\n${this.spaces(this.r.pick([0, indent]))}` : '';
    return map ? `{${body}${close}}` : `[${body}${close}]`;
  }

  /** Appends `key: value` lines of a block mapping at `indent`. */
  mapping(indent: number, depth: number): void {
    const used: string[] = [];
    const n = this.r.int(1, depth === 0 ? 9 : 4);
    for (let i = 0; i < n; i++) {
      this.comment(indent);
      const pad = this.spaces(indent);
      if (this.r.chance(0.05) && this.alias('map')) {
        const merge = this.r.chance(0.6)
          ? this.alias('map')!
          : `[${Array.from({ length: this.r.int(1, 3) }, () => this.alias('map')!).join(', ')}]`;
        this.lines.push(`${pad}<<: ${merge}`);
        continue;
      }
      const key = this.key(used);
      used.push(key);
      if (key === '? complex') {
        this.lines.push(`${pad}? ${this.r.pick(['[a, b]', 'a', '{x: 1}', '!!python/tuple [1, 2]'])}`);
        this.lines.push(`${pad}: ${this.plain()}`);
        continue;
      }
      this.value(`${pad}${key}:`, indent, depth);
    }
  }

  private value(prefix: string, indent: number, depth: number): void {
    const kind =
      depth > 3
        ? 'scalar'
        : this.r.pick(['scalar', 'scalar', 'scalar', 'block', 'map', 'seq', 'flow', 'alias']);
    switch (kind) {
      case 'scalar': {
        const v = this.inlineScalar(indent);
        this.lines.push(
          `${prefix}${v === '' ? '' : ` ${this.anchor('scalar')}${v}`}${this.trailingComment()}`,
        );
        return;
      }
      case 'block': {
        const [header, body] = this.blockScalar(indent);
        this.lines.push(`${prefix} ${this.anchor('scalar')}${header}`, ...body);
        return;
      }
      case 'map':
        {
          const anchor = this.anchor('map').trimEnd();
          this.lines.push(`${prefix}${anchor ? ` ${anchor}` : ''}${this.trailingComment()}`);
        }
        this.mapping(indent + this.r.pick([1, 2, 2, 4]), depth + 1);
        return;
      case 'seq':
        this.lines.push(`${prefix}${this.trailingComment()}`);
        this.sequence(indent + this.r.pick([0, 2, 2, 4]), depth + 1);
        return;
      case 'flow':
        this.lines.push(
          `${prefix} ${this.anchor(this.r.chance(0.5) ? 'seq' : 'map')}${this.flow(indent, 0)}${this.trailingComment()}`,
        );
        return;
      default:
        this.lines.push(`${prefix} ${this.alias() ?? this.plain()}`);
    }
  }

  private sequence(indent: number, depth: number): void {
    const n = this.r.int(1, 4);
    const pad = this.spaces(indent);
    for (let i = 0; i < n; i++) {
      this.comment(indent);
      if (depth < 4 && this.r.chance(0.25)) {
        // a mapping inside the list: "- key: value" then its other keys aligned
        const start = this.lines.length;
        this.mapping(indent + 2, depth + 1);
        const first = this.lines.findIndex(
          (l, j) => j >= start && l.trim() !== '' && !l.trim().startsWith('#'),
        );
        if (first === -1) this.lines.push(`${pad}- x`);
        else this.lines[first] = `${pad}- ${this.lines[first]!.slice(indent + 2)}`;
      } else if (depth < 4 && this.r.chance(0.1)) {
        this.lines.push(`${pad}- ${this.flow(indent, 0)}`);
      } else if (depth < 4 && this.r.chance(0.08)) {
        this.lines.push(`${pad}- - ${this.plain()}`, `${pad}  - ${this.plain()}`);
      } else if (this.r.chance(0.05)) {
        this.lines.push(`${pad}-${this.trailingComment()}`);
      } else {
        this.value(`${pad}-`, indent, depth + 1);
      }
    }
  }

  document(): string {
    let head = '';
    if (this.r.chance(0.05)) head += '%YAML 1.1\n---\n';
    else if (this.r.chance(0.12)) head += `---${this.r.chance(0.2) ? ' # start' : ''}\n`;
    if (this.r.chance(0.08)) this.sequence(0, 1);
    else this.mapping(0, 0);
    if (this.r.chance(0.03)) head += `%TAG !e! tag:yaml.org,2002:\n---\n`;
    let body = this.lines.join('\n');
    if (head.endsWith('---\n') && this.r.chance(0.2) && !body.startsWith(' ') && !body.startsWith('-'))
      body = this.r.pick([`--- ${this.r.pick(['|', '>-', '"x\n  y"', "'a'", '[a,\n b]'])}\n  text\n`, body]);
    if (this.wild && this.r.chance(0.05))
      body += this.r.pick(['\n\x07', '\n\x7f', '\n---\nb: 2', '\n...\nmore', '\na: \ufeffb']);
    if (head.includes('%TAG') && this.r.chance(0.5)) body += '\ntagged: !e!int "12"';
    let text = head + body + (this.r.chance(0.9) ? '\n' : '');
    if (this.r.chance(0.05)) text += '...\n';
    if (this.r.chance(0.15)) text = text.replaceAll('\n', '\r\n');
    else if (this.r.chance(0.03)) text = text.replaceAll('\n', '\r');
    if (this.r.chance(0.08)) text = `\ufeff${text}`;
    return text;
  }
}

export function generatedCases(seed: string, count: number): YamlCase[] {
  const root = new Random(seed);
  return Array.from({ length: count }, (_, i) => ({
    name: `generated-${i}`,
    text: new DocumentGenerator(root.fork(String(i))).document(),
  }));
}
