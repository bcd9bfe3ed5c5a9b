import { describe, expect, it } from 'vitest';
import { parseGlobalConfig } from '../../../src/config/global-config.ts';
import { parseYaml } from '../../../src/config/yaml-source.ts';

const none = () => undefined;
const load = (text: string, env: (k: string) => string | undefined = none, known?: Set<string>) =>
  parseGlobalConfig(parseYaml('config.yaml', text, { env }), {
    env,
    ...(known ? { knownRuleOptions: known } : {}),
  });

const minimal =
  'run_every: {minutes: 1}\nbuffer_time: {minutes: 15}\nes_host: es\nes_port: 9200\nwriteback_index: elastalert_status\n';

describe('config.yaml', () => {
  it("fills ElastAlert 2's defaults", () => {
    const c = load(minimal);
    expect(c.runEveryMs).toBe(60_000);
    expect(c.bufferTimeMs).toBe(900_000);
    expect(c.alertTimeLimitMs).toBe(2 * 86_400_000);
    expect(c.oldQueryLimitMs).toBe(7 * 86_400_000);
    expect(c.maxQuerySize).toBe(10_000);
    expect(c.maxScrollingCount).toBe(990);
    expect(c.maxThreads).toBe(10);
    expect(c.disableRulesOnError).toBe(true);
    expect(c.scanSubdirectories).toBe(true);
    expect(c.raw.from_addr).toBe('ElastAlert');
    expect(c.raw.run_every).toEqual({ minutes: 1 });
  });

  // docs/deviations.md: one bad rule file does not stop the others unless config.yaml says so itself
  it.each([
    ['', false],
    ['skip_invalid: true\n', false],
    ['skip_invalid: false\n', true],
  ])('skip_invalid %j: a broken rule file stops the start: %s', (line, stops) => {
    const c = load(minimal + line);
    expect(c.stopOnInvalidRules).toBe(stops);
    // the rules' inherited defaults do not invent the key either
    if (!line) expect(c.raw).not.toHaveProperty('skip_invalid');
  });

  it.each([
    [
      'run_every: {minutes: 1}\nes_host: es\nwriteback_index: w\n',
      /config\.yaml:1:1: buffer_time is required/,
    ],
    [minimal.replace('es_port: 9200', 'es_port: nine'), /config\.yaml:4:1: es_port must be a port number/],
    [
      minimal.replace('buffer_time: {minutes: 15}', 'buffer_time: {mins: 15}'),
      /config\.yaml:2:\d+: buffer_time\.mins: unknown time unit "mins"/,
    ],
    [minimal.replace('es_host: es\n', ''), /es_host is required/],
    [minimal + 'max_threads: -2\n', /max_threads must be greater than 0/],
    [minimal + 'timezone: Mars/Olympus\n', /timezone must be an IANA time zone name/],
    [
      minimal + 'replicas: {lease: {seconds: 10}, renew: {seconds: 5}}\n',
      /config\.yaml:6:\d+: replicas: lease must be at least three times renew/,
    ],
  ])('rejects a bad value with the line and the fix (%#)', (text, want) => {
    expect(() => load(text)).toThrow(want);
  });

  it('replicas share the rules by default: lease 15 s, renewed every 5 s', () => {
    expect(load(minimal).replicas).toEqual({
      enabled: true,
      leaseMs: 15_000,
      renewMs: 5000,
      memberId: undefined,
    });
    const c = load(
      minimal + 'replicas: {enabled: false, lease: {seconds: 30}, renew: {seconds: 10}, member_id: pod-a}\n',
    );
    expect(c.replicas).toEqual({ enabled: false, leaseMs: 30_000, renewMs: 10_000, memberId: 'pod-a' });
    expect(c.warnings).toEqual([]);
  });

  it('sets aside, with a warning, a setting ElastAlert 2 reads only when it uses it', () => {
    const c = load(`${minimal}from_addr:\nnotify_email: false\n`);
    expect(c.warnings).toEqual([
      'config.yaml:7:1: notify_email has the wrong form (got false); the setting is ignored, as if it were not written (ElastAlert 2 does not check it at startup)',
      'config.yaml:6:1: from_addr must be a string (got null); the setting is ignored, as if it were not written (ElastAlert 2 does not check it at startup)',
    ]);
    // rules inherit the default sender, and no error notices are mailed
    expect(c.raw.from_addr).toBe('ElastAlert');
    expect(c.raw.notify_email).toBeUndefined();
    // a setting no rule can run without is still refused alongside
    expect(() => load(`${minimal}from_addr:\nmax_query_size: 0\n`)).toThrow(/max_query_size/);
  });

  it('warns about unknown settings and suggests the right name', () => {
    const c = load(minimal + 'max_query_sise: 5\nsmtp_host: mail\n', none, new Set(['num_events']));
    expect(c.warnings).toEqual([
      expect.stringMatching(
        /config\.yaml:6: unknown setting "max_query_sise" is ignored; did you mean "max_query_size"\?/,
      ),
    ]);
  });

  it('takes ES_HOST, ES_PORT, ES_USERNAME, ES_PASSWORD from the environment (over the file)', () => {
    const env = (k: string) =>
      ({ ES_HOST: 'from-env', ES_PORT: '9201', ES_USERNAME: 'u', ES_PASSWORD: 'p' })[k];
    const c = load(minimal, env);
    expect(c.raw).toMatchObject({ es_host: 'from-env', es_port: 9201, es_username: 'u', es_password: 'p' });
  });

  it('interpolates ${VAR} in values', () => {
    const env = (k: string) => ({ WB: 'prod_status' })[k];
    expect(load(minimal.replace('elastalert_status', '${WB}'), env).writebackIndex).toBe('prod_status');
  });
});
