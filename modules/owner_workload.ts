/**
 * Example match enhancement: the workload that owns the pod of a Kubernetes event.
 *
 *   match_enhancements:
 *     - modules/owner_workload.ts
 *
 * Adds `owner_workload` ("prod/api" for pod api-7c9f8d6b5-x2k4p in prod) and `owner_kind`, so
 * alert texts and aggregation keys can group pods of one Deployment (aggregation_key:
 * owner_workload). An enhancement exports `process(match, context)`, which returns the match
 * (changed or not), or null to drop it.
 *
 * The name patterns are esalert's own (src/k8s/pod-owner.ts, behind k8s_fields and
 * k8s_digest_by_workload), copied here so that this file keeps working wherever it is copied
 * to; a test keeps the two in step. A `<name>-<5 chars>` pod belongs to a Job or a DaemonSet,
 * which the name cannot tell apart: it is reported as a Job.
 */
type Match = Record<string, unknown>;

// Kubernetes generates name suffixes from this alphabet (no vowels, no 0, 1, 3)
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const CRONJOB_POD = new RegExp(`^(.+)-\\d{8,10}-${SAFE}{5}$`);
const REPLICASET_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const STATEFULSET_POD = /^(.+)-\d+$/;
const JOB_POD = new RegExp(`^(.+)-${SAFE}{5}$`);

export function ownerOf(pod: string): { owner: string; kind: string } {
  for (const [re, kind] of [
    [CRONJOB_POD, 'CronJob'],
    [REPLICASET_POD, 'Deployment'],
    [STATEFULSET_POD, 'StatefulSet'],
    [JOB_POD, 'Job'],
  ] as const) {
    const m = re.exec(pod);
    if (m) return { owner: m[1]!, kind };
  }
  return { owner: pod, kind: 'Pod' };
}

export default {
  name: 'owner_workload',
  process(match: Match): Match {
    const event = match.event as
      { involvedObject?: { kind?: string; name?: string; namespace?: string } } | undefined;
    const obj = event?.involvedObject;
    if (obj?.kind !== 'Pod' || !obj.name) return match;
    const { owner, kind } = ownerOf(obj.name);
    match.owner_workload = obj.namespace ? `${obj.namespace}/${owner}` : owner;
    match.owner_kind = kind;
    return match;
  },
};
