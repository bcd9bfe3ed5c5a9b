/**
 * ElastAlert 2's SpikeRule windows, shared by spike and spike_aggregation: per query key a
 * current window and a reference window of `timeframe` each (entries leaving the current one enter
 * the reference one), compared when the key has two timeframes of history.
 */
import { EventWindow, type WindowEntry } from './event-window.ts';
import type { MatchCollector, RuleTypeContext } from './rule-type.ts';
import type { Doc } from '../model/lookup.ts';
import { toIso } from '../util/time.ts';

export interface SpikeSettings {
  timeframe: number;
  spike_height: number;
  spike_type: 'up' | 'down' | 'both';
  threshold_ref: number;
  threshold_cur: number;
  alert_on_new_data: boolean;
}

export interface SpikeMeasure {
  /** The compared values of a key's windows: [reference, current]. */
  values(ref: EventWindow, cur: EventWindow): [number | undefined, number | undefined];
  /** Counts (thresholds apply) as opposed to field_value averages (zero never spikes). */
  counts: boolean;
  /** The current-window entry reported as the match. */
  pick(entries: WindowEntry[]): WindowEntry;
}

export interface SpikeKey {
  cur: EventWindow;
  ref: EventWindow;
}

export class SpikeTracker {
  readonly keys = new Map<string, SpikeKey>();
  /**
   * The first entry time per key, kept apart from the windows as ElastAlert 2 keeps first_event:
   * a key whose windows were forgotten (garbage collection) keeps it, only a match resets it.
   */
  private readonly first = new Map<string, number>();
  private readonly skipUntil = new Map<string, number>();
  private refFilledOnce = false;
  /** send_resolved: keys compared and found no spike (or forgotten, both windows empty), and when. */
  private cleared = new Map<string, number>();
  private readonly ctx: RuleTypeContext;
  private readonly o: SpikeSettings;
  private readonly measure: SpikeMeasure;
  private readonly matches: MatchCollector;

  constructor(ctx: RuleTypeContext, o: SpikeSettings, measure: SpikeMeasure, matches: MatchCollector) {
    this.ctx = ctx;
    this.o = o;
    this.measure = measure;
    this.matches = matches;
  }

  private stateFor(qk: string): SpikeKey {
    let s = this.keys.get(qk);
    if (!s) {
      const ref = new EventWindow(this.o.timeframe);
      s = { ref, cur: new EventWindow(this.o.timeframe, (e) => ref.append(e)) };
      this.keys.set(qk, s);
    }
    return s;
  }

  /**
   * ElastAlert 2's find_matches. Deviation (docs/deviations.md): an up-spike needs more than the
   * reference and a down-spike less, so 0 vs 0 does not fire; compat_spike_on_zero restores it.
   */
  isSpike(ref: number | undefined, cur: number | undefined): boolean {
    const o = this.o;
    if (this.measure.counts && cur !== undefined && ref !== undefined) {
      if (cur < o.threshold_cur || ref < o.threshold_ref) return false;
    } else if (ref === undefined || ref === 0 || cur === undefined || cur === 0) {
      return false;
    }
    let up = cur >= ref * o.spike_height;
    let down = cur <= ref / o.spike_height;
    if (!this.ctx.compat.spikeOnZero) {
      up &&= cur > ref;
      down &&= cur < ref;
    }
    return (o.spike_type !== 'down' && up) || (o.spike_type !== 'up' && down);
  }

  /**
   * ElastAlert 2's garbage_collect: keys whose windows both sum to zero are forgotten, every other
   * key gets a zero-count placeholder at `ms` so its windows slide even when no data came for it
   * (the placeholder may itself complete a spike).
   */
  collect(ms: number): void {
    for (const [qk, s] of [...this.keys]) {
      if (qk !== 'all' && s.ref.count() === 0 && s.cur.count() === 0) {
        this.keys.delete(qk);
        this.cleared.set(qk, ms);
        continue;
      }
      const doc: Doc = { [this.ctx.timestampField]: toIso(ms), placeholder: true };
      if (qk !== 'all' && this.ctx.queryKey) doc[this.ctx.queryKey] = qk;
      this.handle({ ts: ms, count: 0, doc, placeholder: true }, qk);
    }
  }

  /** The keys found without a spike since the last call, with the latest time each was. */
  takeCleared(): Map<string, number> {
    const out = this.cleared;
    this.cleared = new Map();
    return out;
  }

  /** ElastAlert 2's handle_event: append, then compare once the key (or alert_on_new_data) allows. */
  handle(entry: WindowEntry, qk: string): void {
    const o = this.o;
    const tf = o.timeframe;
    const s = this.stateFor(qk);
    if (!this.first.has(qk)) this.first.set(qk, entry.ts);
    s.cur.append(entry);
    if (entry.ts - this.first.get(qk)! < 2 * tf) {
      if (!this.refFilledOnce) return;
      if (!(this.ctx.queryKey && o.alert_on_new_data)) return;
      const skip = this.skipUntil.get(qk);
      if (skip !== undefined && entry.ts < skip) return;
    } else {
      this.refFilledOnce = true;
    }
    const [ref, cur] = this.measure.values(s.ref, s.cur);
    if (!this.isSpike(ref, cur)) {
      this.cleared.set(qk, entry.ts);
      return;
    }
    const found = this.measure.pick(s.cur.entries());
    this.matches.add(found.doc, found.ts, { spike_count: cur, reference_count: ref });
    s.ref.clear();
    this.first.delete(qk);
    this.skipUntil.set(qk, found.ts + 2 * tf);
  }
}
