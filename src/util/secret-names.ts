/**
 * Names that say a value is a credential: option names (es_password, dingtalk_access_token,
 * wecom_key...), log fields and HTTP header names (Authorization, X-Api-Key, Cookie...).
 */

/** Option and field names whose values are credentials, or files or maps holding them. */
const SECRET_NAME =
  /(pass(word)?|passwd|secret|token|api_?key|bearer|sign|signature|credentials?|cookie|auth|authorization|bot_id|private_key|(auth|key)_file|headers)$|(^|[_-])key$/i;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** HTTP header names whose values are credentials (X-Api-Key, PRIVATE-TOKEN, X-Hub-Signature...). */
const SECRET_HEADER = /auth|token|key|secret|sign|cookie|pass|session|credential/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * The options that say how to reach and log in to Elasticsearch (config.yaml, or a rule of its
 * own): never shown to templates, and not inherited by a rule that names another cluster.
 */
export const ES_CONNECTION_KEYS = [
  'es_host',
  'es_port',
  'es_hosts',
  'use_ssl',
  'verify_certs',
  'ssl_show_warn',
  'ca_certs',
  'client_cert',
  'client_key',
  'es_username',
  'es_password',
  'es_api_key',
  'es_bearer',
  'es_url_prefix',
  'es_conn_timeout',
  'es_send_get_body_as',
] as const;
