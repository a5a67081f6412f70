// What the Lambda bundles get for `import … from 'zod'` (esbuild --alias, infra/stack/handler-function.ts):
// zod's root module with the same shape (named exports, `z`, default) over zod-classic-api.mjs.
import * as z from './zod-classic-api.mjs';
export * from './zod-classic-api.mjs';
export { z, z as default };
