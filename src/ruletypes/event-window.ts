import type { Doc } from '../model/lookup.ts';

export interface WindowEntry {
  ts: number;
  count: number;
  doc: Doc;
  /** Inserted by garbage collection to slide the window when no data arrives. */
  placeholder?: boolean;
}

/**
 * A time-ordered window of (event, count) entries spanning less than `timeframeMs`, as ElastAlert 2's
 * EventWindow: appending evicts the oldest entries while newest - oldest >= timeframe (so the window
 * holds events with ts > newest - timeframe) and hands each evicted entry to `onRemoved`. Entries
 * may arrive out of order; ties keep arrival order.
 */
export class EventWindow {
  private items: WindowEntry[] = [];
  private head = 0;
  private running = 0;
  readonly timeframeMs: number;
  private readonly onRemoved: ((e: WindowEntry) => void) | undefined;

  constructor(timeframeMs: number, onRemoved?: (e: WindowEntry) => void) {
    this.timeframeMs = timeframeMs;
    this.onRemoved = onRemoved;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get oldest(): WindowEntry | undefined {
    return this.items[this.head];
  }

  get newest(): WindowEntry | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  entries(): WindowEntry[] {
    return this.items.slice(this.head);
  }

  append(entry: WindowEntry): void {
    const last = this.newest;
    if (!last || entry.ts >= last.ts) {
      this.items.push(entry);
    } else {
      // binary search for the first entry with ts > entry.ts (insert after equal timestamps)
      let lo = this.head;
      let hi = this.items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.items[mid]!.ts <= entry.ts) lo = mid + 1;
        else hi = mid;
      }
      this.items.splice(lo, 0, entry);
    }
    this.running += entry.count;
    while (this.size > 0 && this.newest!.ts - this.oldest!.ts >= this.timeframeMs) {
      const removed = this.items[this.head]!;
      this.head++;
      this.running -= removed.count;
      this.onRemoved?.(removed);
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.running = 0;
  }

  count(): number {
    return this.running;
  }

  /** Mean count over real (non-placeholder) entries; undefined when there are none. */
  mean(): number | undefined {
    let sum = 0;
    let n = 0;
    for (let i = this.head; i < this.items.length; i++) {
      const e = this.items[i]!;
      if (e.placeholder) continue;
      sum += e.count;
      n++;
    }
    return n > 0 ? sum / n : undefined;
  }

  min(): number | undefined {
    let m: number | undefined;
    for (let i = this.head; i < this.items.length; i++)
      m = m === undefined ? this.items[i]!.count : Math.min(m, this.items[i]!.count);
    return m;
  }

  max(): number | undefined {
    let m: number | undefined;
    for (let i = this.head; i < this.items.length; i++)
      m = m === undefined ? this.items[i]!.count : Math.max(m, this.items[i]!.count);
    return m;
  }
}
