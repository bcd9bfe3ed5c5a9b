/**
 * Community alerter plugins by the module paths rules name them with (elastalert_modules.*), each
 * served by a built-in alerter: the plugin's option names are renamed to the built-in's before it
 * reads them, and a problem with a renamed option is reported under the name the rule wrote.
 * Built-in names keep working under a plugin path, so a rule can add e.g. feishu_secret.
 */
import type { Doc } from '../model/lookup.ts';
import { type AlerterDefinition, OptionProblem } from './alerter.ts';
import { FEISHU_HOOK_API } from './feishu-bot.ts';

export interface PluginAlias {
  /** The module path as rules write it in `alert:`. */
  path: string;
  /** The built-in alerter that serves it. */
  target: string;
  /** Where the plugin comes from (for the docs). */
  origin: string;
  /** Plugin option -> built-in option. */
  rename?: Readonly<Record<string, string>>;
  /** Plugin options whose meaning changes, turned into built-in options (after renaming). */
  adapt?(options: Doc): Doc;
  /** Plugin options the adapt step reads -> the built-in option each one becomes (for error messages). */
  derived?: Readonly<Record<string, string>>;
  /** Plugin options that are accepted and have no effect (the plugin ignored them too). */
  ignored?: readonly string[];
}

const WECHAT_APP_RENAME = {
  corp_id: 'wecom_app_corp_id',
  secret: 'wecom_app_secret',
  agent_id: 'wecom_app_agent_id',
  user_id: 'wecom_app_to_user',
  party_id: 'wecom_app_to_party',
  tag_id: 'wecom_app_to_tag',
  wechat_corp_id: 'wecom_app_corp_id',
  wechat_secret: 'wecom_app_secret',
  wechat_agent_id: 'wecom_app_agent_id',
  wechat_user_id: 'wecom_app_to_user',
  wechat_party_id: 'wecom_app_to_party',
  wechat_tag_id: 'wecom_app_to_tag',
};

/**
 * DingTalk plugins: xuyaoqiang's (dingtalk_webhook, dingtalk_isAtAll), its forks that sign with
 * dingtalk_secret, and anjia0532's (dingtalk_access_token, dingtalk_secret signing only when
 * dingtalk_security_type is "sign").
 */
function adaptDingtalk(o: Doc): Doc {
  const out = { ...o };
  const secret = o.dingtalk_secret;
  delete out.dingtalk_secret;
  delete out.dingtalk_security_type;
  const type = o.dingtalk_security_type;
  const signs = type === undefined || type === null || String(type).toLowerCase() === 'sign';
  if (typeof secret === 'string' && secret !== '' && signs && out.dingtalk_sign === undefined) {
    out.dingtalk_sign = secret;
  }
  return out;
}

const DINGTALK = {
  target: 'dingtalk',
  rename: { dingtalk_isAtAll: 'dingtalk_at_all' },
  derived: { dingtalk_secret: 'dingtalk_sign', dingtalk_security_type: 'dingtalk_sign' },
  ignored: ['dingtalk_title'],
  adapt: adaptDingtalk,
};

/** gpYang's FeishuAlert: the webhook is feishualert_url (default the hook API) + feishualert_botid. */
function adaptFeishuAlert(o: Doc): Doc {
  const out = { ...o };
  const base =
    typeof o.feishualert_url === 'string' && o.feishualert_url ? o.feishualert_url : FEISHU_HOOK_API;
  const bot = o.feishualert_botid;
  delete out.feishualert_url;
  delete out.feishualert_botid;
  if (out.feishu_webhook === undefined && out.feishu_bot_id === undefined) {
    // some forks put the whole webhook in feishualert_url and never use the bot id
    const id = bot === undefined || bot === null ? '' : String(bot);
    out.feishu_webhook = base.endsWith('/') ? `${base}${encodeURIComponent(id)}` : base;
  }
  return out;
}

/** The FeishuAlert built into some ElastAlert 2 images: a card by default, text on request. */
function adaptImageFeishu(o: Doc): Doc {
  const out = { ...o };
  const type = o.feishu_alert_type ?? 'card';
  delete out.feishu_alert_type;
  delete out.feishu_card_template;
  if (out.feishu_msgtype === undefined) out.feishu_msgtype = type === 'text' ? 'text' : 'interactive';
  const template = o.feishu_card_template;
  if (template && typeof template === 'object' && out.feishu_card === undefined) {
    // the template is the whole request body there; its card is what Feishu shows
    const card = (template as Doc).card;
    out.feishu_card = card && typeof card === 'object' ? card : template;
  }
  if (out.feishu_title === undefined) out.feishu_title = 'ElastAlert 告警通知';
  return out;
}

export const PLUGIN_ALIASES: readonly PluginAlias[] = [
  {
    path: 'elastalert_modules.dingtalk_alert.DingTalkAlerter',
    origin: 'xuyaoqiang, anjia0532 and forks',
    ...DINGTALK,
  },
  {
    path: 'elastalert.elastalert_modules.dingtalk_alert.DingTalkAlerter',
    origin: 'the same, installed inside the elastalert package',
    ...DINGTALK,
  },
  {
    path: 'elastalert_modules.dingtalk.DingTalkAlerter',
    origin: 'luohu1/elastalert-dingtalk-plugin',
    ...DINGTALK,
  },
  {
    path: 'elastalert_modules.wechat_qiye_alert.WeChatAlerter',
    target: 'wecom_app',
    origin:
      'anjia0532/elastalert-wechat-plugin and forks (corp_id...), anjia0532/elastalert-docker (wechat_corp_id...)',
    rename: WECHAT_APP_RENAME,
  },
  {
    path: 'elastalert_modules.wechat_robot.WechatRobotAlerter',
    target: 'wecom',
    origin: 'Zhang21/elastalert-wechatrobot-plugin',
    rename: {
      wechat_robot_webhook: 'wecom_webhook',
      wechat_robot_msgtype: 'wecom_msgtype',
      wechat_robot_mentioned_list: 'wecom_mentioned_list',
    },
  },
  {
    path: 'elastalert_modules.feishu_alert.FeishuAlert',
    target: 'feishu',
    origin: 'gpYang/elastalert-feishu-plugin and forks',
    rename: {
      feishualert_title: 'feishu_title',
      feishualert_body: 'feishu_body',
      feishualert_skip: 'feishu_skip',
    },
    derived: { feishualert_url: 'feishu_webhook', feishualert_botid: 'feishu_webhook' },
    adapt: adaptFeishuAlert,
  },
  {
    path: 'elastalert.alerters.feishu.FeishuAlert',
    target: 'feishu',
    origin: 'zhentianxiang/elastalert2-feishu (an ElastAlert 2 image with a Feishu alerter added)',
    rename: {
      feishu_webhook_url: 'feishu_webhook',
      feishu_message: 'feishu_body',
    },
    derived: { feishu_alert_type: 'feishu_msgtype', feishu_card_template: 'feishu_card' },
    adapt: adaptImageFeishu,
  },
  {
    path: 'elastalert_modules.prometheus_alertmanager.PrometheusAlertManagerAlerter',
    target: 'alertmanager',
    origin: 'a Kubernetes-era Alertmanager plugin (alertmanager_url)',
    derived: { alertmanager_url: 'alertmanager_hosts' },
    adapt: (o) => {
      const out = { ...o };
      delete out.alertmanager_url;
      if (out.alertmanager_hosts === undefined && typeof o.alertmanager_url === 'string') {
        out.alertmanager_hosts = [o.alertmanager_url.replace(/\/+$/, '')];
      }
      return out;
    },
  },
  // ElastAlert 2's own classes by module path (its loader accepts any importable path)
  { path: 'elastalert.alerters.dingtalk.DingTalkAlerter', target: 'dingtalk', origin: 'ElastAlert 2' },
  { path: 'elastalert.alerters.workwechat.WorkWechatAlerter', target: 'wecom', origin: 'ElastAlert 2' },
  {
    path: 'elastalert.alerters.alertmanager.AlertmanagerAlerter',
    target: 'alertmanager',
    origin: 'ElastAlert 2',
  },
  { path: 'elastalert.alerters.lark.LarkAlerter', target: 'lark', origin: 'ElastAlert 2' },
];

/** The built-in definition seen through a plugin's option names. */
export function aliasDefinition(alias: PluginAlias, target: AlerterDefinition): AlerterDefinition {
  const rename = alias.rename ?? {};
  const back = new Map<string, string[]>();
  for (const [from, to] of Object.entries({ ...rename, ...alias.derived })) {
    back.set(to, [...(back.get(to) ?? []), from]);
  }
  return {
    name: target.name,
    summary: `${alias.path} (${alias.origin}), served by ${target.name}`,
    optionNames: [
      ...new Set([
        ...Object.keys(rename),
        ...Object.keys(alias.derived ?? {}),
        ...(alias.ignored ?? []),
        ...target.optionNames,
      ]),
    ],
    create(options, deps) {
      const renamed: Doc = { ...options };
      for (const name of alias.ignored ?? []) delete renamed[name];
      for (const [from, to] of Object.entries(rename)) {
        if (!(from in options)) continue;
        delete renamed[from];
        // a built-in name written next to the plugin's wins
        if (!(to in options)) renamed[to] = options[from];
      }
      try {
        return target.create(alias.adapt ? alias.adapt(renamed) : renamed, deps);
      } catch (err) {
        if (!(err instanceof OptionProblem)) throw err;
        const names = back.get(err.option) ?? [];
        const written = names.find((name) => name in options);
        if (written) throw new OptionProblem(written, err.message);
        if (names.length && !(err.option in options)) {
          throw new OptionProblem(err.option, `${err.message} (the plugin's ${names.join(' or ')})`);
        }
        throw err;
      }
    },
  };
}
