/**
 * send_resolved (a notification when the condition of an alert clears) and resolve_timeout,
 * read from the rule's mapping (config.yaml's values are defaults for every rule).
 */
import { z } from 'zod';
import { duration, type Problem, problemsFromZod } from '../config/fields.ts';
import type { Doc } from '../model/lookup.ts';
import { DEFAULT_RESOLVE_TIMEOUT_MS, type ResolveSettings } from '../model/resolve-settings.ts';

export const RESOLVE_OPTION_NAMES = ['send_resolved', 'resolve_timeout'] as const;

const schema = z.object({
  send_resolved: z.boolean({ error: 'must be true or false' }).default(false),
  resolve_timeout: duration.optional(),
});

export interface ResolveReading {
  /** Undefined when send_resolved is off. */
  settings: ResolveSettings | undefined;
  problems: Problem[];
}

export function readResolveOptions(raw: Doc): ResolveReading {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { settings: undefined, problems: problemsFromZod(parsed.error, raw) };
  const o = parsed.data;
  if (o.resolve_timeout === 0)
    return {
      settings: undefined,
      problems: [{ path: ['resolve_timeout'], message: 'must be longer than 0, e.g. {minutes: 15}' }],
    };
  if (!o.send_resolved) return { settings: undefined, problems: [] };
  return { settings: { timeoutMs: o.resolve_timeout ?? DEFAULT_RESOLVE_TIMEOUT_MS }, problems: [] };
}
