// A data source: one raw table (or Spectrum external table) exposed as one view named `name` in the view
// schema. Only the columns listed here are exposed; columns the table has but this list lacks are dropped.
import { z } from 'zod';
import { TagSchema } from './tag.js';
import { parseColumnType } from './column-type.js';

export const ColumnSchema = z.object({
  name: z.string().min(1),
  /** One of the types in column-type.ts (e.g. "varchar(64)", "int8", "numeric(12,2)", "timestamptz"). */
  type: z.string().refine((t) => parseColumnType(t) !== null, {
    message: 'unknown column type (see docs/policies.md for the types the compiler knows)',
  }),
  tags: z.array(TagSchema).default([]),
});

export const DataSourceSchema = z
  .object({
    id: z.string().min(1),
    /** The view name in the view schema. */
    name: z.string().min(1),
    version: z.number().int().min(0),
    location: z.object({
      database: z.string().min(1),
      schema: z.string().min(1),
      table: z.string().min(1),
    }),
    kind: z.enum(['table', 'external']),
    columns: z.array(ColumnSchema).min(1),
    tags: z.array(TagSchema).default([]),
  })
  .superRefine((ds, ctx) => {
    // Two columns with one name would make the view ambiguous; PostgreSQL and Redshift fold nothing inside
    // quoted identifiers, so names are compared exactly.
    const seen = new Set<string>();
    ds.columns.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate column ${JSON.stringify(c.name)}`,
          path: ['columns', i, 'name'],
        });
      seen.add(c.name);
    });
  });

export type DataSource = z.infer<typeof DataSourceSchema>;
export type Column = z.infer<typeof ColumnSchema>;
export type DataSourceInput = z.input<typeof DataSourceSchema>;
