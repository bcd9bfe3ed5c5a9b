/**
 * ElastAlert 2's `ses`: the alert as a plain-text email through Amazon SES (SendEmail of the SES
 * query API, signed with Signature Version 4), with the email alerter's recipient rules.
 */
import { z } from 'zod';
import { stringList } from '../config/fields.ts';
import type { AlerterDefinition } from './alerter.ts';
import { awsClientFor } from './aws-client.ts';
import { channelAlerter } from './channel-alerter.ts';
import { defaultEmailSubject, emailRecipients } from './email.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  ses_email: stringList,
  ses_from_addr: z.string({ error: 'is required: the sender address, verified in SES' }),
  // the code reads *_id / *_access_key, the schema and docs say ses_aws_access_key / ses_aws_secret_key
  ses_aws_access_key_id: z.string().optional(),
  ses_aws_secret_access_key: z.string().optional(),
  ses_aws_access_key: z.string().optional(),
  ses_aws_secret_key: z.string().optional(),
  ses_aws_region: z.string().optional(),
  ses_aws_profile: z.string().optional(),
  ses_email_reply_to: stringList.optional(),
  ses_cc: stringList.default([]),
  ses_bcc: stringList.default([]),
  ses_email_from_field: z.string().optional(),
  ses_email_add_domain: z.string().optional(),
  ses_endpoint_url: z.string().optional(),
  ses_timeout: seconds(10),
});

/** Query-API lists: Name.member.1, Name.member.2, ... */
function members(name: string, values: readonly string[]): [string, string][] {
  return values.map((v, i) => [`${name}.member.${i + 1}`, v]);
}

export const sesAlerter: AlerterDefinition = {
  name: 'ses',
  aliases: ['elastalert.alerters.ses.SesAlerter'],
  summary: 'Amazon SES: the alert as an email (SigV4-signed SendEmail).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const domain = o.ses_email_add_domain;
    const addDomain = domain === undefined || domain.startsWith('@') ? domain : `@${domain}`;
    const client = awsClientFor(
      {
        ...o,
        // ElastAlert 2 documents ses_aws_access_key and ses_aws_secret_key
        ses_aws_access_key_id: o.ses_aws_access_key_id ?? o.ses_aws_access_key,
        ses_aws_secret_access_key: o.ses_aws_secret_access_key ?? o.ses_aws_secret_key,
      },
      'ses',
      deps,
      { service: 'email', signingName: 'ses', region: o.ses_aws_region, endpoint: o.ses_endpoint_url },
    );
    return channelAlerter({
      type: 'ses',
      service: 'Amazon SES',
      channel: `ses:${o.ses_email.join(',')}`,
      info: { type: 'ses', recipients: [...o.ses_email] },
      secrets: () => client.secrets(),
      logger: deps.logger,
      send: (content, signal) => {
        const to = emailRecipients(
          {
            email: o.ses_email,
            ...(o.ses_email_from_field ? { email_from_field: o.ses_email_from_field } : {}),
            ...(addDomain !== undefined ? { email_add_domain: addDomain } : {}),
          },
          content.matches[0],
        );
        const subject =
          content.options.alert_subject !== undefined
            ? content.title
            : defaultEmailSubject(content.ruleName, content.options, content.matches, 'ElastAlert 2');
        const form = new URLSearchParams([
          ['Action', 'SendEmail'],
          ['Version', '2010-12-01'],
          ['Source', o.ses_from_addr],
          ...members('Destination.ToAddresses', to),
          ...members('Destination.CcAddresses', o.ses_cc),
          ...members('Destination.BccAddresses', o.ses_bcc),
          ['Message.Subject.Data', subject],
          ['Message.Subject.Charset', 'UTF-8'],
          ['Message.Body.Text.Data', content.body],
          ['Message.Body.Text.Charset', 'UTF-8'],
          ...members('ReplyToAddresses', o.ses_email_reply_to ?? []),
        ]);
        return client.call(
          { body: form.toString(), contentType: 'application/x-www-form-urlencoded; charset=utf-8' },
          signal,
          'SES SendEmail',
        );
      },
    });
  },
};
