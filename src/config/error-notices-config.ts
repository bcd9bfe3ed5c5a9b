/**
 * ElastAlert 2's error notices in config.yaml: `notify_alert` (alerters, with their options in
 * config.yaml beside it), `notify_email` (addresses, sent by SMTP) and `notify_all_errors`.
 *
 *   notify_alert: [email, slack]
 *   notify_all_errors: true
 *   email: [oncall@example.com]
 *   slack_webhook_url: https://hooks.slack.com/services/...
 *   notify_email: [admin@example.com]
 *   smtp_host: mail.example.com
 *   from_addr: esalert@example.com
 */
import { type Problem, stringList } from './fields.ts';

export interface ErrorNoticeSettings {
  alerts: { name: string; options: Record<string, unknown> }[];
  /** notify_email addresses. */
  email: string[];
  /** notify_all_errors: also Elasticsearch unreachable, alerters failing, alerts left unsent. */
  allErrors: boolean;
}

export function readErrorNotices(raw: Record<string, unknown>): {
  settings: ErrorNoticeSettings | undefined;
  problems: Problem[];
} {
  const problems: Problem[] = [];
  const alerts: ErrorNoticeSettings['alerts'] = [];
  const list = raw.notify_alert;
  if (list !== undefined && list !== null) {
    const items = typeof list === 'string' ? [list] : Array.isArray(list) ? list : undefined;
    if (!items)
      problems.push({ path: ['notify_alert'], message: 'must name alerters, e.g. [email] or [slack]' });
    (items ?? []).forEach((item: unknown, i) => {
      if (typeof item === 'string' && item) alerts.push({ name: item, options: {} });
      else if (item && typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length === 1) {
        const [name, opts] = Object.entries(item)[0]!;
        alerts.push({
          name,
          options: opts && typeof opts === 'object' ? (opts as Record<string, unknown>) : {},
        });
      } else
        problems.push({
          path: ['notify_alert', i],
          message: 'must be an alerter name, or {name: {options}}',
        });
    });
  }
  const email = stringList.safeParse(raw.notify_email).data ?? [];
  if (problems.length > 0 || (alerts.length === 0 && email.length === 0))
    return { settings: undefined, problems };
  return { settings: { alerts, email, allErrors: raw.notify_all_errors === true }, problems };
}
