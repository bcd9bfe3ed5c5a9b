/**
 * AWS credentials and region for the alerters that call AWS (sns, sqs, ses), found the way boto3's
 * Session finds them, minus the network sources:
 *   1. keys given in the rule (both the key id and the secret);
 *   2. a profile named in the rule, from the shared credentials and config files;
 *   3. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN);
 *   4. the profile in AWS_PROFILE (or `default`) from the shared files.
 * The files are AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE (~/.aws/config).
 * Instance metadata, container credentials and web identity tokens are not read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvLookup } from './interpolate.ts';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsSettingsRequest {
  accessKeyId?: string;
  secretAccessKey?: string;
  profile?: string;
}

export interface AwsSettings {
  credentials: AwsKeys;
  /** The profile's region, or AWS_REGION / AWS_DEFAULT_REGION, when set. */
  region?: string;
  /** Where the credentials came from, for messages ("rule options", "profile ops in ~/.aws/credentials"...). */
  source: string;
}

export class AwsCredentialsError extends Error {}

type Ini = Map<string, Map<string, string>>;

/** The sections of an AWS shared file: `[name]` headers, `key = value` lines, `#`/`;` comments. */
export function parseAwsIni(text: string): Ini {
  const out: Ini = new Map();
  let section: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw)) continue; // nested values (s3 = ...) are not used here
    const line = raw.replace(/\s[#;].*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      section = out.get(header[1]!) ?? new Map<string, string>();
      out.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (section && eq > 0) section.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  }
  return out;
}

function readIni(path: string, readFile: (p: string) => string): Ini | undefined {
  try {
    return parseAwsIni(readFile(path));
  } catch {
    return undefined;
  }
}

export interface AwsFiles {
  credentialsFile?: string;
  configFile?: string;
}

/** The shared files' paths from the environment (empty when there is no home directory to look in). */
export function awsFiles(env: EnvLookup): AwsFiles {
  const home = env('HOME') ?? env('USERPROFILE');
  const credentialsFile =
    env('AWS_SHARED_CREDENTIALS_FILE') ?? (home ? join(home, '.aws', 'credentials') : undefined);
  const configFile = env('AWS_CONFIG_FILE') ?? (home ? join(home, '.aws', 'config') : undefined);
  return { ...(credentialsFile ? { credentialsFile } : {}), ...(configFile ? { configFile } : {}) };
}

function keysOf(section: Map<string, string> | undefined): AwsKeys | undefined {
  const id = section?.get('aws_access_key_id');
  const secret = section?.get('aws_secret_access_key');
  if (!id || !secret) return undefined;
  const token = section?.get('aws_session_token');
  return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
}

function envRegion(env: EnvLookup): string | undefined {
  return env('AWS_REGION') || env('AWS_DEFAULT_REGION') || undefined;
}

/** Credentials and region for one AWS client; throws AwsCredentialsError saying what to set. */
export function resolveAwsSettings(
  request: AwsSettingsRequest,
  env: EnvLookup,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): AwsSettings {
  const { accessKeyId, secretAccessKey } = request;
  if (accessKeyId || secretAccessKey) {
    if (!accessKeyId || !secretAccessKey)
      throw new AwsCredentialsError('an access key id needs its secret access key and the other way round');
    return { credentials: { accessKeyId, secretAccessKey }, source: 'the rule options' };
  }
  const files = awsFiles(env);
  const fromProfile = (profile: string): AwsSettings | undefined => {
    const creds = files.credentialsFile ? readIni(files.credentialsFile, readFile) : undefined;
    const config = files.configFile ? readIni(files.configFile, readFile) : undefined;
    const configSection = config?.get(profile === 'default' ? 'default' : `profile ${profile}`);
    const region = configSection?.get('region') || envRegion(env);
    const fromCreds = keysOf(creds?.get(profile));
    const keys = fromCreds ?? keysOf(configSection);
    if (!keys) return undefined;
    const file = fromCreds ? files.credentialsFile : files.configFile;
    return { credentials: keys, ...(region ? { region } : {}), source: `profile "${profile}" in ${file}` };
  };
  if (request.profile) {
    const found = fromProfile(request.profile);
    if (!found) {
      const where =
        [files.credentialsFile, files.configFile].filter(Boolean).join(' or ') || 'no shared file';
      throw new AwsCredentialsError(
        `profile "${request.profile}" has no aws_access_key_id/aws_secret_access_key in ${where}`,
      );
    }
    return found;
  }
  const envId = env('AWS_ACCESS_KEY_ID');
  const envSecret = env('AWS_SECRET_ACCESS_KEY');
  if (envId && envSecret) {
    const token = env('AWS_SESSION_TOKEN');
    const region = envRegion(env);
    return {
      credentials: {
        accessKeyId: envId,
        secretAccessKey: envSecret,
        ...(token ? { sessionToken: token } : {}),
      },
      ...(region ? { region } : {}),
      source: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    };
  }
  const found = fromProfile(env('AWS_PROFILE') || 'default');
  if (found) return found;
  throw new AwsCredentialsError(
    'no AWS credentials found: set the access key id and secret in the rule, name a profile, or provide AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials',
  );
}

/** The service endpoint from AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL (as boto3 reads them), if set. */
export function awsEndpointFromEnv(env: EnvLookup, service: string): string | undefined {
  return env(`AWS_ENDPOINT_URL_${service.toUpperCase()}`) || env('AWS_ENDPOINT_URL') || undefined;
}
