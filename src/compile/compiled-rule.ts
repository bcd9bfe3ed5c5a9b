/**
 * A rule ready to run: its definition resolved against the registries. The rule type, its
 * options, the alerters (built, their options checked), the enhancements and everything the
 * engine and the alert path read are here, typed; nothing downstream goes back to the mapping.
 */
import type { Alerter } from '../alerters/alerter.ts';
import type { EsConnectionKeys } from '../config/es-connection.ts';
import type { YamlPath } from '../config/yaml-source.ts';
import type { Enhancement, EnhancementContext } from '../enhancements/enhancement.ts';
import type { SourceLocation } from '../errors/esalert-error.ts';
import type { Doc } from '../model/lookup.ts';
import type { RuleOptions } from '../model/rule-options.ts';
import type { DiscoverSettings } from '../model/discover-settings.ts';
import type { RelatedLogsSettings } from '../model/related-logs-settings.ts';
import type { ResolveSettings } from '../model/resolve-settings.ts';
import type { IgnoredOptions } from '../rules/ignored-options.ts';
import type { RuleDefinition } from '../rules/load-rule.ts';
import type { RuleTypeDefinition } from '../ruletypes/rule-type.ts';

export interface CompiledRule {
  /** The rule file as read. */
  definition: RuleDefinition;
  name: string;
  /** The rule file as found (relative to the working directory when below it). */
  file: string;
  /** The rule file and every file it imports. */
  files: string[];
  /** Content hash of `files`: a change means the rule must be reloaded. */
  hash: string;
  options: RuleOptions;
  type: RuleTypeDefinition<never>;
  typeOptions: unknown;
  /** The rule's alert channels, built (and their options checked) at load. */
  alerters: Alerter[];
  /**
   * Per entry of `alert` (index-aligned with options.alerts): the rule's options with that
   * alerter's inline options over them and `$name$` references resolved, as ElastAlert 2's
   * Alerter holds them. The alert text and AlertContent.options are built from these.
   */
  alertOptions: Doc[];
  /** match_enhancements, in order, and what they are told about the rule. */
  enhancements: Enhancement[];
  enhancementContext: EnhancementContext;
  /** generate_kibana_discover_url / generate_opensearch_discover_url, when a link can be built. */
  discover?: DiscoverSettings;
  /** send_resolved: a resolved notification when a key that alerted clears. */
  resolve?: ResolveSettings;
  /** related_logs: the involved container's last log lines on alerts about pod events. */
  relatedLogs?: RelatedLogsSettings;
  /** The Jinja template of alert_text (or jinja_template_path) when alert_text_type is alert_text_jinja. */
  jinjaTemplate: string | undefined;
  /**
   * Which hits the rule type gets, when some must be dropped after reading them because
   * Elasticsearch cannot select them without a script (k8s_skip_resync on a rule that reads hits).
   */
  hitFilter?: (doc: Doc) => boolean;
  /**
   * The `_source` fields read of each hit when the rule type needs only these (compile/hit-fields.ts);
   * its matches are completed from their whole documents before they are handled. Absent: whole
   * documents are read.
   */
  hitFields?: string[];
  /** The Elasticsearch connection keys of the rule (its own over config.yaml's). */
  connection: EsConnectionKeys;
  warnings: string[];
  /** Options of the file esalert does not read (each also has a warning). */
  ignoredOptions: IgnoredOptions;
  locate(path: YamlPath): SourceLocation;
}
