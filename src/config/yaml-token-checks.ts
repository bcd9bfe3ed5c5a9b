/**
 * What PyYAML's scanner and parser refuse but the `yaml` package reads, checked on the lexer's
 * tokens as they pass (yaml-parse.ts): tabs outside quoted and block scalars and comments, and
 * in flow collections (`[...]`, `{...}`) a "?" inside an unquoted value, a ":" with no key before
 * it, two values without a "," between them, and an implicit key over more than one line; and
 * implicit keys longer than 1024 characters, which PyYAML counts from the key's first character
 * (the yaml package from the line's start).
 */
import { CST, type LineCounter } from 'yaml';

export interface Refusal {
  message: string;
  offset: number;
}

const TAB_TOKENS = new Set(['single-quoted-scalar', 'double-quoted-scalar', 'comment']);
const TRIVIA = new Set(['space', 'newline', 'comment']);
const NO_KEY_BEFORE = new Set(['flow-seq-start', 'flow-map-start', 'comma', 'map-value-ind']);
const BLOCK_INDICATORS = new Set(['seq-item-ind', 'explicit-key-ind', 'map-value-ind', 'doc-start']);
const PYYAML = 'ElastAlert 2 (PyYAML) refuses';

/** One open flow collection: where its current entry's key starts, and whether it is past the ":". */
interface Frame {
  keyStart: number | undefined;
  explicitKey: boolean;
  inValue: boolean;
  /** A whole value was read since the last "," or ":". */
  nodeDone: boolean;
}

const NODE_END = new Set(['plain', 'single-quoted-scalar', 'double-quoted-scalar', 'alias']);
const NODE_START = new Set([...NODE_END, 'anchor', 'tag', 'flow-seq-start', 'flow-map-start']);
const fresh = (): Frame => ({ keyStart: undefined, explicitKey: false, inValue: false, nodeDone: false });

export class PyYamlTokenChecks {
  /** The first thing PyYAML would refuse, if any. */
  refused: Refusal | undefined;
  private readonly lines: LineCounter;
  private offset = 0;
  private readonly frames: Frame[] = [];
  private last = '';
  private blockHeader = false;
  /** Where the key of the block mapping entry on this line may start (a line's or an indicator's next token). */
  private blockKeyStart: number | undefined;
  private keyMayStart = true;
  private scalarNext: 'plain' | 'block' | undefined;

  constructor(lines: LineCounter) {
    this.lines = lines;
  }

  refuse(message: string, offset: number): void {
    this.refused ??= { message, offset };
  }

  /** Sees the lexer's next lexeme. */
  see(lexeme: string): void {
    const type = CST.tokenType(lexeme) ?? '';
    if (type === 'scalar') {
      this.scalarNext = this.blockHeader ? 'block' : 'plain';
      this.blockHeader = false;
      return;
    }
    if (type === 'flow-error-end') this.frames.length = 0;
    if (type === 'doc-mode' || type === 'flow-error-end') return;
    const offset = this.offset;
    this.offset += lexeme.length;
    if (type === 'block-scalar-header') this.blockHeader = true;

    // PyYAML's scanner skips only spaces between tokens
    const tab = lexeme.indexOf('\t');
    if (tab !== -1 && this.scalarNext !== 'block' && !TAB_TOKENS.has(type))
      this.refuse(
        `a tab outside a quoted or block scalar or a comment, which ${PYYAML}: use spaces`,
        offset + tab,
      );
    const frame = this.frames.at(-1);
    if (frame) this.flowToken(frame, type, lexeme, offset);
    else this.blockToken(type, offset);
    if (type === 'flow-seq-start' || type === 'flow-map-start') this.frames.push(fresh());
    if (!TRIVIA.has(type)) this.last = type;
    this.scalarNext = undefined;
  }

  private blockToken(type: string, offset: number): void {
    if (type === 'newline' || BLOCK_INDICATORS.has(type)) {
      if (type === 'map-value-ind' && this.blockKeyStart !== undefined && offset - this.blockKeyStart > 1024)
        this.refuse(`a key longer than 1024 characters, which ${PYYAML}`, this.blockKeyStart);
      this.keyMayStart = true;
    } else if (!TRIVIA.has(type) && this.keyMayStart) {
      this.blockKeyStart = offset;
      this.keyMayStart = false;
    }
  }

  private flowToken(frame: Frame, type: string, lexeme: string, offset: number): void {
    // PyYAML ends an unquoted value at "?" in a flow collection; what follows is then an error
    const question = lexeme.indexOf('?');
    if (this.scalarNext === 'plain' && question > 0)
      this.refuse(
        `a "?" inside an unquoted value in [...] or {...}, which ${PYYAML}: quote the value`,
        offset + question,
      );
    // two values in a row: PyYAML wants a "," (or the closing bracket) between them
    const node = this.scalarNext === 'plain' ? 'plain' : type;
    if (frame.nodeDone && NODE_START.has(node))
      this.refuse('a "," or a closing bracket is missing before this, inside [...] or {...}', offset);
    if (NODE_END.has(node)) frame.nodeDone = true;
    switch (type) {
      case 'flow-seq-end':
      case 'flow-map-end': {
        this.frames.pop();
        const parent = this.frames.at(-1);
        if (parent) parent.nodeDone = true;
        return;
      }
      case 'comma':
        Object.assign(frame, fresh());
        return;
      case 'explicit-key-ind':
        frame.explicitKey = true;
        frame.nodeDone = false;
        return;
      case 'map-value-ind':
        if (NO_KEY_BEFORE.has(this.last))
          this.refuse(
            `a ":" with no key before it inside [...] or {...}, which ${PYYAML}: quote the value`,
            offset,
          );
        else if (!frame.explicitKey && frame.keyStart !== undefined && !frame.inValue) {
          const sameLine = this.lines.linePos(frame.keyStart).line === this.lines.linePos(offset).line;
          if (!sameLine || offset - frame.keyStart > 1024)
            this.refuse(
              `a key inside [...] or {...} must be on one line and at most 1024 characters long, or ${PYYAML} it`,
              frame.keyStart,
            );
        }
        frame.inValue = true;
        frame.nodeDone = false;
        return;
      default:
        if (!TRIVIA.has(type) && frame.keyStart === undefined && !frame.inValue) frame.keyStart = offset;
    }
  }
}
