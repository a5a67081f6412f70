// The integration config: where the views live, who the system user is, and which raw schemas that user must
// read. Parsed with zod; problems come back as VG204 diagnostics with the JSON path of the field.
import { z } from 'zod';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { issuesToDiagnostics } from '../diagnostics/zod-issues.js';
import { DEFAULT_INTEGRATION_SCHEMAS, type IntegrationSchemas } from '../sql/dialect.js';

/**
 * The default names of the schemas the integration owns (IntegrationConfig.schemas may rename them, e.g. to
 * run beside Immuta's native Redshift integration, which uses these names); the view schema may not reuse one.
 */
export const SYSTEM_SCHEMA = DEFAULT_INTEGRATION_SCHEMAS.system;
export const FUNCTIONS_SCHEMA = DEFAULT_INTEGRATION_SCHEMAS.functions;
export const PROCEDURES_SCHEMA = DEFAULT_INTEGRATION_SCHEMAS.procedures;
export const RESERVED_SCHEMAS = [SYSTEM_SCHEMA, FUNCTIONS_SCHEMA, PROCEDURES_SCHEMA] as const;
export type { IntegrationSchemas };

/** The integration's own schemas of a config, in the order they are listed (system, functions, procedures). */
export const integrationSchemaNames = (schemas: IntegrationSchemas): string[] => [
  schemas.system,
  schemas.functions,
  schemas.procedures,
];

const withDefaults = (
  given: Partial<Record<keyof IntegrationSchemas, string | undefined>> = {},
): IntegrationSchemas => ({
  system: given.system ?? DEFAULT_INTEGRATION_SCHEMAS.system,
  functions: given.functions ?? DEFAULT_INTEGRATION_SCHEMAS.functions,
  procedures: given.procedures ?? DEFAULT_INTEGRATION_SCHEMAS.procedures,
});

export const DEFAULT_SYSTEM_USER = 'immuta_system_user';
/** The schema names of a config (the defaults when it names none). */
export const schemasOf = (config: Pick<IntegrationConfig, 'schemas'>): IntegrationSchemas =>
  config.schemas ?? DEFAULT_INTEGRATION_SCHEMAS;

/** The dialect writing SQL for this config's layout (its schema names). */
export const dialectFor = <D extends { withSchemas(s: IntegrationSchemas): D }>(
  dialect: D,
  config: Pick<IntegrationConfig, 'schemas'>,
): D => dialect.withSchemas(schemasOf(config));

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
    /** The integration's own schemas; each defaults to its immuta_* name. */
    schemas: z
      .object({ system: name.optional(), functions: name.optional(), procedures: name.optional() })
      .strict()
      .optional(),
    /** Raw schemas the system user must read so that its views can select from them. */
    rawSources: z.array(RawSourceSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.mode === 'single' && c.database === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['database'],
        message: 'single-database mode needs the raw tables’ database',
      });
    }
    const own = integrationSchemaNames(withDefaults(c.schemas));
    if (new Set(own).size < own.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['schemas'],
        message: `the system, functions and procedures schemas must differ (${own.join(', ')})`,
      });
    }
    if (own.includes(c.viewSchema)) {
      ctx.addIssue({
        code: 'custom',
        path: ['viewSchema'],
        message: `${c.viewSchema} is reserved for the integration`,
      });
    }
    const database = c.database ?? (c.mode === 'multi' ? DEFAULT_MULTI_DATABASE : undefined);
    c.rawSources.forEach((s, i) => {
      // Without cross-database queries the views can only read raw tables in their own database.
      if (c.mode === 'single' && s.database !== undefined && s.database !== database) {
        ctx.addIssue({
          code: 'custom',
          path: ['rawSources', i, 'database'],
          message: 'single-database mode reads only its own database',
        });
      }
      // Redshift cross-database queries cannot read external tables (docs/modes.md).
      if (c.mode === 'multi' && s.external === true && s.database !== undefined && s.database !== database) {
        ctx.addIssue({
          code: 'custom',
          path: ['rawSources', i, 'external'],
          message:
            `external schema ${s.schema} is in database ${s.database}: cross-database queries cannot read external ` +
            `tables; use single-database mode in ${s.database} or re-create the external schema in ${database}`,
        });
      }
      if ((s.database ?? database) === database && [c.viewSchema, ...own].includes(s.schema)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rawSources', i, 'schema'],
          message: `${s.schema} is an integration schema, not raw data`,
        });
      }
    });
  })
  .transform((c) => ({
    mode: c.mode,
    database: c.database ?? DEFAULT_MULTI_DATABASE,
    viewSchema: c.viewSchema,
    systemUser: c.systemUser,
    // Only when given: a config that names none stays as it was (same bootstrap properties, same plan hash).
    ...(c.schemas ? { schemas: withDefaults(c.schemas) } : {}),
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
  /** The integration's own schemas; absent: the defaults (immuta_system, immuta_functions, immuta_procedures). */
  schemas?: IntegrationSchemas;
  rawSources: RawSource[];
}

export type IntegrationConfigResult = { ok: true; value: IntegrationConfig } | { ok: false; diagnostics: Diagnostic[] };

export function parseIntegrationConfig(input: unknown, basePath: (string | number)[] = []): IntegrationConfigResult {
  const r = IntegrationConfigInputSchema.safeParse(input);
  if (r.success) return { ok: true, value: r.data };
  return {
    ok: false,
    diagnostics: issuesToDiagnostics('VG204', r.error, { what: 'invalid integration config', basePath }),
  };
}
