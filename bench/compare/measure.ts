/**
 * Runs a command and measures it: wall time, CPU time (user + system of the process and every
 * descendant it waited for) and peak resident memory.
 *
 * GNU time (`/usr/bin/time`) reports the kernel's rusage of the waited-for process tree, which is
 * exact. Without it, /proc of the process tree is sampled every 100 ms (CPU of a descendant that
 * exits between two samples is still counted through its parent's cutime/cstime; the last <100 ms
 * of the run and short-lived peaks can be missed).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  exitCode: number;
  /** When the command was started (epoch ms). */
  startedAt: number;
  wallMs: number;
  userMs: number;
  sysMs: number;
  cpuMs: number;
  peakRssKb: number;
  method: 'gnu-time' | 'proc-sampling';
}

export interface MeasureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr of the command go to this file (replaced). */
  logFile: string;
  /**
   * Stops a command that would run forever: after this many ms it gets SIGINT (the command itself,
   * not GNU time, which ignores SIGINT while it waits), and SIGKILL if still running 60 s later.
   */
  stopAfterMs?: number;
}

const GNU_TIME = '/usr/bin/time';

function gnuTimeWorks(): boolean {
  return existsSync(GNU_TIME);
}

export async function runMeasured(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  return gnuTimeWorks() ? withGnuTime(cmd, args, opts) : withProcSampling(cmd, args, opts);
}

/** The children of `pid` (Linux 3.5+ /proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function spawnLogged(cmd: string, args: string[], opts: MeasureOptions, wrapped = false) {
  const log = createWriteStream(opts.logFile);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: 'pipe' });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const timers: NodeJS.Timeout[] = [];
  const signal = (sig: NodeJS.Signals) => {
    const pid = child.pid;
    if (pid === undefined) return;
    // under GNU time the command is time's child
    for (const target of wrapped ? childrenOf(pid) : [pid]) {
      try {
        process.kill(target, sig);
      } catch {
        // already gone
      }
    }
  };
  if (opts.stopAfterMs !== undefined) {
    timers.push(setTimeout(() => signal('SIGINT'), opts.stopAfterMs));
    timers.push(setTimeout(() => signal('SIGKILL'), opts.stopAfterMs + 60_000));
  }
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, sig) => {
      for (const t of timers) clearTimeout(t);
      log.end();
      resolve(code ?? (sig ? 128 : 1));
    });
  });
  return { child, exited };
}

async function withGnuTime(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  const dir = mkdtempSync(join(tmpdir(), 'esalert-measure-'));
  const out = join(dir, 'time.txt');
  try {
    const startedAt = Date.now();
    const started = performance.now();
    const { exited } = spawnLogged(GNU_TIME, ['-f', '%e %U %S %M', '-o', out, cmd, ...args], opts, true);
    const code = await exited;
    const wallMs = performance.now() - started;
    // GNU time writes "Command exited with non-zero status N" before the format line when N != 0
    const line = readFileSync(out, 'utf8').trim().split('\n').at(-1) ?? '';
    const [, user, sys, rss] = line.split(' ').map(Number);
    if (user === undefined || sys === undefined || rss === undefined || Number.isNaN(rss))
      throw new Error(`unexpected ${GNU_TIME} output: ${line}`);
    const userMs = user * 1000;
    const sysMs = sys * 1000;
    return {
      exitCode: code,
      startedAt,
      wallMs,
      userMs,
      sysMs,
      cpuMs: userMs + sysMs,
      peakRssKb: rss,
      method: 'gnu-time',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const TICK_MS = 10; // USER_HZ is 100 on every Linux architecture Node supports

interface ProcSample {
  ppid: number;
  userMs: number;
  sysMs: number;
  hwmKb: number;
}

function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields from 3 on: state ppid ... utime(14) stime(15) cutime(16) cstime(17)
    const n = (i: number) => Number(f[i - 3]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+)/.exec(status)?.[1];
    return {
      ppid: n(4),
      userMs: (n(14) + n(16)) * TICK_MS,
      sysMs: (n(15) + n(17)) * TICK_MS,
      hwmKb: hwm ? Number(hwm) : 0,
    };
  } catch {
    return undefined;
  }
}

/** The CPU so far of `root` and its live descendants, and the largest resident set among them. */
function sampleTree(root: number): { userMs: number; sysMs: number; rssKb: number } {
  const all = new Map<number, ProcSample>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = readProc(pid);
    if (s) all.set(pid, s);
  }
  const inTree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of all)
      if (!inTree.has(pid) && inTree.has(s.ppid)) {
        inTree.add(pid);
        grew = true;
      }
  }
  let userMs = 0;
  let sysMs = 0;
  let rssKb = 0;
  for (const pid of inTree) {
    const s = all.get(pid);
    if (!s) continue;
    userMs += s.userMs;
    sysMs += s.sysMs;
    rssKb = Math.max(rssKb, s.hwmKb);
  }
  return { userMs, sysMs, rssKb };
}

async function withProcSampling(cmd: string, args: string[], opts: MeasureOptions): Promise<Measurement> {
  const startedAt = Date.now();
  const started = performance.now();
  const { child, exited } = spawnLogged(cmd, args, opts);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd}`);
  let last = { userMs: 0, sysMs: 0, rssKb: 0 };
  let peak = 0;
  const timer = setInterval(() => {
    const s = sampleTree(pid);
    if (s.userMs + s.sysMs >= last.userMs + last.sysMs) last = s;
    peak = Math.max(peak, s.rssKb);
  }, 100);
  const code = await exited;
  clearInterval(timer);
  return {
    exitCode: code,
    startedAt,
    wallMs: performance.now() - started,
    userMs: last.userMs,
    sysMs: last.sysMs,
    cpuMs: last.userMs + last.sysMs,
    peakRssKb: peak,
    method: 'proc-sampling',
  };
}
