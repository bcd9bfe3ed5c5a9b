/**
 * One line of progress on a terminal (stderr), rewritten in place at most ten times a second.
 * Only used when stderr is a TTY and the output is not JSON.
 */
export interface ProgressLine {
  update(text: string): void;
  clear(): void;
}

export function progressLine(
  stream: NodeJS.WriteStream,
  now: () => number = () => performance.now(),
): ProgressLine {
  let last = -Infinity;
  let shown = false;
  return {
    update(text) {
      const t = now();
      if (t - last < 100) return;
      last = t;
      shown = true;
      stream.write(`\r\x1b[K${text.slice(0, Math.max(20, (stream.columns || 120) - 1))}`);
    },
    clear() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}

/** Segments of backfill runs over all rules: done/total, hits, matches, rate. */
export class BackfillProgress {
  private readonly perRule = new Map<string, { done: number; total: number; hits: number }>();
  private matches = 0;
  private readonly started: number;
  private readonly now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.now = now;
    this.started = now();
  }

  segment(rule: string, p: { segmentsDone: number; segmentsTotal: number; hits: number }): void {
    this.perRule.set(rule, { done: p.segmentsDone, total: p.segmentsTotal, hits: p.hits });
  }

  ruleRun(matches: number): void {
    this.matches += matches;
  }

  text(): string {
    let done = 0;
    let total = 0;
    let hits = 0;
    for (const r of this.perRule.values()) {
      done += r.done;
      total += r.total;
      hits += r.hits;
    }
    const seconds = Math.max(0.001, (this.now() - this.started) / 1000);
    const pct = total ? ` (${Math.floor((100 * done) / total)}%)` : '';
    return `segments ${done}/${total}${pct}, ${hits} hits, ${this.matches} matches, ${Math.round(done / seconds)} segments/s, ${Math.round(hits / seconds)} hits/s`;
  }
}
