// The published contract as JSON Schema (draft 2020-12), generated from the zod schemas so the two cannot
// drift: `npm run schemas` writes schemas/*.json and a test fails when the committed files differ.
// Schemas describe what a sender may POST (zod "input": fields with defaults are optional). Checks JSON
// Schema cannot express (subject = object id, known column types, unique column names) are in docs/events.md.
import { z } from 'zod';
import { DataSourceSchema } from '../policy/data-source.js';
import { PolicySchema } from '../policy/policy.js';
import { UserProfileSchema } from '../policy/user-profile.js';
import { CloudEventEnvelopeSchema } from './cloud-event-envelope.js';
import { EVENT_SCHEMAS, WebhookEventSchema } from './event-types.js';

// A URN, not a URL: the files are published with the code, not served from a host we would have to keep.
const SCHEMA_BASE_URI = 'urn:viewguard:schemas:v1:';

const exported: Record<string, { schema: z.ZodType; title: string }> = {
  'webhook-event': { schema: WebhookEventSchema, title: 'viewguard webhook event v1 (any type)' },
  'cloud-event-envelope': { schema: CloudEventEnvelopeSchema, title: 'CloudEvents 1.0 envelope as viewguard reads it' },
  'data-source': { schema: DataSourceSchema, title: 'viewguard data source v1' },
  policy: { schema: PolicySchema, title: 'viewguard policy v1' },
  'user-profile': { schema: UserProfileSchema, title: 'viewguard user profile v1' },
  ...Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [
      `event.${type}`,
      { schema, title: `viewguard ${type} event v1` },
    ]),
  ),
};

/** File name (under schemas/) → file text. */
export function jsonSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, { schema, title }] of Object.entries(exported)) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
    const file = `${name}.schema.json`;
    files[file] = `${JSON.stringify({ $id: `${SCHEMA_BASE_URI}${file}`, title, ...json }, null, 2)}\n`;
  }
  return files;
}
