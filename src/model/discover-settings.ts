/** generate_kibana_discover_url / generate_opensearch_discover_url, as a rule's compiled options hold them. */
export type KibanaDiscoverFormat = 'kibana6' | 'kibana7';

export interface DiscoverLinkSettings {
  /** The Discover app URL with $VAR and ${VAR} expanded (absolute, or relative to baseUrl). */
  appUrl: string;
  indexPatternId: string;
  columns: string[];
  /** Offsets around the match's time; undefined: the rule's timeframe, else 10 minutes. */
  fromMs?: number;
  toMs?: number;
  /** kibana_url / opensearch_url: what a relative app URL is resolved against. */
  baseUrl?: string;
}

export interface DiscoverSettings {
  kibana?: DiscoverLinkSettings & { format: KibanaDiscoverFormat; securityTenant?: string };
  opensearch?: DiscoverLinkSettings;
}
