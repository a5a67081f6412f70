// `npm run schemas`: regenerate the JSON Schema files in this folder from the zod schemas
// (shared/events/json-schema-export.ts). test/events/json-schema-export.test.ts fails when they are stale.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchemaFiles } from '../shared/events/json-schema-export.js';

const here = dirname(fileURLToPath(import.meta.url));
const files = jsonSchemaFiles();
// Remove files of schemas that no longer exist, so the folder is exactly the generated set.
for (const f of readdirSync(here)) if (f.endsWith('.schema.json') && !(f in files)) rmSync(join(here, f));
for (const [name, text] of Object.entries(files)) writeFileSync(join(here, name), text);
console.log(`wrote ${Object.keys(files).length} schema files to ${here}`);
