/**
 * Folding the alerts of one workload in a digest: when a rate-limited channel folds waiting
 * alerts into one message, alerts about pods of one Deployment (StatefulSet, CronJob...) for one
 * reason become one entry, "api-7c9f8d6b5-x2k4p and 25 other pods of Deployment prod/api:
 * FailedScheduling", instead of 26. Only alerts of rules that set k8s_digest_by_workload fold;
 * the others keep their own entry, and a digest without foldable alerts is unchanged.
 */
import type { Doc } from '../model/lookup.ts';
import { eventOf, involvedObjectOf } from './event-view.ts';
import { podOwner } from './pod-owner.ts';

/** The parts of an alert this needs (an AlertContent has them). */
export interface DigestAlert {
  ruleName: string;
  options: Doc;
  matches: readonly Doc[];
}

interface WorkloadGroup {
  key: string;
  namespace: string | undefined;
  ownerKind: string;
  ownerName: string;
  reason: string;
  pods: string[];
}

/** The workload group of an alert: every match a pod event of the same workload and reason. */
function groupOf(alert: DigestAlert): WorkloadGroup | undefined {
  if (alert.options.k8s_digest_by_workload !== true || alert.matches.length === 0) return undefined;
  let group: WorkloadGroup | undefined;
  for (const match of alert.matches) {
    const obj = involvedObjectOf(match);
    const reason = eventOf(match)?.reason;
    if (obj?.kind !== 'Pod' || !obj.name || typeof reason !== 'string') return undefined;
    const owner = podOwner(obj.name);
    if (owner.kind === 'Pod') return undefined;
    const key = JSON.stringify([alert.ruleName, obj.namespace ?? '', owner.kind, owner.name, reason]);
    if (!group) {
      group = {
        key,
        namespace: obj.namespace,
        ownerKind: owner.kind,
        ownerName: owner.name,
        reason,
        pods: [],
      };
    } else if (group.key !== key) {
      return undefined;
    }
    if (!group.pods.includes(obj.name)) group.pods.push(obj.name);
  }
  return group;
}

/** The key alerts of one workload group share; undefined for an alert that does not fold. */
export function workloadKey(alert: DigestAlert): string | undefined {
  return groupOf(alert)?.key;
}

export interface DigestEntry<T extends DigestAlert> {
  alerts: T[];
  /** For alerts folded together: the line that names the pods, the workload and the reason. */
  heading?: string;
  /** The pods after the first, for the end of the entry. */
  otherPods?: string[];
}

function headingOf(group: WorkloadGroup, alerts: number): string {
  const workload = `${group.ownerKind} ${group.namespace ? `${group.namespace}/` : ''}${group.ownerName}`;
  const [first, ...others] = group.pods;
  const pods =
    others.length === 0
      ? `${first} (${workload}, ${alerts} alerts)`
      : `${first} and ${others.length} other pod${others.length === 1 ? '' : 's'} of ${workload}`;
  return `${pods}: ${group.reason}`;
}

/** The entries of a digest, in the order of their first alert; alerts of one workload group share one. */
export function foldByWorkload<T extends DigestAlert>(alerts: readonly T[]): DigestEntry<T>[] {
  const entries: DigestEntry<T>[] = [];
  const groups = new Map<string, { entry: DigestEntry<T>; group: WorkloadGroup }>();
  for (const alert of alerts) {
    const group = groupOf(alert);
    const found = group ? groups.get(group.key) : undefined;
    if (group && found) {
      found.entry.alerts.push(alert);
      for (const pod of group.pods) if (!found.group.pods.includes(pod)) found.group.pods.push(pod);
      continue;
    }
    const entry: DigestEntry<T> = { alerts: [alert] };
    entries.push(entry);
    if (group) groups.set(group.key, { entry, group });
  }
  for (const { entry, group } of groups.values()) {
    if (entry.alerts.length < 2) continue;
    entry.heading = headingOf(group, entry.alerts.length);
    entry.otherPods = group.pods.slice(1);
  }
  return entries;
}
