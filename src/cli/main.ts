#!/usr/bin/env node
/**
 * The esalert command line. This file maps argv to commands and owns the exit codes:
 *   0 success, 1 bad usage or configuration, 2 a run failed (Elasticsearch, rules, alerts left
 *   undelivered), 130 interrupted.
 */
// First: on an old Node.js it refuses in one sentence before the dependencies below are evaluated.
import '../../bin/check-node.cjs';
import { Command, Option } from 'commander';
import type { LogFormat, LogLevel } from '../app/logger.ts';
import { runService } from '../app/service.ts';
import { silenceRule } from '../app/silence.ts';
import { processEnv } from '../config/process-env.ts';
import { EsalertError, errorMessage } from '../errors/esalert-error.ts';
import { createIndexCommand } from './create-index.ts';
import { statusCommand } from './status.ts';
import { BackfillProgress, progressLine } from './progress.ts';
import { testRuleCommand } from './test-rule.ts';
import { silenceCommand } from './silence.ts';
import { demoCommand } from './demo.ts';
import { testCommand } from './test.ts';
import { validateCommand } from './validate.ts';

const env = processEnv;

/** ElastAlert 2 spells some flags with underscores; accept those too. */
export function normalizeArgv(argv: string[]): string[] {
  const map: Record<string, string> = {
    '--pin_rules': '--pin-rules',
    '--es_debug': '--es-debug',
    '--silence_qk_value': '--silence-qk-value',
    '--prometheus_port': '--http-port',
    '--count-only': '--count-only',
    '--schema-only': '--schema-only',
    '--formatted-output': '--formatted-output',
    '--save-json': '--save-json',
    '--max-query-size': '--max-query-size',
    '--stop-error': '--stop-error',
    '--count_only': '--count-only',
    '--schema_only': '--schema-only',
    '--formatted_output': '--formatted-output',
    '--save_json': '--save-json',
    '--max_query_size': '--max-query-size',
    '--stop_error': '--stop-error',
  };
  return argv.map((a) => {
    const [flag, ...rest] = a.split('=');
    const mapped = flag ? map[flag] : undefined;
    return mapped ? [mapped, ...rest].join('=') : a;
  });
}

function logLevel(o: { debug?: boolean; verbose?: boolean; logLevel?: string }): LogLevel {
  if (o.logLevel) return o.logLevel as LogLevel;
  return o.debug || o.verbose ? 'info' : 'warn';
}

function seconds(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new EsalertError('CONFIG_INVALID', `${flag} ${value} is not a number of seconds`);
  return n;
}

function fail(err: unknown): never {
  const e = err instanceof EsalertError ? err : undefined;
  process.stderr.write(`esalert: ${e ? e.message : errorMessage(err)}\n`);
  process.exit(e?.fault === 'user' ? 1 : 2);
}

const program = new Command('esalert')
  .description(
    'Watches Elasticsearch and alerts: ElastAlert 2 rules, Kubernetes events, DingTalk, WeCom, email, webhooks.',
  )
  .version('0.1.0');

program
  .command('run')
  .description('Run the rules on their schedules (or over --start/--end once, then exit)')
  .option('--config <file>', 'global config file', 'config.yaml')
  .option('--rule <file>', 'run only this rule (a path, or a file name inside the rules folders)')
  .option('--start <ts>', 'first run starts here (ISO 8601 or NOW)')
  .option('--end <ts>', 'every run ends here; exit after the window is covered')
  .option('--verbose', 'log each run (info level), send real alerts')
  .option('--debug', 'log alerts instead of sending them, write nothing to the writeback index')
  .option('--pin-rules', 'do not reload rules when their files change')
  .option('--es-debug', 'accepted for compatibility (Elasticsearch requests are logged at debug level)')
  .option(
    '--http-port <port>',
    'serve the console (/), its API (/api/), /metrics, /healthz and /readyz on this port (ElastAlert 2: --prometheus_port)',
  )
  .option('--http-host <host>', 'address the HTTP server listens on', '0.0.0.0')
  .option(
    '--shutdown-timeout <seconds>',
    'on SIGTERM/SIGINT: how long running queries may finish and queued alerts go out',
    '30',
  )
  .option(
    '--es-wait <seconds>',
    'with --end: give up when Elasticsearch has not answered for this long (a continuous run waits)',
    '120',
  )
  .option(
    '--deliver-timeout <seconds>',
    'with --end: once the window is covered, how long queued alerts may take to go out within rate limits',
    '600',
  )
  .option(
    '--data <file>',
    'evaluate over a JSON/NDJSON file of events (.gz too) instead of Elasticsearch, then exit',
  )
  .option('--silence <unit=n>', 'silence --rule for a while (hours=4, or 4h) and exit, as ElastAlert 2 does')
  .option('--silence-qk-value <value>', 'with --silence: only this query_key value')
  .addOption(
    new Option(
      '--log-format <format>',
      'log lines as JSON, or readable text (with a progress line for backfills on a terminal)',
    )
      .choices(['json', 'text'])
      .default('json'),
  )
  .addOption(
    new Option('--log-level <level>', 'overrides --verbose/--debug').choices([
      'debug',
      'info',
      'warn',
      'error',
    ]),
  )
  .action(
    async (o: {
      config: string;
      rule?: string;
      start?: string;
      end?: string;
      verbose?: boolean;
      debug?: boolean;
      pinRules?: boolean;
      logFormat: string;
      logLevel?: string;
      silence?: string;
      silenceQkValue?: string;
      data?: string;
      httpPort?: string;
      httpHost: string;
      shutdownTimeout: string;
      esWait: string;
      deliverTimeout: string;
    }) => {
      if (o.silence !== undefined) {
        if (!o.rule)
          return fail(new EsalertError('CONFIG_INVALID', '--silence needs --rule (the rule to silence)'));
        if (o.debug) return fail(new EsalertError('CONFIG_INVALID', '--silence cannot be used with --debug'));
        try {
          await silenceRule(
            {
              config: o.config,
              rule: o.rule,
              duration: o.silence,
              ...(o.silenceQkValue !== undefined ? { key: o.silenceQkValue } : {}),
            },
            env,
            (line) => process.stdout.write(`${line}\n`),
          );
          return;
        } catch (err) {
          return fail(err);
        }
      }
      let http: { port: number; host: string } | undefined;
      try {
        if (o.httpPort !== undefined) {
          const port = Number(o.httpPort);
          if (!Number.isInteger(port) || port < 0 || port > 65535)
            throw new EsalertError('CONFIG_INVALID', `--http-port ${o.httpPort} is not a port number`);
          http = { port, host: o.httpHost };
        }
      } catch (err) {
        return fail(err);
      }
      const format = o.logFormat as LogFormat;
      // a progress line for backfills, on a terminal with readable logs
      const meter = process.stderr.isTTY && format === 'text' ? new BackfillProgress() : undefined;
      const line = meter ? progressLine(process.stderr) : undefined;
      const stop = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        const result = await runService(
          {
            configFile: o.config,
            ...(o.rule ? { rule: o.rule } : {}),
            ...(o.start ? { start: o.start } : {}),
            ...(o.end ? { end: o.end } : {}),
            debug: Boolean(o.debug),
            pinRules: Boolean(o.pinRules),
            drainMs: seconds(o.shutdownTimeout, '--shutdown-timeout') * 1000,
            esWaitMs: seconds(o.esWait, '--es-wait') * 1000,
            deliverMs: seconds(o.deliverTimeout, '--deliver-timeout') * 1000,
            ...(o.data ? { data: o.data } : {}),
            log: { level: logLevel(o), format },
            ...(http ? { http } : {}),
            ...(meter && line
              ? {
                  progress: {
                    segment: (
                      rule: string,
                      p: { segmentsDone: number; segmentsTotal: number; hits: number },
                    ) => {
                      meter.segment(rule, p);
                      line.update(meter.text());
                    },
                    ruleRun: (_rule: string, matches: number) => meter.ruleRun(matches),
                    done: () => {
                      line.clear();
                      process.stderr.write(`backfill done: ${meter.text()}\n`);
                    },
                  },
                }
              : {}),
          },
          { env },
          stop.signal,
        );
        if (result.stopped) process.exit(0);
        if (result.undelivered.length) {
          const lines = result.undelivered.map(
            (u) => `  ${u.rule} -> ${u.alerters.join(', ')}${u.id ? ` (alert ${u.id})` : ''}: ${u.reason}`,
          );
          process.stderr.write(
            `esalert: ${result.undelivered.length} alert(s) not delivered by the end of the run${o.data ? '' : '; kept unsent in the writeback index for the next start'}:\n${lines.join('\n')}\n`,
          );
        }
        process.exit(result.failedRules > 0 || result.undelivered.length > 0 ? 2 : 0);
      } catch (err) {
        fail(err);
      }
    },
  );

createIndexCommand(program, env, fail);
statusCommand(program, env, fail);
testRuleCommand(program, env, fail);
validateCommand(program, env, fail);
silenceCommand(program, env, fail);
testCommand(program, env);
demoCommand(program, env, fail);

program.parseAsync(normalizeArgv(process.argv)).catch(fail);
