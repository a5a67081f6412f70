// The FIFO partial-batch rule shared by the apply Lambda and the local consumer: a failure fails that record
// and every later record of ITS group, unprocessed; other groups go on. Checked on an example and, for random
// batches, against Powertools' SqsFifoPartialProcessorAsync with skipGroupOnError (the rule's reference).
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchItemFailures,
  fifoFailureReason,
  processFifoBatch,
  type FifoBatchRecord,
} from '../../shared/apply/fifo-partial-batch.js';

const rec = (messageId: string, group?: string): FifoBatchRecord => ({
  messageId,
  attributes: group === undefined ? {} : { MessageGroupId: group },
});

/** Runs the batch, failing the records named in `failing`; returns what was handled and what failed. */
async function run(records: FifoBatchRecord[], failing: ReadonlySet<string>) {
  const handled: string[] = [];
  const results = await processFifoBatch(records, async (r) => {
    handled.push(r.messageId);
    if (failing.has(r.messageId)) throw new Error(`boom ${r.messageId}`);
  });
  return { handled, results, failed: batchItemFailures(results).map((f) => f.itemIdentifier) };
}

describe('processFifoBatch', () => {
  it('a failure fails the later records of its group unprocessed; the other groups are all processed', async () => {
    const batch = [rec('a1', 'a'), rec('b1', 'b'), rec('a2', 'a'), rec('c1', 'c'), rec('b2', 'b'), rec('a3', 'a')];
    const { handled, results, failed } = await run(batch, new Set(['a1']));
    expect(handled).toEqual(['a1', 'b1', 'c1', 'b2']);
    expect(failed).toEqual(['a1', 'a2', 'a3']);
    expect(results.map((r) => r.status)).toEqual([
      'failed',
      'processed',
      'skipped',
      'processed',
      'processed',
      'skipped',
    ]);
    expect(fifoFailureReason(results[0] as Exclude<(typeof results)[number], { status: 'processed' }>)).toBe('boom a1');
    expect(fifoFailureReason(results[2] as Exclude<(typeof results)[number], { status: 'processed' }>)).toMatch(
      /earlier message of its FIFO group failed in this batch \(a1\)/,
    );
  });

  it('a failure late in a group fails only what follows it; records without a group block nothing', async () => {
    const batch = [rec('a1', 'a'), rec('x1'), rec('a2', 'a'), rec('x2'), rec('a3', 'a')];
    const { handled, failed } = await run(batch, new Set(['a2', 'x1']));
    expect(handled).toEqual(['a1', 'x1', 'a2', 'x2']);
    expect(failed).toEqual(['x1', 'a2', 'a3']);
  });

  it('an empty batch has no failures', async () => {
    expect((await run([], new Set())).failed).toEqual([]);
  });

  it(
    'decides the same failures, handling the same records in ' + 'the same order, as Powertools with skipGroupOnError',
    async () => {
      const batchArb = fc
        .array(
          fc.record({ group: fc.option(fc.constantFrom('g1', 'g2', 'g3'), { nil: undefined }), fails: fc.boolean() }),
          { maxLength: 10 },
        )
        .map((items) => items.map((item, i) => ({ ...item, id: `m${i}` })));
      await fc.assert(
        fc.asyncProperty(batchArb, async (items) => {
          const failing = new Set(items.filter((i) => i.fails).map((i) => i.id));
          const ours = await run(
            items.map((i) => rec(i.id, i.group)),
            failing,
          );

          const handledByPowertools: string[] = [];
          const event = {
            Records: items.map(
              (i) =>
                ({
                  messageId: i.id,
                  body: '',
                  attributes: i.group === undefined ? {} : { MessageGroupId: i.group },
                }) as unknown as SQSRecord,
            ),
          } as SQSEvent;
          const response = await processPartialResponse(
            event,
            async (r: SQSRecord) => {
              handledByPowertools.push(r.messageId);
              if (failing.has(r.messageId)) throw new Error('boom');
            },
            new SqsFifoPartialProcessorAsync(),
            { skipGroupOnError: true, throwOnFullBatchFailure: false },
          );
          expect(ours.handled).toEqual(handledByPowertools);
          expect(ours.failed).toEqual(response.batchItemFailures.map((f) => f.itemIdentifier));
        }),
        { numRuns: 300 },
      );
    },
  );
});
