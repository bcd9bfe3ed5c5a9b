/**
 * `self_alert:` in config.yaml: esalert telling someone when it cannot do its job. The section
 * names alerters (as a rule's `alert`, with their options beside it) and thresholds:
 *
 *   self_alert:
 *     alert: [dingtalk]
 *     dingtalk_access_token: ...
 *     es_unreachable_after: {minutes: 5}
 *     rule_failures: 3                       # runs in a row
 *     alerter_failing_after: {minutes: 10}   # retrying this long (refusing: at once)
 *     outbox_age: {minutes: 30}
 *     rule_load_errors: true
 *     heartbeat: {hours: 1}                  # optional "still alive"
 *     check_every: {seconds: 30}
 */
import { z } from 'zod';
import { duration, type Problem, problemsFromZod } from './fields.ts';

export interface SelfAlertSettings {
  alerts: { name: string; options: Record<string, unknown> }[];
  /** The section itself: what its alerters read their options from. */
  options: Record<string, unknown>;
  esUnreachableMs: number;
  ruleFailures: number;
  alerterFailingMs: number;
  outboxAgeMs: number;
  ruleLoadErrors: boolean;
  heartbeatMs: number | undefined;
  checkEveryMs: number;
}

export const SELF_ALERT_KEYS = [
  'alert',
  'es_unreachable_after',
  'rule_failures',
  'alerter_failing_after',
  'outbox_age',
  'rule_load_errors',
  'heartbeat',
  'check_every',
] as const;

const alertItem = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
const positive = (d: string) =>
  duration.refine((ms) => ms > 0, { message: `must be longer than 0, e.g. ${d}` });

const schema = z.looseObject({
  alert: z.union([z.string().min(1), z.array(alertItem).min(1)], {
    error: "must name the alerters that get esalert's own alerts, e.g. [slack] or [dingtalk]",
  }),
  es_unreachable_after: positive('{minutes: 5}').default(5 * 60_000),
  rule_failures: z.int({ error: 'must be a whole number of runs' }).min(1).default(3),
  alerter_failing_after: positive('{minutes: 10}').default(10 * 60_000),
  outbox_age: positive('{minutes: 30}').default(30 * 60_000),
  rule_load_errors: z.boolean({ error: 'must be true or false' }).default(true),
  heartbeat: positive('{hours: 1}').optional(),
  check_every: positive('{seconds: 30}').default(30_000),
});

export function readSelfAlert(raw: Record<string, unknown>): {
  settings: SelfAlertSettings | undefined;
  problems: Problem[];
} {
  const section = raw.self_alert;
  if (section === undefined || section === null) return { settings: undefined, problems: [] };
  if (typeof section !== 'object' || Array.isArray(section))
    return {
      settings: undefined,
      problems: [{ path: ['self_alert'], message: 'must be a mapping with at least alert: [<alerter>]' }],
    };
  const parsed = schema.safeParse(section);
  if (!parsed.success)
    return {
      settings: undefined,
      problems: problemsFromZod(parsed.error, section).map((p) => ({
        ...p,
        path: ['self_alert', ...p.path],
      })),
    };
  const o = parsed.data;
  const items = typeof o.alert === 'string' ? [o.alert] : o.alert;
  const options = Object.fromEntries(
    Object.entries(section).filter(([k]) => !(SELF_ALERT_KEYS as readonly string[]).includes(k)),
  );
  return {
    settings: {
      alerts: items.map((item) => {
        if (typeof item === 'string') return { name: item, options: {} };
        const [name, opts] = Object.entries(item)[0] ?? ['', {}];
        return { name, options: (opts && typeof opts === 'object' ? opts : {}) as Record<string, unknown> };
      }),
      options,
      esUnreachableMs: o.es_unreachable_after,
      ruleFailures: o.rule_failures,
      alerterFailingMs: o.alerter_failing_after,
      outboxAgeMs: o.outbox_age,
      ruleLoadErrors: o.rule_load_errors,
      heartbeatMs: o.heartbeat,
      checkEveryMs: o.check_every,
    },
    problems: [],
  };
}
