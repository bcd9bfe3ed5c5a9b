/**
 * The workload a Kubernetes object belongs to, told from its name alone (events carry no owner
 * references). Controllers name what they create after themselves:
 *
 * - Deployment:  pod `<deployment>-<pod-template-hash>-<5 chars>`, ReplicaSet `<deployment>-<hash>`
 * - StatefulSet: pod `<statefulset>-<ordinal>`
 * - CronJob:     pod `<cronjob>-<scheduled time>-<5 chars>`, Job `<cronjob>-<scheduled time>`
 * - DaemonSet, Job (and a bare ReplicaSet): pod `<name>-<5 chars>`; the name cannot tell which
 *
 * Generated suffixes use Kubernetes' safe alphabet (no vowels, no 0, 1 or 3), so a word such as
 * `exporter` is never taken for one. A name that fits no pattern is its own owner.
 */

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'CronJob' | 'DaemonSet or Job' | 'Pod';

export interface Owner {
  kind: string;
  name: string;
}

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
/** The CronJob controller names Jobs after the scheduled time: minutes since the epoch (8+ digits). */
const SCHEDULED = '\\d{8,10}';
const CRONJOB_POD = new RegExp(`^(.+)-${SCHEDULED}-${SAFE}{5}$`);
const REPLICASET_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const STATEFULSET_POD = /^(.+)-\d+$/;
const GENERATED_POD = new RegExp(`^(.+)-${SAFE}{5}$`);
const REPLICASET = new RegExp(`^(.+)-${SAFE}{6,10}$`);
const CRONJOB_JOB = new RegExp(`^(.+)-${SCHEDULED}$`);

const POD_PATTERNS: readonly [RegExp, WorkloadKind][] = [
  [CRONJOB_POD, 'CronJob'],
  [REPLICASET_POD, 'Deployment'],
  [STATEFULSET_POD, 'StatefulSet'],
  [GENERATED_POD, 'DaemonSet or Job'],
];

/** The workload that owns a pod, from the pod's name. */
export function podOwner(pod: string): { kind: WorkloadKind; name: string } {
  for (const [re, kind] of POD_PATTERNS) {
    const m = re.exec(pod);
    if (m) return { kind, name: m[1]! };
  }
  return { kind: 'Pod', name: pod };
}

/**
 * The workload an event's involved object belongs to: a pod's controller, a ReplicaSet's
 * Deployment, a CronJob's Job's CronJob; any other object is its own owner.
 */
export function objectOwner(kind: string, name: string): Owner {
  if (kind === 'Pod') return podOwner(name);
  if (kind === 'ReplicaSet') {
    const m = REPLICASET.exec(name);
    if (m) return { kind: 'Deployment', name: m[1]! };
  }
  if (kind === 'Job') {
    const m = CRONJOB_JOB.exec(name);
    if (m) return { kind: 'CronJob', name: m[1]! };
  }
  return { kind, name };
}
