import { describe, expect, it } from 'vitest';
import { connectionSecrets, resolveEsConnection } from '../../../src/config/es-connection.ts';
import { isEsalertError } from '../../../src/errors/esalert-error.ts';

const env = (vars: Record<string, string>) => (k: string) => vars[k];
const none = env({});

describe('resolveEsConnection', () => {
  const cases: {
    name: string;
    keys: Parameters<typeof resolveEsConnection>[0];
    vars?: Record<string, string>;
    nodes: string[];
    auth?: unknown;
  }[] = [
    { name: 'host and port', keys: { es_host: 'es', es_port: 9200 }, nodes: ['http://es:9200'] },
    {
      name: 'TLS and url prefix',
      keys: { es_host: 'es', es_port: 443, use_ssl: true, es_url_prefix: '/es/' },
      nodes: ['https://es:443/es'],
    },
    {
      name: 'es_hosts adds nodes, default port from es_port',
      keys: { es_host: 'a', es_port: 9201, es_hosts: ['b', 'c:9300'] },
      nodes: ['http://a:9201', 'http://b:9201', 'http://c:9300'],
    },
    {
      name: 'ES_HOST/ES_PORT win',
      keys: { es_host: 'a', es_port: 1 },
      vars: { ES_HOST: 'b', ES_PORT: '2' },
      nodes: ['http://b:2'],
    },
    {
      name: 'ES_HOSTS replaces es_hosts',
      keys: { es_host: 'a', es_port: 1, es_hosts: ['x'] },
      vars: { ES_HOSTS: 'y:5, z' },
      nodes: ['http://a:1', 'http://y:5', 'http://z:1'],
    },
    {
      name: 'ES_USE_SSL=True',
      keys: { es_host: 'a', es_port: 1 },
      vars: { ES_USE_SSL: 'True' },
      nodes: ['https://a:1'],
    },
    {
      name: 'ES_URL_PREFIX',
      keys: { es_host: 'a', es_port: 1 },
      vars: { ES_URL_PREFIX: 'p' },
      nodes: ['http://a:1/p'],
    },
    {
      name: 'basic auth',
      keys: { es_host: 'a', es_port: 1, es_username: 'u', es_password: 'p' },
      nodes: ['http://a:1'],
      auth: { kind: 'basic', username: 'u', password: 'p' },
    },
    {
      name: 'api key beats bearer and basic',
      keys: { es_host: 'a', es_port: 1, es_username: 'u', es_password: 'p', es_bearer: 'b', es_api_key: 'k' },
      nodes: ['http://a:1'],
      auth: { kind: 'apiKey', apiKey: 'k' },
    },
    {
      name: 'bearer beats basic',
      keys: { es_host: 'a', es_port: 1, es_username: 'u', es_password: 'p', es_bearer: 'b' },
      nodes: ['http://a:1'],
      auth: { kind: 'bearer', token: 'b' },
    },
    {
      name: 'ES_USERNAME/ES_PASSWORD win',
      keys: { es_host: 'a', es_port: 1, es_username: 'u', es_password: 'p' },
      vars: { ES_USERNAME: 'eu', ES_PASSWORD: 'ep' },
      nodes: ['http://a:1'],
      auth: { kind: 'basic', username: 'eu', password: 'ep' },
    },
    {
      name: 'ES_API_KEY',
      keys: { es_host: 'a', es_port: 1 },
      vars: { ES_API_KEY: 'ek' },
      nodes: ['http://a:1'],
      auth: { kind: 'apiKey', apiKey: 'ek' },
    },
  ];
  it.each(cases)('$name', ({ keys, vars, nodes, auth }) => {
    const o = resolveEsConnection(keys, env(vars ?? {}));
    expect(o.nodes).toEqual(nodes);
    expect(o.auth).toEqual(auth);
  });

  it('converts es_conn_timeout seconds to ms (default 20 s)', () => {
    expect(resolveEsConnection({ es_host: 'a' }, none).requestTimeoutMs).toBe(20_000);
    expect(resolveEsConnection({ es_host: 'a', es_conn_timeout: 2.5 }, none).requestTimeoutMs).toBe(2_500);
  });

  it('builds TLS options from verify_certs and certificate files', () => {
    const o = resolveEsConnection(
      {
        es_host: 'a',
        use_ssl: true,
        verify_certs: false,
        ca_certs: '/ca.pem',
        client_cert: '/c.pem',
        client_key: '/k.pem',
      },
      none,
    );
    expect(o.tls).toEqual({
      rejectUnauthorized: false,
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
  });

  it('certificates without use_ssl are an error, not a silent switch to clear text', () => {
    for (const k of ['ca_certs', 'client_cert']) {
      expect(() => resolveEsConnection({ es_host: 'a', [k]: '/x.pem' }, none)).toThrow(
        new RegExp(`${k} is set but use_ssl is not: set use_ssl: true`),
      );
    }
    // ES_USE_SSL, or an https:// entry in es_hosts, is TLS
    expect(
      resolveEsConnection({ es_host: 'a', ca_certs: '/ca.pem' }, env({ ES_USE_SSL: 'true' })).nodes,
    ).toEqual(['https://a:9200']);
    const o = resolveEsConnection({ es_hosts: ['https://b:9243'], ca_certs: '/ca.pem' }, none);
    expect(o.nodes).toEqual(['https://b:9243']);
    expect(o.tls).toEqual({ rejectUnauthorized: true, caFile: '/ca.pem' });
  });

  it('a credential YAML read as a number is used, and registered, as text', () => {
    const o = resolveEsConnection(
      { es_host: 'a', es_username: 'u', es_password: 123456 as unknown as string },
      none,
    );
    expect(o.auth).toEqual({ kind: 'basic', username: 'u', password: '123456' });
    expect(connectionSecrets(o)).toEqual(['123456']);
  });

  it('requires a host and says how to give one', () => {
    const err = (() => {
      try {
        resolveEsConnection({}, none);
      } catch (e) {
        return e;
      }
    })();
    expect(isEsalertError(err, 'CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/es_host is required/);
  });

  it('rejects a non-numeric ES_PORT', () => {
    expect(() => resolveEsConnection({ es_host: 'a' }, env({ ES_PORT: 'ninety' }))).toThrow(
      /ES_PORT must be a port number/,
    );
  });

  it('lists the values that must be redacted', () => {
    expect(
      connectionSecrets(resolveEsConnection({ es_host: 'a', es_username: 'u', es_password: 'pw' }, none)),
    ).toEqual(['pw']);
    expect(connectionSecrets(resolveEsConnection({ es_host: 'a', es_api_key: 'k' }, none))).toEqual(['k']);
  });
});
