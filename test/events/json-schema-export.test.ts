import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { jsonSchemaFiles } from '../../shared/events/json-schema-export.js';
import { EVENT_TYPES } from '../../shared/routing/routing-table.js';

const schemasDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

describe('published JSON Schema (schemas/*.schema.json)', () => {
  const generated = jsonSchemaFiles();

  it('the committed files are exactly what the zod schemas generate (run `npm run schemas` after a change)', () => {
    const committed = readdirSync(schemasDir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort();
    expect(committed).toEqual(Object.keys(generated).sort());
    for (const [file, text] of Object.entries(generated)) {
      expect(readFileSync(join(schemasDir, file), 'utf8'), file).toBe(text);
    }
  });

  it('has one schema per event type, each fixing its type and requiring the envelope', () => {
    for (const type of EVENT_TYPES) {
      const schema = JSON.parse(generated[`event.${type}.schema.json`]!);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.properties.type).toMatchObject({ const: type });
      expect(schema.required).toEqual(
        expect.arrayContaining(['specversion', 'id', 'source', 'type', 'time', 'subject', 'data']),
      );
    }
  });

  it('the union schema lists every type', () => {
    const union = JSON.parse(generated['webhook-event.schema.json']!);
    const types = (union.oneOf ?? union.anyOf).map(
      (s: { properties: { type: { const: string } } }) => s.properties.type.const,
    );
    expect(types.sort()).toEqual([...EVENT_TYPES].sort());
  });
});
