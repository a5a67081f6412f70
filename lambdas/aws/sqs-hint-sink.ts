// The hint queue on SQS (standard queue: hints are idempotent refresh requests, order does not matter): one
// message per notice, `{ "hints": [...] }`. The fetch Lambda reads it back with hintMessageSchema.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import type { Hint } from '../../shared/immuta/notice.js';
import type { HintSink } from '../../shared/immuta/receive-notice.js';

export const HintMessageSchema = z.object({
  hints: z.array(
    z.object({
      kind: z.enum(['dataSource', 'policy', 'user', 'allDataSources', 'allPolicies', 'allUsers', 'all']),
      id: z.string().min(1).max(256).optional(),
      notificationType: z.string().max(100).optional(),
    }),
  ),
});

export class SqsHintSink implements HintSink {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(hints: Hint[]): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ hints }) }));
  }
}
