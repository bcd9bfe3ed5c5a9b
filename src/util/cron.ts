/**
 * Cron expressions (limit_execution, aggregation schedules), parsed and validated by node-cron's
 * parser; the next matching time is computed here, in a given time zone, from any instant (so the
 * engine's injected clock, not the wall clock, decides).
 */
import nodeCron from 'node-cron';
import { EsalertError } from '../errors/esalert-error.ts';
import { wallTime } from './time.ts';

const MINUTE = 60_000;

export class Cron {
  readonly expression: string;
  private readonly seconds: Set<number>;
  private readonly minutes: Set<number>;
  private readonly hours: Set<number>;
  private readonly months: Set<number>;
  private readonly daysOfMonth: Set<number>;
  private readonly lastDayOfMonth: boolean;
  private readonly daysOfWeek: Set<number>;
  private readonly domRestricted: boolean;
  private readonly dowRestricted: boolean;

  constructor(expression: string) {
    this.expression = expression;
    const check = nodeCron.validateDetailed(expression);
    if (!check.valid) {
      const why = check.errors.map((e) => e.message).join('; ') || 'not a cron expression';
      throw new EsalertError(
        'RULE_INVALID',
        `invalid cron expression "${expression}": ${why} (fields: minute hour day-of-month month day-of-week)`,
      );
    }
    const f = nodeCron.parse(expression);
    const nums = (xs: (number | string)[], what: string) =>
      xs.map((x) => {
        if (typeof x === 'number') return x;
        throw new EsalertError(
          'RULE_INVALID',
          `invalid cron expression "${expression}": "${x}" in ${what} is not supported`,
        );
      });
    this.seconds = new Set(f.second);
    this.minutes = new Set(f.minute);
    this.hours = new Set(f.hour);
    this.months = new Set(f.month);
    this.lastDayOfMonth = f.dayOfMonth.includes('L');
    const dom = nums(
      f.dayOfMonth.filter((x) => x !== 'L'),
      'day of month',
    );
    this.daysOfMonth = new Set(dom);
    this.daysOfWeek = new Set(nums(f.dayOfWeek, 'day of week').map((d) => d % 7));
    this.domRestricted = this.lastDayOfMonth || dom.length < 31;
    this.dowRestricted = this.daysOfWeek.size < 7;
  }

  private dayMatches(year: number, month: number, day: number, weekday: number): boolean {
    if (!this.months.has(month)) return false;
    const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
    const domOk = this.daysOfMonth.has(day) || (this.lastDayOfMonth && day === last);
    const dowOk = this.daysOfWeek.has(weekday);
    // Vixie cron: when both are restricted, either may match.
    if (this.domRestricted && this.dowRestricted) return domOk || dowOk;
    return (!this.domRestricted || domOk) && (!this.dowRestricted || dowOk);
  }

  /** The first matching instant strictly after `afterMs`, evaluated in `timeZone`. */
  next(afterMs: number, timeZone = 'UTC'): number {
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    const limit = afterMs + 5 * 366 * 86_400_000;
    while (t <= limit) {
      const w = wallTime(t, timeZone);
      if (!this.dayMatches(w.year, w.month, w.day, w.weekday)) {
        t += ((23 - w.hour) * 60 + (59 - w.minute)) * MINUTE + (60 - w.second) * 1000;
        continue;
      }
      if (!this.hours.has(w.hour)) {
        t += (59 - w.minute) * MINUTE + (60 - w.second) * 1000;
        continue;
      }
      if (!this.minutes.has(w.minute)) {
        t += (60 - w.second) * 1000;
        continue;
      }
      if (!this.seconds.has(w.second)) {
        t += 1000;
        continue;
      }
      return t;
    }
    throw new EsalertError('RULE_INVALID', `cron expression "${this.expression}" never matches`);
  }
}
