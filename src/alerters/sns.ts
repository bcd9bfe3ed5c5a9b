/**
 * ElastAlert 2's `sns`: publishes the alert body to an Amazon SNS topic (the Publish action of the
 * query API, signed with Signature Version 4), with the alert subject as Subject.
 */
import { z } from 'zod';
import { truncateUtf8 } from './text-limits.ts';
import type { AlerterDefinition } from './alerter.ts';
import { OptionProblem } from './alerter.ts';
import { awsClientFor } from './aws-client.ts';
import { channelAlerter } from './channel-alerter.ts';
import { readOptions } from './options.ts';
import { seconds } from './transport.ts';

const schema = z.object({
  sns_topic_arn: z.string({
    error: 'is required: the topic ARN, e.g. arn:aws:sns:us-east-1:123456789012:alerts',
  }),
  sns_aws_access_key_id: z.string().optional(),
  sns_aws_secret_access_key: z.string().optional(),
  sns_aws_region: z.string().optional(),
  sns_aws_profile: z.string().optional(),
  sns_endpoint_url: z.string().optional(),
  sns_timeout: seconds(10),
});

/** SNS takes a Subject of printable ASCII, under 100 characters, without line breaks; otherwise none is sent. */
/** SNS messages are at most 256 KiB. */
export const SNS_MAX_BYTES = 262_144 - 1024;

export function snsSubject(title: string): string | undefined {
  const flat = title.replace(/[\r\n\t]+/g, ' ').trim();
  if (!flat || !/^[\x20-\x7e]+$/.test(flat)) return undefined;
  return flat.slice(0, 99);
}

export const snsAlerter: AlerterDefinition = {
  name: 'sns',
  aliases: ['elastalert.alerters.sns.SnsAlerter'],
  summary: 'Amazon SNS: publishes the alert to a topic (SigV4-signed Publish).',
  optionNames: Object.keys(schema.shape),
  create(options, deps) {
    const o = readOptions(schema, options);
    const arn = /^arn:aws[\w-]*:sns:([a-z0-9-]+):\d+:.+$/.exec(o.sns_topic_arn);
    if (!arn)
      throw new OptionProblem(
        'sns_topic_arn',
        'must be a topic ARN such as arn:aws:sns:us-east-1:123456789012:alerts',
      );
    const client = awsClientFor(o, 'sns', deps, {
      service: 'sns',
      signingName: 'sns',
      region: o.sns_aws_region ?? arn[1],
      endpoint: o.sns_endpoint_url,
    });
    return channelAlerter({
      type: 'sns',
      service: 'Amazon SNS',
      channel: `sns:${o.sns_topic_arn}`,
      info: { type: 'sns', sns_topic_arn: o.sns_topic_arn },
      secrets: () => client.secrets(),
      logger: deps.logger,
      send: (content, signal) => {
        const title =
          content.options.alert_subject !== undefined ? content.title : `ElastAlert: ${content.ruleName}`;
        const subject = snsSubject(title);
        if (subject === undefined)
          deps.logger.debug(
            { topic: o.sns_topic_arn },
            'the alert subject is not printable ASCII; publishing without Subject',
          );
        const form = new URLSearchParams({
          Action: 'Publish',
          Version: '2010-03-31',
          TopicArn: o.sns_topic_arn,
          Message: truncateUtf8(content.body, SNS_MAX_BYTES),
          ...(subject !== undefined ? { Subject: subject } : {}),
        });
        return client.call(
          { body: form.toString(), contentType: 'application/x-www-form-urlencoded; charset=utf-8' },
          signal,
          'SNS Publish',
        );
      },
    });
  },
};
