/**
 * Time is injected: only the composition root builds the system clock; tests step a fake one.
 * A clock owns its timers too, so that a test that moves time also moves what waits for it.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` once, `ms` from now on this clock. */
  setTimer(fn: () => void, ms: number): Timer;
}

/** Timers of the event loop (a delay is capped at setTimeout's limit of about 24.8 days). */
function realTimer(fn: () => void, ms: number): Timer {
  const t = setTimeout(fn, Math.min(Math.max(0, ms), 2 ** 31 - 1));
  return { cancel: () => clearTimeout(t) };
}

export const systemClock: Clock = { now: () => Date.now(), setTimer: realTimer };

/** Resolves after `ms` on the clock, or at once when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A clock tests set by hand. Its timers are the event loop's (a delay is measured from the
 * clock's time when set), so code that waits still wakes up while the time stands still.
 */
export class FakeClock implements Clock {
  private t: number;

  constructor(start: number | string) {
    this.t = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): Timer {
    return realTimer(fn, ms);
  }

  set(t: number | string): void {
    this.t = typeof t === 'string' ? Date.parse(t) : t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets pending promise callbacks (and what they start) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock whose time and timers move only when a test moves them: `advance` steps through the
 * timers that fall due, in order, each at its own time, letting the work each starts settle.
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: ManualTimer[] = [];

  constructor(start: number | string) {
    this.t = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return {
      cancel: () => {
        const i = this.timers.indexOf(timer);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing each timer that falls due at its own time. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}
