/**
 * Text analysis as Elasticsearch's `standard` analyzer does it: Lucene's StandardTokenizer (the
 * word-boundary rules of Unicode UAX #29) followed by a lowercase filter, no stop words.
 *
 * The word-break rules implemented are the ones that matter for machine text and European
 * languages: letters and digits join (WB5, WB8-WB10), a single `.`, `'`, `:` or `’` between two
 * letters does not break (WB6/WB7: `registry.k8s.io`, `didn't`), a single `.` or `,` or `;`
 * between two digits does not break (WB11/WB12: `1.14.2`, `1,000`), `_` joins (WB13a/b:
 * `pod_prod`), Katakana runs join, each Han or Hiragana character is a token of its own, and
 * combining marks stay with their base (WB4). Left out: Hebrew quote rules, emoji sequences and
 * regional indicators (emoji produce no token here), and Southeast Asian dictionary segmentation.
 */

type WordClass = number;
const Other = 0;
const ALetter = 1;
const Numeric = 2;
const MidLetter = 3;
const MidNum = 4;
const MidNumLet = 5;
const ExtendNumLet = 6;
const Katakana = 7;
const Ideographic = 8;
const Extend = 9;
const Newline = 10;
const Emoji = 11;
const RegionalIndicator = 12;

/** Lucene's default maximum token length: longer runs are split into pieces of this size. */
export const MAX_TOKEN_LENGTH = 255;

const MID_LETTER = new Set([0x3a, 0xb7, 0x387, 0x55f, 0x5f4, 0x2027, 0xfe13, 0xfe55, 0xff1a]);
const MID_NUM = new Set([
  0x2c, 0x3b, 0x37e, 0x589, 0x60c, 0x60d, 0x66c, 0x7f8, 0x2044, 0xfe10, 0xfe14, 0xfe50, 0xfe54, 0xff0c,
  0xff1b,
]);
const MID_NUM_LET = new Set([0x2e, 0x27, 0x2018, 0x2019, 0x2024, 0xfe52, 0xff07, 0xff0e]);

const RE_HAN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Bopomofo}]/u;
const RE_KATAKANA = /[\p{Script=Katakana}\u30fc\uff70]/u;
const RE_LETTER = /[\p{L}\p{Nl}]/u;
const RE_DIGIT = /\p{Nd}/u;
const RE_EXTEND = /[\p{M}\p{Cf}\p{Emoji_Modifier}\u200d]/u;
const RE_PC = /\p{Pc}/u;
const RE_EMOJI = /\p{Extended_Pictographic}/u;

const classCache = new Map<number, WordClass>();

function classify(cp: number): WordClass {
  if (cp < 0x80) {
    if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a)) return ALetter;
    if (cp >= 0x30 && cp <= 0x39) return Numeric;
    if (cp === 0x5f) return ExtendNumLet;
    if (cp === 0x2e || cp === 0x27) return MidNumLet;
    if (cp === 0x3a) return MidLetter;
    if (cp === 0x2c || cp === 0x3b) return MidNum;
    if (cp === 0x0a || cp === 0x0d || cp === 0x0b || cp === 0x0c) return Newline;
    return Other;
  }
  const cached = classCache.get(cp);
  if (cached !== undefined) return cached;
  const ch = String.fromCodePoint(cp);
  let c: WordClass;
  if (MID_LETTER.has(cp)) c = MidLetter;
  else if (MID_NUM.has(cp)) c = MidNum;
  else if (MID_NUM_LET.has(cp)) c = MidNumLet;
  else if (cp === 0x85 || cp === 0x2028 || cp === 0x2029) c = Newline;
  else if (cp >= 0x1f1e6 && cp <= 0x1f1ff) c = RegionalIndicator;
  else if (RE_EMOJI.test(ch)) c = Emoji;
  else if (RE_EXTEND.test(ch)) c = Extend;
  else if (RE_KATAKANA.test(ch)) c = Katakana;
  else if (RE_HAN.test(ch)) c = Ideographic;
  else if (RE_LETTER.test(ch)) c = ALetter;
  else if (RE_DIGIT.test(ch)) c = Numeric;
  else if (RE_PC.test(ch) || cp === 0x202f) c = ExtendNumLet;
  else c = Other;
  classCache.set(cp, c);
  return c;
}

const isAHLetter = (c: WordClass) => c === ALetter;
const isMidLetterQ = (c: WordClass) => c === MidLetter || c === MidNumLet;
const isMidNumQ = (c: WordClass) => c === MidNum || c === MidNumLet;

/** True when UAX #29 keeps units b-1 and b together (no word boundary between them). */
function joins(cls: WordClass[], zwj: boolean[], b: number): boolean {
  const x = cls[b - 1]!;
  const y = cls[b]!;
  const w = b >= 2 ? cls[b - 2] : undefined;
  const z = b + 1 < cls.length ? cls[b + 1] : undefined;
  if (zwj[b - 1] && y === Emoji) return true; // WB3c
  if (x === RegionalIndicator && y === RegionalIndicator) {
    let run = 0; // WB15/WB16: flags are pairs of regional indicators
    for (let k = b - 1; k >= 0 && cls[k] === RegionalIndicator; k--) run++;
    return run % 2 === 1;
  }
  if (isAHLetter(x) && isAHLetter(y)) return true; // WB5
  if (isAHLetter(x) && isMidLetterQ(y) && z !== undefined && isAHLetter(z)) return true; // WB6
  if (w !== undefined && isAHLetter(w) && isMidLetterQ(x) && isAHLetter(y)) return true; // WB7
  if (x === Numeric && y === Numeric) return true; // WB8
  if (isAHLetter(x) && y === Numeric) return true; // WB9
  if (x === Numeric && isAHLetter(y)) return true; // WB10
  if (w === Numeric && isMidNumQ(x) && y === Numeric) return true; // WB11
  if (x === Numeric && isMidNumQ(y) && z === Numeric) return true; // WB12
  if (x === Katakana && y === Katakana) return true; // WB13
  if ((isAHLetter(x) || x === Numeric || x === Katakana || x === ExtendNumLet) && y === ExtendNumLet)
    return true; // WB13a
  if (x === ExtendNumLet && (isAHLetter(y) || y === Numeric || y === Katakana)) return true; // WB13b
  return false;
}

const wordLike = (c: WordClass) =>
  c === ALetter ||
  c === Numeric ||
  c === Katakana ||
  c === Ideographic ||
  c === Emoji ||
  c === RegionalIndicator;

export interface Token {
  term: string;
  position: number;
}

/** Lowercases code point by code point, as Lucene's LowerCaseFilter (Character.toLowerCase) does. */
export function lowercase(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s.toLowerCase();
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x130) out += 'i';
    else {
      const l = ch.toLowerCase();
      out += [...l].length === 1 ? l : ch;
    }
  }
  return out;
}

/** The words of `text` (UAX #29 word segmentation, not lowercased), with their positions from `firstPosition`. */
export function tokenize(text: string, firstPosition = 0): Token[] {
  // units: a base character with its trailing Extend/Format characters (WB4)
  const starts: number[] = [];
  const ends: number[] = [];
  const cls: WordClass[] = [];
  const zwj: boolean[] = [];
  for (let i = 0; i < text.length;) {
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const c = classify(cp);
    if (c === Extend && cls.length > 0 && cls[cls.length - 1] !== Newline && cls[cls.length - 1] !== Other) {
      ends[ends.length - 1] = i + len;
      zwj[zwj.length - 1] = cp === 0x200d;
    } else {
      starts.push(i);
      ends.push(i + len);
      cls.push(c === Extend ? Other : c);
      zwj.push(false);
    }
    i += len;
  }
  const tokens: Token[] = [];
  let position = firstPosition;
  let segStart = 0;
  const emit = (from: number, to: number) => {
    let hasWord = false;
    for (let k = from; k < to; k++) {
      if (wordLike(cls[k]!)) {
        hasWord = true;
        break;
      }
    }
    if (!hasWord) return;
    const word = text.slice(starts[from], ends[to - 1]);
    for (let off = 0; off < word.length; off += MAX_TOKEN_LENGTH) {
      tokens.push({ term: word.slice(off, off + MAX_TOKEN_LENGTH), position: position++ });
    }
  };
  for (let b = 1; b <= cls.length; b++) {
    const boundary =
      b === cls.length || cls[b - 1] === Ideographic || cls[b] === Ideographic || !joins(cls, zwj, b);
    if (boundary) {
      emit(segStart, b);
      segStart = b;
    }
  }
  return tokens;
}

/** The standard analyzer: tokens lowercased. */
export function analyze(text: string, firstPosition = 0): Token[] {
  const tokens = tokenize(text, firstPosition);
  for (const t of tokens) t.term = lowercase(t.term);
  return tokens;
}

/** The standard analyzer's normalization of a whole string (for wildcard, prefix, fuzzy and range terms): lowercase only. */
export function normalize(text: string): string {
  return lowercase(text);
}

/** Positions between the values of a multi-valued text field (Elasticsearch's position_increment_gap). */
export const POSITION_INCREMENT_GAP = 100;
