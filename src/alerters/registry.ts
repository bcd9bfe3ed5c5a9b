/** Built-in alerters by name and alias, and the community plugins' module paths they serve. */
import type { AlerterDefinition } from './alerter.ts';
import { debugAlerter } from './debug.ts';
import { dingtalkAlerter } from './dingtalk.ts';
import { emailAlerter } from './email.ts';
import { feishuAlerter } from './feishu.ts';
import { aliasDefinition, PLUGIN_ALIASES, type PluginAlias } from './plugin-aliases.ts';
import { postAlerter } from './post.ts';
import { post2Alerter } from './post2.ts';
import { webhookAlerter } from './webhook.ts';
// chat and incident-management channels
import { alertaAlerter } from './alerta.ts';
import { alertmanagerAlerter } from './alertmanager.ts';
import { chatworkAlerter } from './chatwork.ts';
import { datadogAlerter } from './datadog.ts';
import { discordAlerter } from './discord.ts';
import { flashdutyAlerter } from './flashduty.ts';
import { gitterAlerter } from './gitter.ts';
import { googleChatAlerter } from './googlechat.ts';
import { larkAlerter } from './lark.ts';
import { lineAlerter } from './line.ts';
import { matrixHookshotAlerter } from './matrixhookshot.ts';
import { mattermostAlerter } from './mattermost.ts';
import { msPowerAutomateAlerter } from './ms-power-automate.ts';
import { msTeamsAlerter } from './ms-teams.ts';
import { opsgenieAlerter } from './opsgenie.ts';
import { pagerDutyAlerter } from './pagerduty.ts';
import { pagerTreeAlerter } from './pagertree.ts';
import { rocketChatAlerter } from './rocketchat.ts';
import { slackAlerter } from './slack.ts';
import { telegramAlerter } from './telegram.ts';
import { victorOpsAlerter } from './victorops.ts';
import { webexWebhookAlerter } from './webex-webhook.ts';
import { yzjAlerter } from './yzj.ts';
import { wecomAlerter } from './wecom.ts';
import { commandAlerter } from './command.ts';
import { exotelAlerter } from './exotel.ts';
import { gelfAlerter } from './gelf.ts';
import { hivealerterAlerter } from './hivealerter.ts';
import { indexerAlerter } from './indexer.ts';
import { irisAlerter } from './iris.ts';
import { jiraAlerter } from './jira.ts';
import { servicenowAlerter } from './servicenow.ts';
import { sesAlerter } from './ses.ts';
import { smseagleAlerter } from './smseagle.ts';
import { snsAlerter } from './sns.ts';
import { sqsAlerter } from './sqs.ts';
import { stompAlerter } from './stomp.ts';
import { tencentSmsAlerter } from './tencent-sms.ts';
import { twilioAlerter } from './twilio.ts';
import { zabbixAlerter } from './zabbix.ts';
import { wecomAppAlerter } from './wecom-app.ts';

/** What rules can name: alerters by name and alias, and every option name they read. */
export interface AlerterCatalog {
  get(name: string): AlerterDefinition | undefined;
  has(name: string): boolean;
  names(): string[];
  optionNames(): Iterable<string>;
}

export const BUILTIN_ALERTERS: readonly AlerterDefinition[] = [
  debugAlerter,
  postAlerter,
  dingtalkAlerter,
  wecomAlerter,
  wecomAppAlerter,
  feishuAlerter,
  emailAlerter,
  webhookAlerter,
  post2Alerter,
  alertaAlerter,
  alertmanagerAlerter,
  chatworkAlerter,
  datadogAlerter,
  discordAlerter,
  flashdutyAlerter,
  gitterAlerter,
  googleChatAlerter,
  larkAlerter,
  lineAlerter,
  matrixHookshotAlerter,
  mattermostAlerter,
  msPowerAutomateAlerter,
  msTeamsAlerter,
  opsgenieAlerter,
  pagerDutyAlerter,
  pagerTreeAlerter,
  rocketChatAlerter,
  slackAlerter,
  telegramAlerter,
  victorOpsAlerter,
  webexWebhookAlerter,
  yzjAlerter,
  // protocols, clouds, ticketing and SMS
  commandAlerter,
  exotelAlerter,
  gelfAlerter,
  hivealerterAlerter,
  indexerAlerter,
  irisAlerter,
  jiraAlerter,
  servicenowAlerter,
  sesAlerter,
  smseagleAlerter,
  snsAlerter,
  sqsAlerter,
  stompAlerter,
  tencentSmsAlerter,
  twilioAlerter,
  zabbixAlerter,
];

export class AlerterRegistry implements AlerterCatalog {
  private readonly byName = new Map<string, AlerterDefinition>();

  /** Plugin paths whose built-in alerter is not in this registry (they stay unknown names). */
  readonly unresolvedPlugins: readonly PluginAlias[];

  constructor(
    definitions: readonly AlerterDefinition[] = BUILTIN_ALERTERS,
    plugins: readonly PluginAlias[] = PLUGIN_ALIASES,
  ) {
    for (const d of definitions) {
      this.byName.set(d.name, d);
      for (const a of d.aliases ?? []) this.byName.set(a, d);
    }
    const unresolved: PluginAlias[] = [];
    for (const p of plugins) {
      const target = this.byName.get(p.target);
      if (target && !this.byName.has(p.path)) this.byName.set(p.path, aliasDefinition(p, target));
      else if (!target) unresolved.push(p);
    }
    this.unresolvedPlugins = unresolved;
  }

  get(name: string): AlerterDefinition | undefined {
    return this.byName.get(name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  names(): string[] {
    return [...new Set([...this.byName.values()].map((d) => d.name))];
  }

  *optionNames(): Iterable<string> {
    for (const d of new Set(this.byName.values())) yield* d.optionNames;
  }
}
