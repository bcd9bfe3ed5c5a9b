/**
 * The rule options for Kubernetes events shipped by eventrouter (see docs/kubernetes.md): the
 * kube-eventer style filters, skipping resync no-ops, the `k8s` template fields and digests
 * grouped by workload. Each list entry is checked when the rule loads, so a typo is reported
 * at its line instead of silently matching nothing.
 */
import { z } from 'zod';
import { errorMessage } from '../errors/esalert-error.ts';
import { regexpMatcher } from '../query/term-matchers.ts';

/** The entry of k8s_namespaces / k8s_exclude_namespaces that stands for cluster-scoped objects. */
export const CLUSTER_SCOPED = '_cluster';

const LEVELS = ['Normal', 'Warning'] as const;

const WELL_KNOWN_KINDS = [
  'CertificateSigningRequest',
  'ConfigMap',
  'CronJob',
  'DaemonSet',
  'Deployment',
  'Endpoints',
  'EndpointSlice',
  'HorizontalPodAutoscaler',
  'Ingress',
  'Job',
  'Lease',
  'Namespace',
  'NetworkPolicy',
  'Node',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Pod',
  'PodDisruptionBudget',
  'ReplicaSet',
  'ReplicationController',
  'Secret',
  'Service',
  'ServiceAccount',
  'StatefulSet',
  'StorageClass',
  'VolumeAttachment',
];

/** A DNS label: what Kubernetes accepts as a namespace name. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function levelProblem(level: string): string | undefined {
  if ((LEVELS as readonly string[]).includes(level)) return undefined;
  const same = LEVELS.find((l) => l.toLowerCase() === level.toLowerCase());
  return same
    ? `event types are case-sensitive: write ${same}`
    : `must be Normal or Warning (got "${level}")`;
}

function namespaceProblem(ns: string): string | undefined {
  if (ns === CLUSTER_SCOPED || NAMESPACE.test(ns)) return undefined;
  if (ns === '')
    return `is empty; write ${CLUSTER_SCOPED} for cluster-scoped objects (Node, PersistentVolume, ...)`;
  if (/[*?]/.test(ns))
    return `"${ns}": namespaces are matched exactly, not as patterns; list them, or use a filter for patterns`;
  if (ns.includes(',')) return `"${ns}": write one namespace per list entry, e.g. [prod, staging]`;
  return `"${ns}" is not a namespace name (lowercase letters, digits and -, at most 63)`;
}

function kindProblem(kind: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) return `"${kind}" is not a kind name such as Pod or Node`;
  const known = WELL_KNOWN_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase());
  if (known && known !== kind) return `kinds are case-sensitive: write ${known}`;
  return undefined;
}

function reasonProblem(pattern: string): string | undefined {
  if (pattern === '') return 'is empty; leave it out, or write a reason such as BackOff';
  try {
    regexpMatcher(pattern);
    return undefined;
  } catch (err) {
    return `${errorMessage(err)} (Lucene syntax, matched against the whole reason)`;
  }
}

/** One value or a list of values, each checked; a problem points at its list entry. */
function checkedList(what: string, problem: (item: string) => string | undefined) {
  return z
    .union([z.string(), z.array(z.string())], { error: `must be a list of ${what}` })
    .superRefine((value, ctx) => {
      const items = typeof value === 'string' ? [value] : value;
      if (items.length === 0)
        ctx.addIssue({
          code: 'custom',
          message: 'is an empty list; leave the option out to keep every event',
        });
      items.forEach((item, i) => {
        const message = problem(item);
        if (message) ctx.addIssue({ code: 'custom', message, path: typeof value === 'string' ? [] : [i] });
      });
    })
    .transform((value) => (typeof value === 'string' ? [value] : value));
}

/** Spread into the common rule schema: every rule may use them. */
export const k8sOptionsShape = {
  k8s_levels: checkedList('event types (Normal, Warning)', levelProblem).optional(),
  k8s_exclude_levels: checkedList('event types (Normal, Warning)', levelProblem).optional(),
  k8s_namespaces: checkedList('namespaces', namespaceProblem).optional(),
  k8s_exclude_namespaces: checkedList('namespaces', namespaceProblem).optional(),
  k8s_kinds: checkedList('kinds (Pod, Node, ...)', kindProblem).optional(),
  k8s_exclude_kinds: checkedList('kinds (Pod, Node, ...)', kindProblem).optional(),
  k8s_reasons: checkedList('reason regular expressions', reasonProblem).optional(),
  k8s_exclude_reasons: checkedList('reason regular expressions', reasonProblem).optional(),
  k8s_skip_resync: z.boolean().default(false),
  k8s_keyword_suffix: z
    .string()
    .refine((s) => s === '' || /^\.[A-Za-z0-9_]+$/.test(s), {
      error: 'must be the keyword sub-field suffix, such as .keyword, or "" when the fields are keywords',
    })
    .default('.keyword'),
  k8s_fields: z.boolean().default(false),
  k8s_digest_by_workload: z.boolean().default(false),
};

export interface K8sFilterOptions {
  k8s_levels?: string[] | undefined;
  k8s_exclude_levels?: string[] | undefined;
  k8s_namespaces?: string[] | undefined;
  k8s_exclude_namespaces?: string[] | undefined;
  k8s_kinds?: string[] | undefined;
  k8s_exclude_kinds?: string[] | undefined;
  k8s_reasons?: string[] | undefined;
  k8s_exclude_reasons?: string[] | undefined;
  k8s_keyword_suffix: string;
}
