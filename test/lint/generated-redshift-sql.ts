// The corpus of SQL the project generates for Redshift, shared by the lint tests: the bootstrap plan and its
// inspection, the routines it creates, the layout's state/user/catalog statements, and the views compiled for
// the documented example policies, awkward names, and every policy-breadth example (test/breadth).
import { redshift } from '../../shared/sql/redshift-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { parseDataSource, parsePolicy } from '../../shared/policy/validate.js';
import type { DataSource } from '../../shared/policy/data-source.js';
import type { Policy } from '../../shared/policy/policy.js';
import { compileFailClosedView, compileView, dropView } from '../../shared/compiler/view-compiler.js';
import { functionDefinitions, procedureDefinitions } from '../../shared/layout/routine-definitions.js';
import { bootstrapScript, inspectStatement, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import { catalogReadStatement } from '../../shared/layout/catalog-reader.js';
import { planDatasourceStateCall, planPolicyStateCall } from '../../shared/layout/state-call-plan.js';
import { planUserDelete, planUserUpsert } from '../../shared/layout/user-change-plan.js';
import { diagnostic } from '../../shared/diagnostics/diagnostic.js';
import { PolicySchema } from '../../shared/policy/policy.js';
import {
  anyoneSubscription,
  dataSource as breadthDataSource,
  docConfig,
  examples as breadthExamples,
  policiesOf,
} from '../breadth/policy-doc-examples.js';

export interface GeneratedGroup {
  label: string;
  statements: readonly SqlStatement[];
}

const mustParse = <T>(r: { ok: true; value: T } | { ok: false; diagnostics: unknown[] }): T => {
  if (!r.ok) throw new Error(`fixture does not validate: ${JSON.stringify(r.diagnostics)}`);
  return r.value;
};

// Documented example data sources and policies, plus variants that exercise other compiler paths.
const orders = mustParse(parseDataSource(EVENT_EXAMPLES['datasource.created'].data.dataSource)) as DataSource;
const external: DataSource = { ...orders, id: 'ds-ext', name: 'orders_ext', kind: 'external' };
const awkward: DataSource = {
  ...orders,
  id: 'ds-awkward',
  name: `it's "odd"; -- $$ name ü`,
  location: { database: 'sales', schema: `sch"ema`, table: `ta'ble` },
  columns: [
    { name: `col "x"; drop table t; --`, type: 'varchar(32)', tags: ['PII.Email'] },
    { name: 'région', type: 'int4', tags: [] },
    { name: 'amount', type: 'numeric(12,2)', tags: [] },
  ],
};
// One column of every type the compiler knows (shared/policy/column-type.ts), each under the hash mask; its
// fail-closed view casts a NULL to every type.
const everyType: DataSource = mustParse(
  parseDataSource({
    ...(EVENT_EXAMPLES['datasource.created'].data.dataSource as object),
    id: 'ds-types',
    name: 'every_type',
    columns: [
      { name: 'region', type: 'varchar(16)' },
      ...[
        'varchar',
        'char(4)',
        'text',
        'int2',
        'int4',
        'int8',
        'numeric(12,2)',
        'float4',
        'float8',
        'boolean',
        'date',
        'timestamp',
        'timestamptz',
        'time',
        'timetz',
      ].map((type, i) => ({ name: `c${i}`, type, tags: ['PII.Email'] })),
    ],
  }),
) as DataSource;
const mask = mustParse(parsePolicy(EVENT_EXAMPLES['policy.created'].data.policy)) as Policy;
const rowFilter = mustParse(parsePolicy(EVENT_EXAMPLES['policy.updated'].data.policy)) as Policy;

export const exampleDataSources: readonly DataSource[] = [orders, external, awkward, everyType];
export const examplePolicySets: readonly [string, Policy[]][] = [
  ['no policies', []],
  ['mask', [mask]],
  ['row filter', [rowFilter]],
  ['mask + row filter', [mask, rowFilter]],
];
export const viewConfig = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };
/** Multi-database mode: the example tables live in `sales`, the views in `immuta` (cross-database references). */
export const multiViewConfig = { mode: 'multi' as const, database: 'immuta', viewSchema: 'governed' };

/** Compiled views: first compile (drop + create) and the replace-in-place path (same signature), in both modes. */
export function compiledViewGroups(ds: DataSource, policies: Policy[]): GeneratedGroup[] {
  const groups: GeneratedGroup[] = [];
  for (const [mode, config] of [
    ['', viewConfig],
    [' (multi-database)', multiViewConfig],
  ] as const) {
    // An external table of another database is refused in multi mode (VG305): its fail-closed view is still SQL.
    const compiled = compileView(ds, policies, config, redshift);
    const again = compileView(ds, policies, config, redshift, compiled.signature);
    groups.push({ label: `${ds.name} / view${mode}`, statements: compiled.statements });
    groups.push({ label: `${ds.name} / view${mode} (replace)`, statements: again.statements });
  }
  return groups;
}

export const bootstrapConfigs = [
  {
    mode: 'single',
    database: 'sales',
    viewSchema: 'governed',
    systemUser: 'immuta_system_user',
    rawSources: [{ database: 'sales', schema: 'public' }],
  },
  {
    mode: 'multi',
    database: 'immuta',
    viewSchema: 'governed',
    systemUser: 'immuta_system_user',
    rawSources: [
      { database: 'sales', schema: 'public' },
      { database: 'hr', schema: 'people' },
    ],
  },
] as const;

export function bootstrapGroups(config: (typeof bootstrapConfigs)[number], fresh: boolean): GeneratedGroup[] {
  const schemas = ['immuta_system', 'immuta_functions', 'immuta_procedures', config.viewSchema];
  const inspected = fresh
    ? { systemRoleExists: false, schemaOwners: new Map<string, string | null>() }
    : {
        systemRoleExists: true,
        schemaOwners: new Map<string, string | null>(schemas.map((s) => [s, config.systemUser])),
      };
  const cfg = { ...config, rawSources: [...config.rawSources] } as never;
  const steps = planBootstrap(cfg, redshift, inspected, { hashKey: 'not-in-sql-text' });
  return [
    { label: 'inspection', statements: [inspectStatement(cfg, redshift)] },
    { label: 'bootstrap steps', statements: steps.map((s) => s.statement) },
    { label: 'bootstrap script', statements: bootstrapScript(steps, cfg, redshift) },
  ];
}

/** Everything, as one list of groups (for the citation test). */
export function allGeneratedRedshiftSql(): GeneratedGroup[] {
  const groups: GeneratedGroup[] = [];
  for (const ds of exampleDataSources) {
    for (const [label, policies] of examplePolicySets) {
      for (const g of compiledViewGroups(ds, policies)) groups.push({ ...g, label: `${g.label} with ${label}` });
    }
    groups.push({
      label: `${ds.name} / fail-closed view`,
      statements: compileFailClosedView(ds, viewConfig as never, redshift, [
        diagnostic('VG308', 'the warehouse refused the view'),
      ]).statements,
    });
    groups.push({ label: `${ds.name} / drop`, statements: dropView(ds, viewConfig as never, redshift) });
  }
  const breadthDs = breadthDataSource(docConfig.database);
  for (const ex of breadthExamples) {
    groups.push({
      label: `breadth ${ex.id}`,
      statements: compileView(breadthDs, policiesOf(ex), docConfig, redshift).statements,
    });
  }
  // Custom WHERE passes a clause's functions through: one clause calling every function it permits
  // (shared/compiler/custom-where.ts FUNCTIONS), so each of them is in the corpus.
  const everyWhereFunction = PolicySchema.parse({
    id: 'where-functions',
    version: 1,
    createdAt: '2024-06-01T00:00:00Z',
    name: 'Functions',
    scope: { kind: 'local', dataSourceId: breadthDs.id },
    type: 'rowFilter',
    filter: {
      kind: 'where',
      clause:
        'lower(name) = upper(dept) OR btrim(name) = ' +
        "ltrim(dept, 'x') OR rtrim(name) " +
        '= left(dept, 2) OR right(name, 1) = ' +
        "'a' OR length(name) > abs(age)",
    },
  });
  const whereCompiled = compileView(
    breadthDs,
    [PolicySchema.parse(anyoneSubscription), everyWhereFunction],
    docConfig,
    redshift,
  );
  if (whereCompiled.failedClosed)
    throw new Error(`custom WHERE fixture does not compile: ${JSON.stringify(whereCompiled.diagnostics)}`);
  groups.push({ label: 'custom WHERE functions', statements: whereCompiled.statements });
  // Number rounding has one form per kind of number (integer division, x − MOD(x, b), TRUNC for floats and for a
  // fractional bucket on an integer): one column of each.
  const numbers = mustParse(
    parseDataSource({
      ...(EVENT_EXAMPLES['datasource.created'].data.dataSource as object),
      id: 'ds-numbers',
      name: 'numbers',
      columns: [
        { name: 'i', type: 'int4' },
        { name: 'j', type: 'int8' },
        { name: 'n', type: 'numeric(12,2)' },
        { name: 'f', type: 'float8' },
      ],
    }),
  ) as DataSource;
  const round = (column: string, bucket: number): Policy =>
    PolicySchema.parse({
      id: `round-${column}`,
      version: 1,
      createdAt: '2024-06-01T00:00:00Z',
      name: `round ${column}`,
      scope: { kind: 'global' },
      type: 'mask',
      target: { kind: 'column', name: column },
      mask: { kind: 'round', bucket },
    });
  const rounded = compileView(
    numbers,
    [PolicySchema.parse(anyoneSubscription), round('i', 10), round('j', 2.5), round('n', 0.5), round('f', 100)],
    viewConfig,
    redshift,
  );
  if (rounded.failedClosed)
    throw new Error(`rounding fixture does not compile: ${JSON.stringify(rounded.diagnostics)}`);
  groups.push({ label: 'number rounding', statements: rounded.statements });
  groups.push({
    label: 'routines',
    statements: [...functionDefinitions(redshift), ...procedureDefinitions(redshift)].map((r) => r.create),
  });
  for (const config of bootstrapConfigs) {
    for (const fresh of [true, false]) {
      for (const g of bootstrapGroups(config, fresh))
        groups.push({
          ...g,
          label: `${config.mode}-database, ${fresh ? 'nothing exists yet' : 'everything exists'}: ${g.label}`,
        });
    }
  }
  groups.push({
    label: 'layout statements',
    statements: [
      catalogReadStatement(redshift, 'ds'),
      catalogReadStatement(redshift),
      planDatasourceStateCall(
        { datasourceId: 'ds', version: 1, deleted: false, definition: {}, viewSignature: 's', expectedEpoch: 0 },
        redshift,
      ),
      planPolicyStateCall(
        {
          policyId: 'p',
          version: 1,
          deleted: false,
          definition: {},
          datasourceId: 'ds',
          viewSignature: 's',
          expectedEpoch: 0,
        },
        redshift,
      ),
      planUserUpsert(
        {
          userId: 'u',
          version: 1,
          groups: ['g'],
          attributes: {},
          projects: [],
          currentProject: null,
          purposes: [],
          dataSources: [],
        },
        redshift,
      ),
      planUserDelete('u', 2, redshift),
    ],
  });
  return groups;
}
