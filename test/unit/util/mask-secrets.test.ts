import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { isSecretKey, maskUrlText, maskYamlSecrets } from '../../../src/util/mask-secrets.ts';

const RULE = `name: pods
type: any
index: eventrouter-*
# a comment stays
query_key: event.involvedObject.name.keyword
alert:
  - dingtalk
  - post2:
      http_post2_url: https://hooks.example.com/x?access_token=abc123def456&type=a
      http_post2_headers:
        Authorization: Bearer sk-live-1234567890
dingtalk_access_token: 0123456789abcdef
dingtalk_sign: SECsecretsecretsecret
es_password: \${ES_PASSWORD}
smtp_auth_file: /etc/esalert/smtp.yaml
webhook_url: https://user:pa55word@hooks.example.com/services/T0/B0/XYZ
multi: |
  keep
  this
wecom_secret: |
  line one
  line two
realert_key: pods
alert_text: "Pod {0} failed"
`;

describe('masking secrets in rule YAML', () => {
  const out = maskYamlSecrets(RULE, ['internal-secret-value']);

  it('masks the values of secret-shaped keys, keeps everything else and every line', () => {
    for (const secret of [
      'abc123def456',
      'sk-live-1234567890',
      '0123456789abcdef',
      'SECsecretsecretsecret',
      'pa55word',
      'line one',
    ])
      expect(out).not.toContain(secret);
    expect(out.split('\n').length).toBe(RULE.split('\n').length);
    const value = parse(out) as Record<string, unknown>;
    expect(value.dingtalk_access_token).toBe('***');
    expect(value.dingtalk_sign).toBe('***');
    expect(value.query_key).toBe('event.involvedObject.name.keyword');
    expect(value.realert_key).toBe('pods');
    expect(value.alert_text).toBe('Pod {0} failed');
    expect(value.multi).toBe('keep\nthis\n');
    expect(out).toContain('# a comment stays');
    // the line numbers of later keys do not move
    const lineOf = (text: string, key: string) => text.split('\n').findIndex((l) => l.startsWith(`${key}:`));
    expect(lineOf(out, 'realert_key')).toBe(lineOf(RULE, 'realert_key'));
  });

  it('keeps references to where a secret comes from', () => {
    expect((parse(out) as Record<string, unknown>).es_password).toBe('${ES_PASSWORD}');
  });

  it('masks URL credentials and query values, and every registered secret anywhere', () => {
    expect(out).toContain('https://hooks.example.com/x?access_token=***&type=***');
    expect(
      maskYamlSecrets('note: the value internal-secret-value is here\n', ['internal-secret-value']),
    ).toBe('note: the value *** is here\n');
    expect(maskUrlText('see https://bob:hunter22@es.example:9200/_search?q=1')).toBe(
      'see https://***@es.example:9200/_search?q=***',
    );
  });

  it('masks line by line when the file is not valid YAML', () => {
    const broken = 'name: x\n  es_password: hunter2hunter2\nfilter: [unclosed\n';
    const masked = maskYamlSecrets(broken, []);
    expect(masked).not.toContain('hunter2hunter2');
    expect(masked).toContain('filter: [unclosed');
  });

  it('knows secret-shaped keys', () => {
    for (const k of [
      'es_password',
      'smtp_auth_file_password',
      'dingtalk_sign',
      'work_wechat_bot_id',
      'pagerduty_service_key',
      'telegram_bot_token',
      'slack_webhook_url',
      'Authorization',
      'es_api_key',
    ])
      expect(isSecretKey(k), k).toBe(true);
    for (const k of [
      'query_key',
      'realert_key',
      'aggregation_key',
      'compare_key',
      'name',
      'index',
      'alert_subject',
      'design',
    ])
      expect(isSecretKey(k), k).toBe(false);
  });
});
