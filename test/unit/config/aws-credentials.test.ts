/** The AWS credential chain (boto3's order without the network sources), against real files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AwsCredentialsError,
  awsEndpointFromEnv,
  parseAwsIni,
  resolveAwsSettings,
} from '../../../src/config/aws-credentials.ts';

const home = mkdtempSync(join(tmpdir(), 'esalert-aws-'));
const credentials = join(home, 'credentials');
const config = join(home, 'config');
writeFileSync(
  credentials,
  `# shared credentials
[default]
aws_access_key_id = AKIADEFAULT
aws_secret_access_key = default/secret+key

[ops]
aws_access_key_id=AKIAOPS
aws_secret_access_key=ops-secret ; a comment
aws_session_token = ops-token
`,
);
writeFileSync(
  config,
  `[default]
region = eu-central-1

[profile ops]
region = ap-southeast-2
s3 =
  max_concurrent_requests = 20

[profile onlyconfig]
aws_access_key_id = AKIACFG
aws_secret_access_key = cfg-secret
`,
);
const env =
  (vars: Record<string, string>) =>
  (name: string): string | undefined =>
    ({ AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config, ...vars })[name];

describe('resolveAwsSettings', () => {
  it('keys in the rule come first; one without the other is refused', () => {
    const s = resolveAwsSettings(
      { accessKeyId: 'AKIARULE', secretAccessKey: 'rule-secret', profile: 'ops' },
      env({ AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' }),
    );
    expect(s).toEqual({
      credentials: { accessKeyId: 'AKIARULE', secretAccessKey: 'rule-secret' },
      source: 'the rule options',
    });
    expect(() => resolveAwsSettings({ accessKeyId: 'AKIARULE' }, env({}))).toThrow(AwsCredentialsError);
  });

  it('a profile named in the rule: credentials file, config region, config-only keys; a missing one says where it looked', () => {
    expect(resolveAwsSettings({ profile: 'ops' }, env({}))).toEqual({
      credentials: { accessKeyId: 'AKIAOPS', secretAccessKey: 'ops-secret', sessionToken: 'ops-token' },
      region: 'ap-southeast-2',
      source: `profile "ops" in ${credentials}`,
    });
    expect(resolveAwsSettings({ profile: 'onlyconfig' }, env({ AWS_REGION: 'us-west-2' }))).toMatchObject({
      credentials: { accessKeyId: 'AKIACFG', secretAccessKey: 'cfg-secret' },
      region: 'us-west-2',
    });
    expect(() => resolveAwsSettings({ profile: 'nope' }, env({}))).toThrow(
      `profile "nope" has no aws_access_key_id/aws_secret_access_key in ${credentials} or ${config}`,
    );
  });

  it('then the environment, then AWS_PROFILE or default from the files', () => {
    expect(
      resolveAwsSettings(
        {},
        env({
          AWS_ACCESS_KEY_ID: 'AKIAENV',
          AWS_SECRET_ACCESS_KEY: 'env-secret',
          AWS_SESSION_TOKEN: 't',
          AWS_DEFAULT_REGION: 'sa-east-1',
        }),
      ),
    ).toEqual({
      credentials: { accessKeyId: 'AKIAENV', secretAccessKey: 'env-secret', sessionToken: 't' },
      region: 'sa-east-1',
      source: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    });
    expect(resolveAwsSettings({}, env({ AWS_PROFILE: 'ops' })).credentials.accessKeyId).toBe('AKIAOPS');
    expect(resolveAwsSettings({}, env({}))).toMatchObject({
      credentials: { accessKeyId: 'AKIADEFAULT', secretAccessKey: 'default/secret+key' },
      region: 'eu-central-1',
    });
  });

  it('~/.aws under HOME when no file variables are set; nothing found says what to set', () => {
    expect(() => resolveAwsSettings({}, (n) => ({ HOME: join(home, 'nowhere') })[n])).toThrow(
      /no AWS credentials found/,
    );
  });

  it('parses sections, comments and nested blocks; endpoints come from the environment as boto3 reads them', () => {
    expect([...parseAwsIni('[a]\nk = v # c\n  nested = 1\n;x\n').get('a')!]).toEqual([['k', 'v']]);
    expect(
      awsEndpointFromEnv(
        (n) => ({ AWS_ENDPOINT_URL_SNS: 'http://sns', AWS_ENDPOINT_URL: 'http://all' })[n],
        'sns',
      ),
    ).toBe('http://sns');
    expect(awsEndpointFromEnv((n) => ({ AWS_ENDPOINT_URL: 'http://all' })[n], 'sqs')).toBe('http://all');
  });
});
