/**
 * generate_kibana_discover_url and generate_opensearch_discover_url with their options, read and
 * checked when the rule loads. A value ElastAlert 2 would fail on every time (a Kibana version it
 * cannot parse, a columns list that is not a list) is a problem with file:line; a link that cannot
 * be built (no app URL or index pattern id) is a warning, as ElastAlert 2 logs one and sends the
 * alert without the link.
 */
import { z } from 'zod';
import { type Problem, problemsFromZod } from '../config/fields.ts';
import type { EnvLookup } from '../config/interpolate.ts';
import type { YamlPath } from '../config/yaml-source.ts';
import type { Doc } from '../model/lookup.ts';
import type { DiscoverSettings, KibanaDiscoverFormat } from '../model/discover-settings.ts';

/** Kibana versions whose Discover app took the 6.x global state (time mode, no filters). */
const KIBANA6_VERSIONS = new Set(['5.6', '6.0', '6.1', '6.2', '6.3', '6.4', '6.5', '6.6', '6.7', '6.8']);

export const DISCOVER_OPTION_NAMES = [
  'generate_kibana_discover_url',
  'kibana_discover_app_url',
  'kibana_discover_version',
  'kibana_discover_index_pattern_id',
  'kibana_discover_columns',
  'kibana_discover_from_timedelta',
  'kibana_discover_to_timedelta',
  'kibana_discover_security_tenant',
  'kibana_url',
  'shorten_kibana_discover_url',
  'generate_opensearch_discover_url',
  'opensearch_discover_app_url',
  'opensearch_discover_version',
  'opensearch_discover_index_pattern_id',
  'opensearch_discover_columns',
  'opensearch_discover_from_timedelta',
  'opensearch_discover_to_timedelta',
  'opensearch_url',
] as const;

/** ElastAlert 2's timedelta mapping for these options: weeks, days, hours, minutes, seconds (may be negative). */
const UNITS = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1000 };
const timedelta = z
  .strictObject(
    Object.fromEntries(
      Object.keys(UNITS).map((u) => [u, z.number({ error: `must be a number of ${u}` }).optional()]),
    ),
    { error: 'must be a time like {minutes: 10} (weeks, days, hours, minutes, seconds)' },
  )
  .transform((d) =>
    Math.round(
      Object.entries(UNITS).reduce(
        (ms, [u, f]) => ms + ((d as Record<string, number | undefined>)[u] ?? 0) * f,
        0,
      ),
    ),
  );

const text = (what: string) => z.string({ error: `must be a string (${what}); quote it in YAML` });
const columns = z
  .array(z.string().min(1, { error: 'must not be empty' }), { error: 'must be a list of field names' })
  .min(1, { error: 'needs at least one column' });

const schema = z.object({
  generate_kibana_discover_url: z.boolean({ error: 'must be true or false' }).default(false),
  kibana_discover_app_url: text('the Discover app URL').optional(),
  kibana_discover_version: text("Kibana's version, e.g. '8.17'").optional(),
  kibana_discover_index_pattern_id: text('the data view id')
    .min(1, { error: 'must not be empty' })
    .optional(),
  kibana_discover_columns: columns.optional(),
  kibana_discover_from_timedelta: timedelta.optional(),
  kibana_discover_to_timedelta: timedelta.optional(),
  kibana_discover_security_tenant: text('the security tenant').optional(),
  kibana_url: text("Kibana's base URL").optional(),
  shorten_kibana_discover_url: z.boolean({ error: 'must be true or false' }).default(false),
  generate_opensearch_discover_url: z.boolean({ error: 'must be true or false' }).default(false),
  opensearch_discover_app_url: text('the Discover app URL').optional(),
  opensearch_discover_version: text("OpenSearch Dashboards' version, e.g. '2.11'").optional(),
  opensearch_discover_index_pattern_id: text('the index pattern id')
    .min(1, { error: 'must not be empty' })
    .optional(),
  opensearch_discover_columns: columns.optional(),
  opensearch_discover_from_timedelta: timedelta.optional(),
  opensearch_discover_to_timedelta: timedelta.optional(),
  opensearch_url: text("OpenSearch Dashboards' base URL").optional(),
});

/** os.path.expandvars: $NAME and ${NAME} replaced when set, left as written when not. */
export function expandVars(value: string, env: EnvLookup): string {
  return value.replace(
    /\$(\w+)|\$\{([^}]*)\}/g,
    (whole, bare: string | undefined, braced: string | undefined) => {
      const v = env((bare ?? braced)!);
      return v === undefined ? whole : v;
    },
  );
}

export interface DiscoverReading {
  settings: DiscoverSettings;
  problems: Problem[];
  /** Messages for the rule's warnings, with the option they are about. */
  warnings: { path: YamlPath; message: string }[];
}

/**
 * The Kibana link format for a version: "5.6" and "6.x" get the 6.x global state (as ElastAlert 2
 * built it before it dropped Kibana 6), everything else the 7.x+ one; blank means newest.
 * Undefined when ElastAlert 2 could not parse the version (it failed every alert then).
 */
export function kibanaFormat(version: string | undefined): KibanaDiscoverFormat | undefined {
  const v = (version ?? '').trim();
  if (v === '') return 'kibana7';
  const m = /^(\d+)\.(\d+)(?:\.\d+)*$/.exec(v);
  if (!m) return undefined;
  return KIBANA6_VERSIONS.has(`${Number(m[1])}.${Number(m[2])}`) ? 'kibana6' : 'kibana7';
}

export function readDiscoverOptions(raw: Doc, env: EnvLookup): DiscoverReading {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { settings: {}, problems: problemsFromZod(parsed.error, raw), warnings: [] };
  const o = parsed.data;
  const settings: DiscoverSettings = {};
  const problems: Problem[] = [];
  const warnings: DiscoverReading['warnings'] = [];

  if (o.generate_kibana_discover_url) {
    const format = kibanaFormat(o.kibana_discover_version);
    if (!format) {
      problems.push({
        path: ['kibana_discover_version'],
        message: `must be Kibana's major and minor version, such as '7.17' or '8.17' (got "${o.kibana_discover_version ?? ''}")`,
      });
    } else if (/^\s*[0-6]\./.test(o.kibana_discover_version ?? '') && format === 'kibana7') {
      warnings.push({
        path: ['kibana_discover_version'],
        message: `Kibana ${o.kibana_discover_version?.trim()} is older than ElastAlert 2 supports (7.0 or newer, and 5.6/6.x with their older link format); the 7.x link format is used`,
      });
    }
    if (o.shorten_kibana_discover_url) {
      warnings.push({
        path: ['shorten_kibana_discover_url'],
        message: 'shortening Discover links through Kibana is not supported; the full link is used',
      });
    }
    if (!o.kibana_discover_app_url || !o.kibana_discover_index_pattern_id) {
      const missing = !o.kibana_discover_app_url
        ? 'kibana_discover_app_url'
        : 'kibana_discover_index_pattern_id';
      warnings.push({
        path: ['generate_kibana_discover_url'],
        message: `needs ${missing}; alerts are sent without kibana_discover_url`,
      });
    } else if (format) {
      settings.kibana = {
        format,
        appUrl: expandVars(o.kibana_discover_app_url, env),
        indexPatternId: o.kibana_discover_index_pattern_id,
        columns: o.kibana_discover_columns ?? ['_source'],
        ...(o.kibana_discover_from_timedelta !== undefined
          ? { fromMs: o.kibana_discover_from_timedelta }
          : {}),
        ...(o.kibana_discover_to_timedelta !== undefined ? { toMs: o.kibana_discover_to_timedelta } : {}),
        ...(o.kibana_url ? { baseUrl: o.kibana_url } : {}),
        ...(o.kibana_discover_security_tenant ? { securityTenant: o.kibana_discover_security_tenant } : {}),
      };
    }
  }

  if (o.generate_opensearch_discover_url) {
    if (!o.opensearch_discover_app_url || !o.opensearch_discover_index_pattern_id) {
      const missing = !o.opensearch_discover_app_url
        ? 'opensearch_discover_app_url'
        : 'opensearch_discover_index_pattern_id';
      warnings.push({
        path: ['generate_opensearch_discover_url'],
        message: `needs ${missing}; alerts are sent without opensearch_discover_url`,
      });
    } else {
      settings.opensearch = {
        appUrl: expandVars(o.opensearch_discover_app_url, env),
        indexPatternId: o.opensearch_discover_index_pattern_id,
        columns: o.opensearch_discover_columns ?? ['_source'],
        ...(o.opensearch_discover_from_timedelta !== undefined
          ? { fromMs: o.opensearch_discover_from_timedelta }
          : {}),
        ...(o.opensearch_discover_to_timedelta !== undefined
          ? { toMs: o.opensearch_discover_to_timedelta }
          : {}),
        ...(o.opensearch_url ? { baseUrl: o.opensearch_url } : {}),
      };
    }
  }
  return { settings, problems, warnings };
}
