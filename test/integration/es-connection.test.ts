import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveEsConnection } from '../../src/config/es-connection.ts';
import { isEsalertError } from '../../src/errors/esalert-error.ts';
import { connectElasticsearch, type EsConnection } from '../../src/query/es-client.ts';
import { connectTestEs, esHostPort, testEs, uniqueName } from './helpers.ts';
import { type Gateway, startGateway } from './support/es-gateway.ts';

const noEnv = () => undefined;

const authenticatedUser = async (conn: EsConnection) =>
  (
    await conn.client.transport.request<{ username: string }>({
      method: 'GET',
      path: '/_security/_authenticate',
    })
  ).body.username;

describe('connecting to Elasticsearch the ElastAlert 2 way', () => {
  let admin: EsConnection;
  beforeAll(async () => {
    admin = await connectTestEs();
  });
  afterAll(async () => {
    await admin.close();
  });
  let gw: Gateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('detects the server version and speaks its REST dialect for writes and searches', async () => {
    const conn = await connectElasticsearch(resolveEsConnection(esHostPort(), noEnv));
    try {
      expect(conn.server.version).toBe(testEs().version);
      expect(conn.server.major).toBe(testEs().major);
      const index = uniqueName('conn');
      await conn.client.index({ index, document: { msg: 'hello "world"', n: 1 }, refresh: true });
      const res = await conn.client.search({ index, query: { query_string: { query: 'msg:hello' } } });
      expect(res.hits.hits).toHaveLength(1);
      await conn.client.indices.delete({ index });
    } finally {
      await conn.close();
    }
  });

  it('reads the corpus the harness loaded', async () => {
    const res = await admin.client.count({ index: 'eventrouter-*' });
    expect(res.count).toBe(testEs().corpus.manifest.docs);
  });

  it('takes ES_HOST/ES_PORT from the environment over config.yaml', async () => {
    const { es_host, es_port } = esHostPort();
    const env = (k: string) => ({ ES_HOST: es_host, ES_PORT: String(es_port) })[k];
    const conn = await connectElasticsearch(
      resolveEsConnection({ es_host: 'nowhere.invalid', es_port: 1 }, env),
    );
    expect(conn.server.version).toBe(testEs().version);
    await conn.close();
  });

  it('honours an ES_VERSION override without asking the server (opensearch-X.Y.Z for OpenSearch)', async () => {
    const { version, distribution } = testEs();
    const override = distribution === 'opensearch' ? `opensearch-${version}` : version;
    const env = (k: string) => (k === 'ES_VERSION' ? override : undefined);
    // a gateway that refuses GET / and the nodes API, as a cluster does for a user without monitor rights
    gw = await startGateway({
      target: testEs().url,
      fail: (_n, method, path) => (method === 'GET' && /^\/(_nodes.*)?(\?|$)/.test(path) ? 403 : undefined),
    });
    const blocked = { es_host: '127.0.0.1', es_port: gw.port };
    const refused = await connectElasticsearch(resolveEsConnection(blocked, noEnv)).catch((e: unknown) => e);
    expect(isEsalertError(refused, 'ES_AUTH')).toBe(true);
    const conn = await connectElasticsearch(resolveEsConnection(blocked, env));
    expect(conn.detected).toBe('override');
    expect(conn.server.version).toBe(version);
    expect(conn.server.distribution).toBe(distribution);
    const res = await conn.client.count({ index: 'eventrouter-*' });
    expect(res.count).toBeGreaterThan(0);
    await conn.close();
  });

  it('fails with ES_UNREACHABLE when nothing listens', async () => {
    const err = await connectElasticsearch(
      resolveEsConnection({ es_host: '127.0.0.1', es_port: 9 }, noEnv),
    ).catch((e: unknown) => e);
    expect(isEsalertError(err, 'ES_UNREACHABLE')).toBe(true);
  });

  describe.skipIf(!testEs().security)('basic auth against the security-enabled node', () => {
    const creds = () => testEs().credentials!;

    it('authenticates with es_username / es_password', async () => {
      const { username, password } = creds();
      const conn = await connectElasticsearch(
        resolveEsConnection({ ...esHostPort(), es_username: username, es_password: password }, noEnv),
      );
      expect(await authenticatedUser(conn)).toBe(username);
      await conn.close();
    });

    it('takes ES_USERNAME/ES_PASSWORD from the environment', async () => {
      const { username, password } = creds();
      const env = (k: string) => ({ ES_USERNAME: username, ES_PASSWORD: password })[k];
      const conn = await connectElasticsearch(
        resolveEsConnection({ ...esHostPort(), es_username: 'other', es_password: 'x' }, env),
      );
      expect(await authenticatedUser(conn)).toBe(username);
      await conn.close();
    });

    it('rejects a wrong password with ES_AUTH and never echoes the password', async () => {
      const err = await connectElasticsearch(
        resolveEsConnection(
          { ...esHostPort(), es_username: creds().username, es_password: 'wrong-secret-123' },
          noEnv,
        ),
      ).catch((e: unknown) => e);
      expect(isEsalertError(err, 'ES_AUTH')).toBe(true);
      expect(String((err as Error).message)).not.toContain('wrong-secret-123');
      expect(String((err as Error).message)).toMatch(/es_username\/es_password/);
    });
  });

  describe('through a gateway on 127.0.0.1', () => {
    it('sends es_api_key as "Authorization: ApiKey", winning over bearer and basic auth', async () => {
      gw = await startGateway({ target: testEs().url, requireAuthorization: 'ApiKey a2V5OnNlY3JldA==' });
      const conn = await connectElasticsearch(
        resolveEsConnection(
          {
            es_host: '127.0.0.1',
            es_port: gw.port,
            es_api_key: 'a2V5OnNlY3JldA==',
            es_bearer: 'tok',
            es_username: 'u',
            es_password: 'p',
          },
          noEnv,
        ),
      );
      expect((await conn.client.count({ index: 'eventrouter-*' })).count).toBe(testEs().corpus.manifest.docs);
      await conn.close();
    });

    it('sends es_bearer as "Authorization: Bearer"', async () => {
      gw = await startGateway({ target: testEs().url, requireAuthorization: 'Bearer dGhlLXRva2Vu' });
      const conn = await connectElasticsearch(
        resolveEsConnection({ es_host: '127.0.0.1', es_port: gw.port, es_bearer: 'dGhlLXRva2Vu' }, noEnv),
      );
      expect(conn.server.version).toBe(testEs().version);
      await conn.close();
    });

    it('fails with ES_AUTH when the gateway refuses the key', async () => {
      gw = await startGateway({ target: testEs().url, requireAuthorization: 'ApiKey right' });
      const err = await connectElasticsearch(
        resolveEsConnection({ es_host: '127.0.0.1', es_port: gw.port, es_api_key: 'wrong' }, noEnv),
      ).catch((e: unknown) => e);
      expect(isEsalertError(err, 'ES_AUTH')).toBe(true);
      expect((err as Error).message).not.toContain('wrong');
    });

    it('serves under es_url_prefix', async () => {
      gw = await startGateway({ target: testEs().url, prefix: 'elasticsearch' });
      const conn = await connectElasticsearch(
        resolveEsConnection(
          { es_host: '127.0.0.1', es_port: gw.port, es_url_prefix: '/elasticsearch/' },
          noEnv,
        ),
      );
      expect((await conn.client.count({ index: 'eventrouter-*' })).count).toBe(testEs().corpus.manifest.docs);
      await conn.close();
    });

    it('connects over TLS with use_ssl, ca_certs and a client certificate', async () => {
      gw = await startGateway({ target: testEs().url, tls: { requestClientCert: true } });
      const c = gw.certs!;
      const conn = await connectElasticsearch(
        resolveEsConnection(
          {
            es_host: '127.0.0.1',
            es_port: gw.port,
            use_ssl: true,
            ca_certs: c.ca,
            client_cert: c.clientCert,
            client_key: c.clientKey,
          },
          noEnv,
        ),
      );
      expect(conn.server.version).toBe(testEs().version);
      await conn.close();
    });

    it('refuses an unknown CA unless verify_certs is false', async () => {
      gw = await startGateway({ target: testEs().url, tls: { requestClientCert: false } });
      const err = await connectElasticsearch(
        resolveEsConnection({ es_host: '127.0.0.1', es_port: gw.port, use_ssl: true }, noEnv),
      ).catch((e: unknown) => e);
      expect(isEsalertError(err, 'ES_UNREACHABLE')).toBe(true);
      const conn = await connectElasticsearch(
        resolveEsConnection(
          { es_host: '127.0.0.1', es_port: gw.port, use_ssl: true, verify_certs: false },
          noEnv,
        ),
      );
      expect(conn.server.version).toBe(testEs().version);
      await conn.close();
    });
  });
});
