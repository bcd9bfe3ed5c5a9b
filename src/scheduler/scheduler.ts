/**
 * When rules run. Each rule runs every run_every, never twice at once (a run still going when the
 * next is due records a skipped run), with at most max_threads rules querying together. First
 * runs are spread over the first interval so hundreds of rules do not start in the same second.
 * With --end the scheduler finishes once every rule has covered the window up to the end.
 */
import type { Clock, Timer } from '../model/clock.ts';

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
  /** Spread of first runs (ms); defaults to min(interval, 15 s). */
  spreadMs?: number;
  onSkipped?: (name: string) => void;
  onError?: (name: string, err: unknown) => void;
}

/** A stable offset in [0, spread) from a rule name, so restarts keep the same rhythm. */
function offsetFor(name: string, spread: number): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return spread > 0 ? (h >>> 0) % spread : 0;
}

interface Entry {
  job: Job;
  stats: JobStats;
  timer: Timer | undefined;
  due: number;
  queued: boolean;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
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
    const spread = this.o.spreadMs ?? Math.min(job.intervalMs, 15_000);
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
      timer: undefined,
      due: this.o.clock.now() + offsetFor(job.name, spread),
      queued: false,
    };
    this.entries.set(job.name, entry);
    if (this.running) this.arm(entry);
  }

  remove(name: string): void {
    const e = this.entries.get(name);
    if (!e) return;
    e.timer?.cancel();
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
    for (const e of this.entries.values()) e.timer?.cancel();
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
    e.timer?.cancel();
    if (!this.running) return;
    const allowed = e.job.nextAllowed?.();
    if (allowed !== undefined && allowed > e.due) e.due = allowed;
    e.stats.nextRun = e.due;
    const delay = Math.max(0, e.due - this.o.clock.now());
    e.timer = this.o.clock.setTimer(() => this.fire(e), delay);
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
    e.due += e.job.intervalMs;
    const now = this.o.clock.now();
    if (e.due <= now) e.due = now + e.job.intervalMs;
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
            e.timer?.cancel();
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
