// The integration config: where the views live, who the system user is, and which raw schemas that user must
// read. Parsed with zod; problems come back as VG204 diagnostics with the JSON path of the field.
import { z } from 'zod';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';

/** Schemas the integration owns; the view schema may not reuse one of them. */
export const SYSTEM_SCHEMA = 'immuta_system';
export const FUNCTIONS_SCHEMA = 'immuta_functions';
export const PROCEDURES_SCHEMA = 'immuta_procedures';
export const RESERVED_SCHEMAS = [SYSTEM_SCHEMA, FUNCTIONS_SCHEMA, PROCEDURES_SCHEMA] as const;

export const DEFAULT_SYSTEM_USER = 'immuta_system_user';
/** Multi-database mode keeps the views in their own database (Redshift RA3 / Serverless cross-database views). */
export const DEFAULT_MULTI_DATABASE = 'immuta';

const name = z.string().min(1, 'must not be empty');

const RawSourceSchema = z.object({
  /** The database holding the raw tables; defaults to the integration database. */
  database: name.optional(),
  schema: name,
  /** An external schema (Redshift Spectrum; PostgreSQL stand-in: foreign tables). */
  external: z.boolean().optional(),
});

export const IntegrationConfigInputSchema = z
  .object({
    mode: z.enum(['single', 'multi']),
    /** Where the views and our schemas live. Single mode: the raw tables' database (required). */
    database: name.optional(),
    viewSchema: name,
    systemUser: name.default(DEFAULT_SYSTEM_USER),
    /** Raw schemas the system user must read so that its views can select from them. */
    rawSources: z.array(RawSourceSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'single' && c.database === undefined) {
      ctx.addIssue({ code: 'custom', path: ['database'], message: 'single-database mode needs the raw tables’ database' });
    }
    if ((RESERVED_SCHEMAS as readonly string[]).includes(c.viewSchema)) {
      ctx.addIssue({ code: 'custom', path: ['viewSchema'], message: `${c.viewSchema} is reserved for the integration` });
    }
    const database = c.database ?? (c.mode === 'multi' ? DEFAULT_MULTI_DATABASE : undefined);
    c.rawSources.forEach((s, i) => {
      // Without cross-database queries the views can only read raw tables in their own database.
      if (c.mode === 'single' && s.database !== undefined && s.database !== database) {
        ctx.addIssue({ code: 'custom', path: ['rawSources', i, 'database'], message: 'single-database mode reads only its own database' });
      }
      // Redshift cross-database queries cannot read external tables (docs/modes.md).
      if (c.mode === 'multi' && s.external === true && s.database !== undefined && s.database !== database) {
        ctx.addIssue({
          code: 'custom',
          path: ['rawSources', i, 'external'],
          message: `external schema ${s.schema} is in database ${s.database}: cross-database queries cannot read external tables; use single-database mode in ${s.database} or re-create the external schema in ${database}`,
        });
      }
      if ((s.database ?? database) === database && [c.viewSchema, ...RESERVED_SCHEMAS].includes(s.schema)) {
        ctx.addIssue({ code: 'custom', path: ['rawSources', i, 'schema'], message: `${s.schema} is an integration schema, not raw data` });
      }
    });
  })
  .transform((c) => ({
    mode: c.mode,
    database: c.database ?? DEFAULT_MULTI_DATABASE,
    viewSchema: c.viewSchema,
    systemUser: c.systemUser,
    rawSources: c.rawSources.map((s) => ({
      database: s.database ?? c.database ?? DEFAULT_MULTI_DATABASE,
      schema: s.schema,
      ...(s.external ? { external: true } : {}),
    })),
  }));

export type IntegrationConfigInput = z.input<typeof IntegrationConfigInputSchema>;

export interface RawSource {
  database: string;
  schema: string;
  /** An external schema: Redshift gives its tables no SELECT grants (USAGE on the schema reads them). */
  external?: boolean;
}

export interface IntegrationConfig {
  mode: 'single' | 'multi';
  database: string;
  viewSchema: string;
  systemUser: string;
  rawSources: RawSource[];
}

export type IntegrationConfigResult = { ok: true; value: IntegrationConfig } | { ok: false; diagnostics: Diagnostic[] };

export function parseIntegrationConfig(input: unknown, basePath: (string | number)[] = []): IntegrationConfigResult {
  const r = IntegrationConfigInputSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    diagnostics: r.error.issues.map((issue) =>
      diagnostic('VG204', `invalid integration config: ${issue.message}`, [
        ...basePath,
        ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      ]),
    ),
  };
}
