// The CloudEvents 1.0 JSON envelope every webhook carries (https://github.com/cloudevents/spec, JSON format).
// Only the context attributes we use are kept; unknown attributes (extensions) are stripped, so nothing
// unvalidated travels on the bus. Per-type data schemas are in event-types.ts.
import { z } from 'zod';

// Bounded lengths keep an id or a source from eating the body limit and keep FIFO keys derivable from them.
const MAX_ATTRIBUTE_LENGTH = 256;

const attribute = (what: string) => z.string().min(1, `${what} must not be empty`).max(MAX_ATTRIBUTE_LENGTH);

export const envelopeAttributes = {
  specversion: z.literal('1.0').describe('CloudEvents version; always "1.0".'),
  id: attribute('id').describe('Unique per event from one source; a retry of the same event keeps its id.'),
  source: attribute('source').describe(
    'URI-reference naming the sender, e.g. "https://immuta.example.com/governance".',
  ),
  time: z.iso.datetime({ offset: true }).describe('RFC 3339 time at which the change happened.'),
  subject: attribute('subject').describe(
    'The id of the object this event is about (data source id, policy id or user id).',
  ),
  datacontenttype: z.literal('application/json').optional().describe('If present, "application/json".'),
};

/**
 * The envelope with `type` and `data` left open: parsed first so that an unknown type is reported as such
 * (VG505) instead of as a wall of union errors.
 */
export const CloudEventEnvelopeSchema = z.object({
  ...envelopeAttributes,
  type: z.string().min(1).describe('One of the viewguard event types, e.g. "policy.updated".'),
  data: z.unknown(),
});

export type CloudEventEnvelope = z.infer<typeof CloudEventEnvelopeSchema>;
