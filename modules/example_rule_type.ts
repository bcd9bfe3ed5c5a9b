/**
 * Example custom rule type: the same Kubernetes event reason on several pods of one workload.
 *
 *   type: modules/example_rule_type.ts
 *   index: eventrouter-*
 *   filter:
 *     - term: {event.type.keyword: Warning}
 *   min_pods: 3              # distinct pods of one Deployment/StatefulSet/Job/CronJob
 *   timeframe: {minutes: 10}
 *
 * One pod crash-looping is a pod problem; three pods of the same Deployment failing their
 * readiness probe within minutes is a workload (or dependency) problem, worth a different alert.
 * Events are grouped by namespace, owning workload (see owner_workload.ts) and reason; when the
 * pods of a group seen within timeframe reach min_pods, the newest event is a match carrying
 * `workload`, `reason` and `pods`, and the group starts over.
 *
 * A rule type module exports { name, options (a zod schema of the rule's options), optionNames,
 * create(context, options) } where create returns the instance: addData(hits), garbageCollect(ms),
 * takeMatches(), matchText(match). It reads no clock and does no I/O (see docs/modules.md).
 */
import { z } from 'zod';
import { ownerOf } from './owner_workload.ts';

type Doc = Record<string, unknown>;
interface Hit {
  doc: Doc;
  ts: number;
}
interface Context {
  timestampField: string;
}

const options = z.looseObject({
  min_pods: z
    .int({ error: 'must be a whole number of pods (e.g. 3)' })
    .min(2, { error: 'must be 2 or more' }),
  timeframe: z
    .strictObject({
      days: z.number().optional(),
      hours: z.number().optional(),
      minutes: z.number().optional(),
      seconds: z.number().optional(),
    })
    .transform(
      (t) =>
        ((t.days ?? 0) * 86_400 + (t.hours ?? 0) * 3600 + (t.minutes ?? 0) * 60 + (t.seconds ?? 0)) * 1000,
    )
    .refine((ms) => ms > 0, { error: 'must be longer than 0, e.g. {minutes: 10}' }),
});
type Options = z.output<typeof options>;

interface Involved {
  kind?: string;
  name?: string;
  namespace?: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export default {
  name: 'workload_spread',
  summary: 'Alert when one event reason hits min_pods distinct pods of the same workload within timeframe.',
  options,
  optionNames: ['min_pods', 'timeframe'],
  supportsCountQuery: false,
  supportsTermsQuery: false,
  create(ctx: Context, o: Options) {
    /** group -> pod -> when it last reported the reason */
    const groups = new Map<string, Map<string, number>>();
    let matches: Doc[] = [];
    return {
      addData(hits: Hit[]) {
        for (const { doc, ts } of hits) {
          const event = doc.event as { involvedObject?: Involved; reason?: string } | undefined;
          const obj = event?.involvedObject;
          if (obj?.kind !== 'Pod' || !obj.name || !event?.reason) continue;
          const workload = `${obj.namespace ?? ''}/${ownerOf(obj.name).owner}`;
          const group = `${workload}\u0000${event.reason}`;
          let pods = groups.get(group);
          if (!pods) groups.set(group, (pods = new Map()));
          pods.set(obj.name, ts);
          for (const [pod, seen] of pods) if (ts - seen >= o.timeframe) pods.delete(pod);
          if (pods.size < o.min_pods) continue;
          matches.push({
            ...structuredClone(doc),
            [ctx.timestampField]: iso(ts),
            workload,
            reason: event.reason,
            pods: [...pods.keys()].sort(),
          });
          groups.delete(group);
        }
      },
      garbageCollect(ms: number) {
        for (const [group, pods] of groups) {
          for (const [pod, seen] of pods) if (ms - seen >= o.timeframe) pods.delete(pod);
          if (pods.size === 0) groups.delete(group);
        }
      },
      takeMatches() {
        const out = matches;
        matches = [];
        return out;
      },
      matchText(match: Doc) {
        const pods = match.pods as string[];
        return `${pods.length} pods of ${String(match.workload)} reported ${String(match.reason)} within ${o.timeframe / 60_000} minutes: ${pods.join(', ')}\n\n`;
      },
    };
  },
};
