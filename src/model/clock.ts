/** Time is injected: only the composition root builds the system clock; tests step a fake one. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  private t: number;

  constructor(start: number | string) {
    this.t = typeof start === 'string' ? Date.parse(start) : start;
  }

  now(): number {
    return this.t;
  }

  set(t: number | string): void {
    this.t = typeof t === 'string' ? Date.parse(t) : t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
