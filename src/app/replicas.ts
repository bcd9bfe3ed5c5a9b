/**
 * Replicas in the composition root: the coordinator over the writeback's lease store, renewed on
 * a real-time loop, and what it fences: each rule's job, the alert path's sink, the run status
 * and rule state writes, and the outbox (only rules held here are sent from the alert log).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { type Coordinator, createCoordinator } from '../cluster/coordinator.ts';
import { fencedJob } from '../cluster/fenced-job.ts';
import { fencedSink } from '../cluster/fenced-sink.ts';
import { fencedStores } from '../cluster/fenced-stores.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import type { ReplicasView } from '../http/observability.ts';
import type { MatchSink } from '../engine/run-rule.ts';
import type { RuntimeRule } from '../engine/runtime-rule.ts';
import type { LeaseStore } from '../state/lease-store.ts';
import type { Stores } from '../state/writeback.ts';
import type { Job } from '../scheduler/scheduler.ts';

export interface ReplicaEvents {
  acquired?(rules: string[], handover: boolean): void;
  lost?(rules: string[]): void;
}

export interface Replicas {
  coordinator: Coordinator;
  job(job: Job, rt: RuntimeRule): Job;
  sink(sink: MatchSink): MatchSink;
  stores(stores: Stores): Stores;
  holds(rule: string): boolean;
  /** The rules held here, for the outbox. */
  owned(rules: ReadonlyMap<string, RuntimeRule>): Map<string, RuntimeRule>;
  /** Tells the others which rules this instance has (after loads and reloads). */
  setRules(rules: ReadonlyMap<string, RuntimeRule>): void;
  /** Joins: the first round (claims) before the scheduler starts, then one every renew interval. */
  start(): Promise<void>;
  /** Stops renewing (the first step of a shutdown). */
  pause(): void;
  /** Gives the leases back and leaves the membership (the last step of a shutdown). */
  leave(signal?: AbortSignal): Promise<void>;
}

export function defaultMemberId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function createReplicas(
  config: GlobalConfig,
  deps: {
    store: LeaseStore;
    logger: Logger;
    busy(rule: string): boolean;
    beforeRelease(): Promise<void>;
    events?: ReplicaEvents;
  },
): Replicas {
  const { leaseMs, renewMs } = config.replicas;
  const memberId = config.replicas.memberId ?? defaultMemberId();
  const coordinator = createCoordinator({
    store: deps.store,
    memberId,
    leaseMs,
    renewMs,
    monotonic: () => performance.now(),
    now: Date.now,
    logger: deps.logger.child({ member: memberId }),
    busy: deps.busy,
    beforeRelease: deps.beforeRelease,
    onAcquired: (rules, handover) => deps.events?.acquired?.(rules, handover),
    onLost: (rules) => deps.events?.lost?.(rules),
  });
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  const loop = () => {
    if (!running) return;
    timer = setTimeout(() => void coordinator.tick(AbortSignal.timeout(renewMs)).finally(loop), renewMs);
  };
  const holds = (rule: string) => coordinator.holds(rule);
  const epochs = new Map<string, number>();
  return {
    coordinator,
    job: (job, rt) => fencedJob(job, rt, coordinator, epochs),
    sink: (sink) => fencedSink(sink, coordinator),
    stores: (stores) => fencedStores(stores, coordinator),
    holds,
    owned: (rules) => new Map([...rules].filter(([name]) => holds(name))),
    setRules: (rules) =>
      coordinator.setRules([...rules.values()].map((rt) => ({ name: rt.rule.name, hash: rt.rule.hash }))),
    async start() {
      await deps.store.ensureIndices();
      // thousands of rules are claimed over several rounds: take them before the first runs
      const joinMs = Math.max(renewMs, 10_000);
      await coordinator.tick(AbortSignal.timeout(joinMs));
      for (let round = 0; round < 100 && coordinator.deferredClaims() > 0; round++)
        await coordinator.tick(AbortSignal.timeout(joinMs));
      deps.logger.info(
        {
          member: coordinator.memberId,
          members: coordinator.members().filter((m) => m.live && !m.self).length + 1,
          leaseMs,
          renewMs,
        },
        'joined the replicas sharing this writeback index',
      );
      running = true;
      loop();
    },
    pause() {
      running = false;
      clearTimeout(timer);
    },
    async leave(signal) {
      running = false;
      clearTimeout(timer);
      await coordinator.leave(signal);
    },
  };
}

/** What /api/rules, /metrics and /readyz show of the replicas. */
export function replicasView(c: Coordinator): ReplicasView {
  return {
    self: c.memberId,
    member: c.isMember(),
    members: c.members().map((m) => ({
      id: m.id,
      started: m.started,
      heartbeat: m.heartbeat,
      live: m.live,
      ruleCount: m.ruleCount,
    })),
    owner: (rule) => c.ownership(rule),
  };
}
