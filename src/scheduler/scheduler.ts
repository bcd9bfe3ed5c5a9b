/**
 * When rules run. Each rule runs every run_every, never twice at once (a run still going when the
 * next is due records a skipped run), with at most `maxConcurrent` runs under way together. Rules
 * run in ticks: every rule due at the same instant starts in the same turn of the event loop, so
 * that their searches share `_msearch` requests (query/msearch-coalescer.ts). First runs are
 * spread over ticks evenly spaced over the first interval (up to a minute), about `rulesPerTick`
 * rules to a tick, so that thousands of rules do not start in the same second and a hundred do
 * not start in a hundred.
 * With --end the scheduler finishes once every rule has covered the window up to the end.
 */
import type { Clock, Timer } from '../model/clock.ts';

/** The shortest interval between runs of a job (run_every is checked to be at least 1 s). */
const MIN_INTERVAL_MS = 1000;

export interface Job {
  name: string;
  intervalMs: number;
  /** Runs once; resolves when done. */
  run(signal: AbortSignal): Promise<void>;
  /** Finished for good (backfill reached --end). */
  done?(): boolean;
  /** Delay the next run until this instant (limit_execution). */
  nextAllowed?(): number | undefined;
}

export interface JobStats {
  runs: number;
  skipped: number;
  running: boolean;
  lastStart: number | undefined;
  lastEnd: number | undefined;
  nextRun: number | undefined;
}

export interface SchedulerOptions {
  clock: Clock;
  maxConcurrent: number;
  /** The longest spread of first runs (ms); defaults to min(interval, 1 min). */
  spreadMs?: number;
  /** The spacing of the ticks first runs are spread on (ms; default 1 s). */
  tickMs?: number;
  /** How many rules a tick takes before the first runs are spread over another (default 100). */
  rulesPerTick?: number;
  onSkipped?: (name: string) => void;
  onError?: (name: string, err: unknown) => void;
}

const DEFAULT_TICK_MS = 1000;
const DEFAULT_RULES_PER_TICK = 100;
const DEFAULT_SPREAD_MS = 60_000;

function nameHash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * A stable offset of a rule's first run from a name, so restarts keep the same rhythm: one of as
 * many ticks as `jobs` rules need at `perTick` rules to a tick (at most one per `tickMs`), the ticks
 * spaced evenly over [0, spread) on whole `tickMs`.
 */
export function firstRunOffset(
  name: string,
  spread: number,
  jobs: number,
  tickMs: number,
  perTick: number,
): number {
  const ticks = Math.min(Math.floor(spread / tickMs), Math.ceil(jobs / perTick));
  if (ticks <= 1) return 0;
  const spacing = Math.floor(spread / ticks / tickMs) * tickMs;
  return (nameHash(name) % ticks) * spacing;
}

interface Entry {
  job: Job;
  stats: JobStats;
  /** The instant of the tick it is armed in, if armed. */
  armedAt: number | undefined;
  due: number;
  queued: boolean;
}

/** The rules due at one instant, fired together by one timer. */
interface Tick {
  timer: Timer;
  entries: Set<Entry>;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly ticks = new Map<number, Tick>();
  private readonly queue: Entry[] = [];
  private active = 0;
  private running = false;
  private readonly abort = new AbortController();
  private readonly inflight = new Set<Promise<void>>();
  private finishedResolve: (() => void) | undefined;
  private readonly o: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.o = options;
  }

  /** Adds a job, or replaces the job of that name (keeping its rhythm and stats). */
  add(job: Job): void {
    const existing = this.entries.get(job.name);
    if (existing) {
      existing.job = job;
      return;
    }
    const entry: Entry = {
      job,
      stats: {
        runs: 0,
        skipped: 0,
        running: false,
        lastStart: undefined,
        lastEnd: undefined,
        nextRun: undefined,
      },
      armedAt: undefined,
      due: 0,
      queued: false,
    };
    this.entries.set(job.name, entry);
    if (this.running) {
      entry.due = this.firstDue(job, this.o.clock.now());
      this.arm(entry);
    }
  }

  /** When a job's first run is due, counted from `base` (the same for every rule started together). */
  private firstDue(job: Job, base: number): number {
    const spread = this.o.spreadMs ?? Math.min(job.intervalMs, DEFAULT_SPREAD_MS);
    const offset = firstRunOffset(
      job.name,
      spread,
      this.entries.size,
      this.o.tickMs ?? DEFAULT_TICK_MS,
      this.o.rulesPerTick ?? DEFAULT_RULES_PER_TICK,
    );
    return base + offset;
  }

  remove(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    this.disarm(e);
    this.entries.delete(name);
    const q = this.queue.indexOf(e);
    if (q >= 0) this.queue.splice(q, 1);
    this.checkFinished();
  }

  /**
   * Runs a job now rather than at its next time, its rhythm continuing from now (replicas: a rule
   * taken over from another instance). Nothing happens while it runs or waits its turn.
   */
  runSoon(name: string): void {
    const e = this.entries.get(name);
    if (!e || !this.running || e.stats.running || e.queued) return;
    e.due = this.o.clock.now();
    this.arm(e);
  }

  stats(name: string): JobStats | undefined {
    return this.entries.get(name)?.stats;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  start(): void {
    this.running = true;
    const base = this.o.clock.now();
    for (const e of this.entries.values()) e.due = this.firstDue(e.job, base);
    for (const e of this.entries.values()) this.arm(e);
  }

  /** Resolves when every job is done (backfill) — never, for jobs that run forever. */
  finished(): Promise<void> {
    return new Promise((resolve) => {
      this.finishedResolve = resolve;
      this.checkFinished();
    });
  }

  /** Stops scheduling; aborts running jobs after `graceMs` and waits for them. */
  async stop(graceMs = 30_000): Promise<void> {
    this.running = false;
    for (const e of this.entries.values()) this.disarm(e);
    this.queue.length = 0;
    const all = Promise.all([...this.inflight]);
    let timer: Timer | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.o.clock.setTimer(() => {
        this.abort.abort();
        resolve();
      }, graceMs);
    });
    await Promise.race([all, timeout]);
    timer?.cancel();
    this.abort.abort();
    await all;
  }

  private arm(e: Entry): void {
    this.disarm(e);
    if (!this.running) return;
    const allowed = e.job.nextAllowed?.();
    if (allowed !== undefined && allowed > e.due) e.due = allowed;
    e.stats.nextRun = e.due;
    const at = e.due;
    let tick = this.ticks.get(at);
    if (!tick) {
      const delay = Math.max(0, at - this.o.clock.now());
      tick = { entries: new Set(), timer: this.o.clock.setTimer(() => this.fireTick(at), delay) };
      this.ticks.set(at, tick);
    }
    tick.entries.add(e);
    e.armedAt = at;
  }

  private disarm(e: Entry): void {
    const at = e.armedAt;
    if (at === undefined) return;
    e.armedAt = undefined;
    const tick = this.ticks.get(at);
    if (!tick) return;
    tick.entries.delete(e);
    if (tick.entries.size === 0) {
      tick.timer.cancel();
      this.ticks.delete(at);
    }
  }

  /** Every rule due at `at`, in one go: their runs start in this turn of the event loop. */
  private fireTick(at: number): void {
    const tick = this.ticks.get(at);
    if (!tick) return;
    this.ticks.delete(at);
    for (const e of tick.entries) {
      e.armedAt = undefined;
      this.fire(e);
    }
  }

  private fire(e: Entry): void {
    if (!this.running || !this.entries.has(e.job.name)) return;
    if (e.stats.running || e.queued) {
      e.stats.skipped++;
      this.o.onSkipped?.(e.job.name);
    } else {
      e.queued = true;
      this.queue.push(e);
      this.pump();
    }
    // fixed rate: the next run is due one interval after this one was
    const interval = Math.max(e.job.intervalMs, MIN_INTERVAL_MS);
    e.due += interval;
    const now = this.o.clock.now();
    if (e.due <= now) e.due = now + interval;
    if (!e.job.done?.()) this.arm(e);
  }

  private pump(): void {
    while (this.running && this.active < this.o.maxConcurrent && this.queue.length > 0) {
      const e = this.queue.shift()!;
      e.queued = false;
      this.active++;
      e.stats.running = true;
      e.stats.lastStart = this.o.clock.now();
      const p = e.job
        .run(this.abort.signal)
        .catch((err: unknown) => this.o.onError?.(e.job.name, err))
        .finally(() => {
          this.active--;
          e.stats.running = false;
          e.stats.runs++;
          e.stats.lastEnd = this.o.clock.now();
          this.inflight.delete(p);
          if (e.job.done?.()) {
            this.disarm(e);
            e.stats.nextRun = undefined;
          }
          this.checkFinished();
          this.pump();
        });
      this.inflight.add(p);
    }
  }

  private checkFinished(): void {
    if (!this.finishedResolve) return;
    const jobs = [...this.entries.values()];
    if (jobs.every((e) => e.job.done?.() && !e.stats.running && !e.queued)) {
      const r = this.finishedResolve;
      this.finishedResolve = undefined;
      r();
    }
  }
}
