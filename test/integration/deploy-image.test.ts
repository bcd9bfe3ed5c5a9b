/**
 * The container image without Docker: the Dockerfile's steps are performed into scratch
 * directories, one per stage, standing for the stages' file systems (COPY from the build context
 * as .dockerignore filters it, COPY --from, RUN npm ci / npm run build / ln -s), and the final
 * stage is started the way Docker starts it: ENTRYPOINT + CMD from its WORKDIR with its ENV, the
 * container paths (/app, /etc/esalert) mapped into its directory and the exposed port onto a free
 * one. It must pass its own HEALTHCHECK, answer /readyz and /metrics, and stop on SIGTERM with exit
 * code 0. Runs in the Elasticsearch 8 project only: the image, not the server version, is under test.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import {
  contextFilter,
  type ImageModel,
  readImageModel,
  REPO,
  type Stage,
  type Step,
} from '../unit/deploy/dockerfile-model.ts';
import { findOldNode, refusalOf } from '../unit/deploy/old-node.ts';
import { esHostPort, uniqueName } from './helpers.ts';

const exec = promisify(execFile);

/** A stage's file system: a directory standing for "/". */
interface StageFs {
  root: string;
  workdir: string;
  env: Record<string, string>;
}

const inRoot = (fs: Pick<StageFs, 'root'>, containerPath: string) => join(fs.root, containerPath);

/**
 * The machine's environment (its proxy and CA settings reach npm), less what would not be in a
 * container: npm's and the test runner's variables, NODE_ENV, and ES_* overrides.
 */
function baseEnv(): Record<string, string> {
  const dropped = /^(npm_|VITEST|ES_|NODE_ENV$|NODE_OPTIONS$|INIT_CWD$|TEST$)/;
  return Object.fromEntries(
    Object.entries(process.env).flatMap(([k, v]) => (v === undefined || dropped.test(k) ? [] : [[k, v]])),
  );
}

function copyStep(step: Extract<Step, { kind: 'copy' }>, fs: StageFs, stages: Map<string, StageFs>): void {
  const ignored = contextFilter();
  const destPath = step.dest.startsWith('/') ? step.dest : join(fs.workdir, step.dest);
  const dest = inRoot(fs, destPath);
  const intoDir =
    step.dest.endsWith('/') || step.sources.length > 1 || (existsSync(dest) && statSync(dest).isDirectory());
  for (const source of step.sources) {
    let src: string;
    if (step.from !== undefined) {
      const from = stages.get(step.from);
      if (!from) throw new Error(`line ${step.line}: no stage named ${step.from} before this COPY`);
      src = inRoot(from, source);
    } else {
      src = join(REPO, source);
      if (ignored(source)) throw new Error(`line ${step.line}: ${source} is not in the build context`);
    }
    if (!existsSync(src)) throw new Error(`line ${step.line}: COPY ${source}: no such file or directory`);
    const filter = (p: string) => step.from !== undefined || !ignored(relative(REPO, p) || '.');
    if (statSync(src).isDirectory()) {
      // Docker copies a directory's contents, not the directory itself
      mkdirSync(dest, { recursive: true });
      cpSync(src, dest, { recursive: true, filter });
    } else {
      const target = intoDir ? join(dest, basename(src)) : dest;
      mkdirSync(dirname(target), { recursive: true });
      cpSync(src, target);
    }
  }
}

/** RUN lines are `cmd && cmd ...`; each command the image uses is performed, anything else is refused. */
async function runStep(step: Extract<Step, { kind: 'run' }>, fs: StageFs, log: string[]): Promise<void> {
  for (const command of step.command.split('&&').map((c) => c.trim())) {
    const [program, ...args] = command.split(/\s+/);
    if (program === 'npm' && args[0] === 'cache') {
      log.push(`skipped: ${command} (it would clear this machine's npm cache, not an image layer)`);
      continue;
    }
    if (program === 'npm') {
      // the npm cache of this machine stands in for the registry where it can
      const npmArgs = args[0] === 'ci' ? [...args, '--prefer-offline'] : args;
      const started = performance.now();
      const { stdout, stderr } = await exec('npm', npmArgs, {
        cwd: inRoot(fs, fs.workdir),
        env: { ...baseEnv(), ...fs.env },
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      log.push(
        `npm ${npmArgs.join(' ')} (${((performance.now() - started) / 1000).toFixed(1)} s)`,
        stdout,
        stderr,
      );
      continue;
    }
    if (program === 'ln' && args[0] === '-s' && args.length === 3) {
      symlinkSync(inRoot(fs, args[1]!), inRoot(fs, args[2]!));
      continue;
    }
    throw new Error(`line ${step.line}: the replay does not know how to run "${command}"; teach runStep`);
  }
}

async function replayStage(stage: Stage, root: string, stages: Map<string, StageFs>, log: string[]) {
  const fs: StageFs = { root, workdir: '/', env: {} };
  for (const step of stage.steps) {
    switch (step.kind) {
      case 'workdir':
        fs.workdir = step.path;
        mkdirSync(inRoot(fs, step.path), { recursive: true });
        break;
      case 'env':
        fs.env = { ...fs.env, ...step.vars };
        break;
      case 'copy':
        copyStep(step, fs, stages);
        break;
      case 'run':
        await runStep(step, fs, log);
        break;
    }
  }
  return fs;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A container's command line on this machine: container paths under the stage's root, its port on a free one. */
function hostArgs(args: string[], fs: StageFs, ports: Map<number, number>): string[] {
  return args.map((arg, i) => {
    if (i === 0 && arg === 'node') return process.execPath;
    if (/^\/[a-z]/.test(arg) && existsSync(inRoot(fs, arg.split('/')[1]!))) return inRoot(fs, arg);
    let out = arg;
    for (const [from, to] of ports) {
      if (out === String(from)) return String(to);
      out = out.replaceAll(`127.0.0.1:${from}/`, `127.0.0.1:${to}/`);
    }
    return out;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const oldNode = findOldNode();

describe.skipIf(inject('server') !== 'es8')('the container image, its steps performed without Docker', () => {
  const image: ImageModel = readImageModel();
  let scratch: string;
  let runtime: StageFs | undefined;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'esalert-image-'));
  });
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  const cli = (fs: StageFs, args: string[], cwd = inRoot(fs, fs.workdir)) =>
    exec(process.execPath, [inRoot(fs, '/app/dist/cli/main.js'), ...args], {
      cwd,
      env: { ...baseEnv(), ...fs.env },
      timeout: 120_000,
    });

  it('builds: both stages replayed, and the runtime has what esalert needs and no dev dependencies', async () => {
    const log: string[] = [];
    const stages = new Map<string, StageFs>();
    for (const [i, stage] of image.stages.entries()) {
      const fs = await replayStage(stage, join(scratch, `stage-${i}`), stages, log);
      if (stage.name) stages.set(stage.name, fs);
      runtime = fs;
    }
    const fs = runtime!;
    expect(fs.workdir).toBe(image.workdir);

    const help = await cli(fs, ['--help']);
    expect(help.stdout).toContain('Usage: esalert');
    expect(existsSync(inRoot(fs, '/app/node_modules/pino'))).toBe(true);
    // `node` too: the image runs its own Node.js, not a second one from the registry
    for (const dev of ['typescript', 'vitest', 'eslint', 'dockerfile-utils', 'node'])
      expect(existsSync(inRoot(fs, `/app/node_modules/${dev}`)), dev).toBe(false);

    // the image's config and the example rules under /etc/esalert
    const checked = await cli(fs, [
      'validate',
      '--config',
      inRoot(fs, '/etc/esalert/config.yaml'),
      '--format',
      'json',
    ]);
    const report = JSON.parse(checked.stdout) as { ok: boolean; rules: unknown[] };
    const exampleRules = readdirSync(join(REPO, 'rules')).filter((f) => f.endsWith('.yaml')).length;
    expect(report.ok).toBe(true);
    expect(report.rules.length).toBe(exampleRules);

    // a rule naming a module in /etc/esalert/modules, which imports one of esalert's dependencies (zod)
    const moduleRule = join(scratch, 'workload.yaml');
    writeFileSync(
      moduleRule,
      stringify({
        name: 'workload-trouble',
        type: 'modules/example_rule_type.ts',
        index: 'eventrouter-*',
        min_pods: 3,
        timeframe: { minutes: 10 },
        alert: ['debug'],
      }),
    );
    const withModule = await cli(fs, [
      'validate',
      '--config',
      inRoot(fs, '/etc/esalert/config.yaml'),
      '--format',
      'json',
      moduleRule,
    ]);
    expect((JSON.parse(withModule.stdout) as { ok: boolean }).ok).toBe(true);

    // `esalert demo` finds the example rules and events beside dist/
    const demo = await cli(fs, ['demo']);
    expect(demo.stdout).toMatch(new RegExp(`Demo done: ${exampleRules} rules, [1-9]\\d* alerts`));
  }, 600_000);

  it.skipIf(!oldNode)(
    `the compiled command line refuses an older Node.js (${oldNode?.path ?? 'none installed'}) in one sentence`,
    async () => {
      const fs = runtime;
      if (!fs || !oldNode) throw new Error('the build step did not complete');
      const res = await exec(oldNode.path, [inRoot(fs, '/app/dist/cli/main.js'), '--version'], {
        cwd: inRoot(fs, fs.workdir),
        env: { ...baseEnv(), ...fs.env },
        timeout: 120_000,
      }).then(
        () => ({ code: 0, stdout: '', stderr: '' }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
      expect(res.stderr).toBe(`${refusalOf(oldNode)}.\n`);
      expect(res.stdout).toBe('');
      expect(res.code).toBe(1);
    },
    180_000,
  );

  it('starts as Docker would, passes its HEALTHCHECK, is ready, serves metrics, and stops on SIGTERM with exit 0', async () => {
    const fs = runtime;
    if (!fs) throw new Error('the build step did not complete');
    const ports = new Map<number, number>();
    for (const p of image.expose) ports.set(p, await freePort());
    const hostPort = ports.get(image.expose[0]!)!;
    const [program, ...args] = hostArgs([...image.entrypoint, ...image.cmd], fs, ports);
    const es = esHostPort();
    let output = '';
    child = spawn(program!, args, {
      cwd: inRoot(fs, fs.workdir),
      env: {
        ...baseEnv(),
        ...fs.env,
        ES_HOST: es.es_host,
        ES_PORT: String(es.es_port),
        ESALERT_WRITEBACK_INDEX: uniqueName('esalert_image'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.on('exit', (code) => resolve(code)));

    const check = image.healthcheck;
    expect(check).toBeDefined();
    const [checkProgram, ...checkArgs] = hostArgs(check!.command, fs, ports);
    const deadline = Date.now() + 60_000;
    let healthy = false;
    while (!healthy && Date.now() < deadline && child.exitCode === null) {
      healthy = await exec(checkProgram!, checkArgs, { cwd: inRoot(fs, fs.workdir), timeout: 5000 }).then(
        () => true,
        () => false,
      );
      if (!healthy) await sleep(500);
    }
    expect(healthy, `HEALTHCHECK never passed; esalert said:\n${output}`).toBe(true);

    const base = `http://127.0.0.1:${hostPort}`;
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline + 30_000) {
      ready = (await fetch(`${base}/readyz`).catch(() => undefined))?.status ?? 0;
      if (ready !== 200) await sleep(500);
    }
    expect(ready, `/readyz never answered 200; esalert said:\n${output}`).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    // the console, from the compiled modules in dist/ (the image has no TypeScript sources)
    const consolePage = await (await fetch(`${base}/`)).text();
    expect(consolePage).toContain('src="/assets/main.js"');
    for (const asset of ['main.js', 'pages/rules-page.js', 'console.css']) {
      const r = await fetch(`${base}/assets/${asset}`);
      expect(r.status, asset).toBe(200);
    }

    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(45_000).then(() => 'still running')]);
    expect(code, output).toBe(0);
  }, 180_000);
});
