/**
 * ElastAlert 2's `command`: runs a program for each alert. This is code execution on the esalert
 * host, for rule authors who are trusted with it (docs/security.md). A list runs that program with
 * those arguments and no shell; a string runs through /bin/sh, ElastAlert 2's shell form, and then
 * every value taken from the match is passed as one single-quoted word, so event text cannot add
 * shell syntax. The match (pipe_match_json) or the alert text (pipe_alert_text) can go to stdin.
 * esalert waits for the program, kills it (and what it started) at command_timeout, and keeps at
 * most 64 KiB of its output.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { FormatError } from '../format/python-format.ts';
import { errorMessage } from '../errors/esalert-error.ts';
import { pythonJsonDumps } from '../format/python-json.ts';
import type { AlerterDefinition, SendOutcome } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { formatCommandArg, shellQuote } from './command-args.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  command: z.union([z.string().min(1), z.array(z.union([z.string(), z.number()]).transform(String)).min(1)], {
    error: 'is required: a list [program, arg, ...] (or a shell command line as one string)',
  }),
  pipe_match_json: z.boolean().default(false),
  pipe_alert_text: z.boolean().default(false),
  fail_on_non_zero_exit: z.boolean().default(false),
  new_style_string_format: z.boolean().default(false),
  command_timeout: seconds(60),
});

/** Output kept per stream; the rest is read and dropped. */
export const COMMAND_OUTPUT_BYTES = 64 * 1024;
/** sysexits.h EX_TEMPFAIL: "try again later", the one exit status treated as retryable. */
const EX_TEMPFAIL = 75;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  push(chunk: Buffer) {
    const room = COMMAND_OUTPUT_BYTES - this.size;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.chunks.push(part);
      this.size += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }
  text() {
    return (
      Buffer.concat(this.chunks).toString('utf8') + (this.dropped ? `…(${this.dropped} more bytes)` : '')
    );
  }
}

function run(
  argv: string[],
  shell: boolean,
  stdin: string | undefined,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = shell
      ? spawn('/bin/sh', ['-c', argv[0]!], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new Capped();
    const err = new Capped();
    let timedOut = false;
    let aborted = false;
    // the child leads its own process group: killing the group stops what a shell started too
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => undefined); // a program that does not read its stdin closes it early
    child.on('error', (e) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve({ code, signal: sig, stdout: out.text(), stderr: err.text(), timedOut, aborted });
    });
    child.stdin.end(stdin ?? '');
  });
}

const tail = (text: string, n = 300) => (text.length > n ? `…${text.slice(-n)}` : text).trim();

export const commandAlerter: AlerterDefinition = {
  name: 'command',
  aliases: ['elastalert.alerters.command.CommandAlerter'],
  summary:
    'Runs a program (argv list, or a /bin/sh command line) with values from the match; code execution.',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    if (o.pipe_match_json && o.pipe_alert_text)
      throw new OptionProblem(
        'pipe_alert_text',
        'cannot be used together with pipe_match_json: choose one for stdin',
      );
    const shell = typeof o.command === 'string';
    const templates = typeof o.command === 'string' ? [o.command] : o.command;
    if (!o.new_style_string_format && templates.some((t) => t.includes('{match[')))
      deps.logger.warn(
        '{match[...]} in command is the old form: ElastAlert 2 passes it unformatted; set new_style_string_format: true, or write {field} / %(field)s',
      );
    const program = shell ? '/bin/sh' : templates[0]!;
    return {
      type: 'command',
      channel: `command:${program}`,
      info: () => ({ type: 'command', command: program }),
      secrets: () => [],
      async send(content, signal): Promise<SendOutcome> {
        if (signal.aborted)
          return { ok: false, retryable: true, reason: `${program}: aborted before it started` };
        const first = content.matches[0] ?? {};
        let argv: string[];
        try {
          argv = templates.map((t) =>
            formatCommandArg(t, first, {
              newStyle: o.new_style_string_format,
              ...(shell ? { quote: shellQuote } : {}),
            }),
          );
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
          return { ok: false, retryable: false, reason: `command: ${err.message}` };
        }
        const stdin = o.pipe_match_json
          ? `${pythonJsonDumps(content.matches)}\n`
          : o.pipe_alert_text
            ? content.body
            : undefined;
        let r: RunResult;
        try {
          r = await run(argv, shell, stdin, o.command_timeout * 1000, signal);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const hint =
            code === 'ENOENT'
              ? ': no such program; give its full path, or a name on the PATH of esalert'
              : code === 'EACCES'
                ? ': not executable by the esalert user'
                : '';
          return {
            ok: false,
            retryable: false,
            reason: `command ${program} could not start (${code ?? errorMessage(err)})${hint}`,
          };
        }
        if (r.aborted)
          return {
            ok: false,
            retryable: true,
            reason: `command ${program}: aborted, the process was killed`,
          };
        if (r.timedOut)
          return {
            ok: false,
            retryable: true,
            reason: `command ${program}: still running after ${o.command_timeout} s (command_timeout), killed`,
          };
        if (r.stdout || r.stderr)
          deps.logger.debug({ stdout: r.stdout, stderr: r.stderr }, `output of ${program}`);
        if (r.code === 0) {
          deps.logger.info(`alert sent to command ${program}`);
          return { ok: true };
        }
        const status = r.code !== null ? `exit status ${r.code}` : `signal ${r.signal}`;
        const said = r.stderr ? `: ${tail(r.stderr)}` : '';
        if (!o.fail_on_non_zero_exit) {
          deps.logger.warn(
            `command ${program} ended with ${status}${said} (fail_on_non_zero_exit is false: counted as sent)`,
          );
          return { ok: true };
        }
        return {
          ok: false,
          retryable: r.code === EX_TEMPFAIL || r.code === null,
          reason: `command ${program} ended with ${status}${said}`,
        };
      },
    };
  },
};
