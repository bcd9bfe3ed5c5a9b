/**
 * Replicas against the real Elasticsearch, as real processes: three instances of `esalert run`
 * share six rules over an index fed while they run, and are killed (SIGKILL), paused
 * (SIGSTOP/SIGCONT), restarted one by one with a new version of a rule, and cut off from
 * Elasticsearch for 30 s while one of them has another rule set. After each, every fed document
 * is alerted exactly once for its rule (a SIGKILL may repeat only what was in flight), the run
 * status of every rule leaves no window out, and nothing else arrives.
 *
 * The coordination is the same code on every server (the lease store's requests are checked on
 * each server by lease-store.test.ts); these multi-process runs take minutes, so they run on es8.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EsConnection } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type CliRun, runCli } from './support/cli.ts';
import { type Receiver, startReceiver } from './support/http-receiver.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import { makeWorkspace, type Workspace } from './support/workspace.ts';

const RULES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'];
const RUN_EVERY_S = 2;
const LEASE_S = 10;
const RENEW_S = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(250);
  }
}

interface Scenario {
  es: EsConnection;
  index: string;
  wb: string;
  receiver: Receiver;
  fed: { rule: string; seq: number }[];
  instances: CliRun[];
  workspace(rules: Record<string, string>, esPort?: number): Workspace;
  start(ws: Workspace): Promise<CliRun>;
  feedFor(ms: number): Promise<void>;
  cleanup(): Promise<void>;
}

function rule(name: string, index: string, receiverUrl: string, version = 'v1') {
  return {
    name,
    type: 'any',
    index,
    filter: [{ term: { rule: name } }],
    realert: { minutes: 0 },
    query_delay: { seconds: 5 },
    alert: ['post'],
    http_post_url: `${receiverUrl}/${name}`,
    http_post_static_payload: { version },
  };
}

async function scenario(es: EsConnection): Promise<Scenario> {
  const index = uniqueName('replicas-feed');
  const wb = uniqueName('esalert_replicas');
  await es.client.indices.create({
    index,
    mappings: {
      properties: { '@timestamp': { type: 'date' }, rule: { type: 'keyword' }, seq: { type: 'long' } },
    },
  });
  const receiver = await startReceiver({ status: 200, body: 'ok' });
  const workspaces: Workspace[] = [];
  const s: Scenario = {
    es,
    index,
    wb,
    receiver,
    fed: [],
    instances: [],
    workspace(rules, esPort) {
      const ws = makeWorkspace({
        ...esHostPort(),
        ...(esPort ? { es_host: '127.0.0.1', es_port: esPort } : {}),
        es_conn_timeout: 5,
        run_every: { seconds: RUN_EVERY_S },
        buffer_time: { minutes: 10 },
        writeback_index: wb,
        replicas: { lease: { seconds: LEASE_S }, renew: { seconds: RENEW_S } },
      });
      for (const [name, version] of Object.entries(rules))
        ws.writeRule(`${name}.yaml`, rule(name, index, receiver.url, version));
      workspaces.push(ws);
      return ws;
    },
    async start(ws) {
      const run = runCli([
        'run',
        '--config',
        ws.config,
        '--verbose',
        '--shutdown-timeout',
        '10',
        '--http-port',
        '0',
        '--http-host',
        '127.0.0.1',
      ]);
      s.instances.push(run);
      await until(
        'an instance joined the replicas',
        () => run.output().includes('joined the replicas'),
        60_000,
      );
      return run;
    },
    async feedFor(ms) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const batch = RULES.map((r) => ({ rule: r, seq: s.fed.length + RULES.indexOf(r) }));
        const at = new Date().toISOString();
        await es.client.bulk({
          refresh: 'wait_for',
          operations: batch.flatMap((d) => [{ index: { _index: index } }, { ...d, '@timestamp': at }]),
        });
        s.fed.push(...batch);
        await sleep(400);
      }
    },
    async cleanup() {
      for (const i of s.instances)
        if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
      await Promise.all(s.instances.map((i) => i.exited));
      await receiver.close();
      for (const ws of workspaces) ws.remove();
      await es.client.indices.delete({ index: `${wb}*,${index}` }).catch(() => {});
    },
  };
  return s;
}

/** Every fed document alerted for its rule, at most `repeats` of them twice, nothing else; no window left out. */
async function expectEveryAlertOnce(s: Scenario, repeats = 0) {
  const key = (j: unknown) => {
    const m = j as { rule?: string; seq?: number };
    return `${m.rule}:${m.seq}`;
  };
  const expected = new Set(s.fed.map((d) => `${d.rule}:${d.seq}`));
  const logs = () => s.instances.map((i) => i.output().slice(-4000)).join('\n----\n');
  await until(
    `every fed document was alerted (${expected.size})`,
    () => new Set(s.receiver.received.map((r) => key(r.json))).size >= expected.size,
    120_000,
  ).catch((err: unknown) => {
    const got = new Set(s.receiver.received.map((r) => key(r.json)));
    throw new Error(
      `${(err as Error).message}; missing ${[...expected]
        .filter((k) => !got.has(k))
        .slice(0, 20)
        .join(' ')}\n${logs()}`,
    );
  });
  await sleep((RUN_EVERY_S * 2 + 1) * 1000); // late repeats would arrive now
  const keys = s.receiver.received.map((r) => key(r.json));
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  expect(
    [...counts.keys()].filter((k) => !expected.has(k)),
    'alerts nobody fed',
  ).toEqual([]);
  const twice = [...counts].filter(([, n]) => n > 1);
  expect(twice.length, `alerted more than once: ${JSON.stringify(twice)}`).toBeLessThanOrEqual(repeats);
  expect(twice.every(([, n]) => n === 2)).toBe(true);

  // the run status of each rule: every run starts where an earlier one ended (or before)
  await s.es.client.indices.refresh({ index: `${s.wb}_status` });
  const res = await s.es.client.search<{ rule_name: string; starttime: string; endtime: string }>({
    index: `${s.wb}_status`,
    size: 10_000,
    sort: [{ '@timestamp': 'asc' }],
  });
  for (const r of RULES) {
    const runs = res.hits.hits.map((h) => h._source!).filter((d) => d.rule_name === r);
    expect(runs.length).toBeGreaterThan(0);
    let reached = Date.parse(runs[0]!.endtime);
    for (const run of runs.slice(1)) {
      expect(
        Date.parse(run.starttime),
        `${r}: a window was left out before ${run.starttime}`,
      ).toBeLessThanOrEqual(reached);
      reached = Math.max(reached, Date.parse(run.endtime));
    }
  }
}

/** Which rules each instance ran since `from` (its "Ran <rule> ..." log lines). */
function rulesRun(run: CliRun, from = 0): Set<string> {
  const out = new Set<string>();
  for (const line of run.output().split('\n')) {
    if (!line.includes('"msg":"Ran ')) continue;
    try {
      const l = JSON.parse(line) as { time: string; msg: string };
      if (Date.parse(l.time) >= from) out.add(/^Ran (\S+) from/.exec(l.msg)?.[1] ?? '');
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

describe.skipIf(inject('server') !== 'es8')('replicas sharing the rules', () => {
  let es: EsConnection;
  let s: Scenario | undefined;
  beforeAll(async () => {
    es = await connectTestEs();
  });
  afterEach(async () => {
    await s?.cleanup();
    s = undefined;
  });
  afterAll(async () => {
    await es.close();
  });
  const v1 = () => Object.fromEntries(RULES.map((r) => [r, 'v1']));

  it('three instances share the rules; one killed (SIGKILL), one paused (SIGSTOP/SIGCONT): every alert once', async () => {
    s = await scenario(es);
    const ws0 = s.workspace(v1());
    const [a, b, c] = await Promise.all([ws0, s.workspace(v1()), s.workspace(v1())].map((w) => s!.start(w)));
    await s.feedFor(4000);
    // shared: every rule runs, none in two instances
    const settled = Date.now();
    await s.feedFor(3000);
    await until(
      'every rule ran',
      () => new Set([a!, b!, c!].flatMap((i) => [...rulesRun(i, settled)])).size === RULES.length,
    );
    const shares = [a!, b!, c!].map((i) => rulesRun(i, settled));
    expect(shares.reduce((n, x) => n + x.size, 0)).toBe(RULES.length);

    // what operators see: /api/rules, /metrics, /readyz and esalert status
    type RulesApi = {
      rules: { name: string; owner: string | null; lease: { ownedHere: boolean } }[];
      replicas: { self: string; member: boolean; members: { live: boolean }[] };
    };
    const bases = [a!, b!, c!].map((i) => /"url":"(http:\/\/[^"]+)"/.exec(i.output())![1]!);
    const readApis = () =>
      Promise.all(bases.map(async (base) => (await (await fetch(`${base}/api/rules`)).json()) as RulesApi));
    // each instance reads the others' leases once a renewal round: a rule given away at the
    // start shows no owner until the instance that took it over is seen
    // on a loaded machine a late renewal can leave a rule unheld for a round (the instance stops
    // holding before anyone may judge it dead), so the settled view is waited for
    let apis: RulesApi[] = [];
    const ownedHere = () =>
      apis.flatMap((api) => api.rules.filter((r) => r.lease.ownedHere).map((r) => r.name));
    await until('every instance knows every owner, and every rule is held by one', async () => {
      apis = await readApis();
      return (
        JSON.stringify(ownedHere().sort()) === JSON.stringify(RULES) &&
        apis.every((api) => api.rules.every((r) => typeof r.owner === 'string'))
      );
    });
    for (const base of bases) {
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/esalert_replicas_members 3/);
    }
    for (const api of apis) expect(api.replicas.members.filter((m) => m.live)).toHaveLength(3);
    expect(ownedHere().sort()).toEqual(RULES);
    for (const api of apis) for (const r of api.rules) expect(r.owner).toEqual(expect.any(String));
    const status = runCli(['status', '--config', ws0!.config]);
    expect(await status.exited, status.output()).toBe(0);
    expect(status.stdout()).toContain('3 live member(s) of 3');

    a!.child.kill('SIGKILL');
    await s.feedFor(3000);
    b!.child.kill('SIGSTOP');
    await s.feedFor((LEASE_S + 2 * RENEW_S) * 1000);
    b!.child.kill('SIGCONT');
    const resumed = Date.now();
    await s.feedFor(4000);
    // the survivors run every rule between them (b takes its share back within a few renewals)
    await until(
      'the survivors ran every rule',
      () => new Set([b!, c!].flatMap((i) => [...rulesRun(i, resumed)])).size === RULES.length,
    );
    await expectEveryAlertOnce(s, 2);
  }, 240_000);

  it('a rolling restart to a new version of a rule: no gap, every alert once', async () => {
    s = await scenario(es);
    const old = await Promise.all([0, 1, 2].map(() => s!.start(s!.workspace(v1()))));
    await s.feedFor(3000);
    const v2 = { ...v1(), r5: 'v2' };
    for (const instance of old) {
      const next = s.start(s.workspace(v2));
      await s.feedFor(2000);
      await next;
      instance.child.kill('SIGTERM');
      expect(await instance.exited, instance.output().slice(-3000)).toBe(0);
      expect(instance.output()).toContain('leases released for the other instances');
    }
    await s.feedFor(3000);
    await expectEveryAlertOnce(s);
    // the new version runs r5 once the old ones are gone
    const last = s.receiver.received.filter((r) => (r.json as { rule: string }).rule === 'r5').at(-1);
    expect((last!.json as { version: string }).version).toBe('v2');
  }, 240_000);

  it('Elasticsearch unreachable for 30 s, one instance with another rule set: every alert once', async () => {
    s = await scenario(es);
    const u = new URL(testEs().url);
    const proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port) });
    try {
      // the third instance has no r4 and another version of r5
      const other = { r0: 'v1', r1: 'v1', r2: 'v1', r3: 'v1', r5: 'v2' };
      const [, , c] = await Promise.all([
        s.start(s.workspace(v1(), proxy.port)),
        s.start(s.workspace(v1(), proxy.port)),
        s.start(s.workspace(other, proxy.port)),
      ]);
      await s.feedFor(3000);
      proxy.pause();
      await s.feedFor(30_000); // straight to Elasticsearch: the instances see none of it yet
      proxy.resume();
      await s.feedFor(4000);
      expect(rulesRun(c!).has('r4')).toBe(false);
      await expectEveryAlertOnce(s);
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
