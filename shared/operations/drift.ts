// `viewguard drift`: the warehouse's catalog against the state we applied.
//   views     — every live data source's view exists in the view schema, is owned by the system role, and is
//               what the stored state compiles to: the expected view is created under a probe name in
//               immuta_system from the planner's own statements and the ENGINE prints both definitions and
//               column lists (pg_get_viewdef / PG_VIEWS; a probe is dropped at once), so a hand edit shows
//               however the engine normalises SQL; no other relation lives in the view schema;
//   grants    — our views: PUBLIC SELECT and nothing else; immuta_system: nothing but PUBLIC SELECT on
//               user_profile; our schemas: PUBLIC USAGE and nothing else (never CREATE); functions: PUBLIC
//               EXECUTE; procedures: no one but the owner;
//   owners    — the system role owns our schemas, relations and routines;
//   routines  — every function and procedure exists once with the body and SECURITY DEFINER the layout emits;
//   profiles  — every row is in the form the procedures write (profile-encoding.ts); a hand-written value
//               rarely is (see docs/operations.md for what this cannot see).
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { compileView } from '../compiler/view-compiler.js';
import { reapplyView } from './reapply.js';
import { routineStatements } from './rebuild.js';
import { schemasOf, type IntegrationConfig } from '../layout/integration-config.js';
import { encodeAttributes, encodeList, escapeItem } from '../layout/profile-encoding.js';
import { functionDefinitions, procedureDefinitions } from '../layout/routine-definitions.js';
import { PUBLIC_SYSTEM_VIEWS } from '../layout/warehouse-objects.js';
import { packTransactions } from '../sql/transaction-packer.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { planned, stmt, type PlannedStatement } from '../sql/statement.js';
import { createHash } from 'node:crypto';
import { readCatalogFacts, type CatalogFacts, type GrantFact } from './catalog-facts.js';
import { expectedViews, policyDiagnostics, type ExpectedView } from './expected-views.js';
import { readProfiles, readStoredState, type StoredProfile, type StoredState } from './stored-state.js';

export type DriftKind =
  | 'view-missing'
  | 'view-edited'
  | 'view-owner'
  | 'relation-extra'
  | 'grant-added'
  | 'grant-revoked'
  | 'owner-changed'
  | 'routine-missing'
  | 'routine-replaced'
  | 'routine-extra'
  | 'profile-edited';

export interface DriftFinding {
  kind: DriftKind;
  /** `secure.customers`, `schema immuta_system`, `function immuta_functions.f_list_item`, `profile alice`. */
  object: string;
  detail: string;
  /** What `drift --repair` does about it; `admin` = it cannot (the statement says what an administrator runs). */
  repair: 'reapply view' | 'drop' | 'revoke' | 'grant' | 'recreate routine' | 'admin' | 'control plane';
  /** The data source whose view is meant (view findings). */
  dataSourceId?: string;
  /** Statements that repair it (run as the system role), or that an administrator must run. */
  statements?: PlannedStatement[];
  diagnostic: Diagnostic;
}

export interface DriftReport {
  findings: DriftFinding[];
  checked: { views: number; relations: number; schemas: number; routines: number; profiles: number };
}

export interface DriftOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: IntegrationConfig;
}

const PROBE_PREFIX = 'vg_drift_probe_';
const probeName = (dataSourceId: string): string =>
  `${PROBE_PREFIX}${createHash('sha256').update(dataSourceId).digest('hex').slice(0, 24)}`;

export async function detectDrift(o: DriftOptions): Promise<DriftReport> {
  const state = await readStoredState(o.warehouse, o.dialect);
  const expected = expectedViews(state, o.config, o.dialect);
  const probes = await createProbes(o, state, expected);
  let facts: CatalogFacts;
  try {
    facts = await readCatalogFacts(
      (s) => o.warehouse.query(s),
      o.dialect,
      [o.config.viewSchema, schemasOf(o.config).system],
      [schemasOf(o.config).functions, schemasOf(o.config).procedures],
    );
  } finally {
    await dropProbes(o, [...probes.created]);
  }
  const profiles = await readProfiles(o.warehouse, o.dialect);
  const findings = [
    ...viewFindings(o, expected, probes, facts),
    ...relationGrantFindings(o, expected, facts),
    ...schemaFindings(o, facts),
    ...routineFindings(o, facts),
    ...profiles.flatMap(profileFinding),
  ];
  return {
    findings,
    checked: {
      views: expected.size,
      relations: facts.relations.filter((r) => !r.name.startsWith(PROBE_PREFIX)).length,
      schemas: facts.schemas.length,
      routines: facts.routines.length,
      profiles: profiles.length,
    },
  };
}

// ------------------------------------------------------------------------------------------------ probes

interface Probes {
  created: Set<string>;
  /** Data source id → why its probe could not be created (the raw table is gone, …). */
  failed: Map<string, string>;
}

function probeStatements(o: DriftOptions, state: StoredState, v: ExpectedView): PlannedStatement[] {
  const unreadable = policyDiagnostics(state);
  const compiled = compileView(
    { ...v.dataSource, name: probeName(v.dataSource.id) },
    state.policies,
    { ...o.config, viewSchema: schemasOf(o.config).system },
    o.dialect,
    null,
    {
      ...(unreadable.length ? { failClosedBecause: unreadable } : {}),
    },
  );
  // The view exactly as the planner creates it, minus the grant: nobody but the owner reads a probe.
  return compiled.statements.filter((s) => s.role !== 'grant');
}

/**
 * Probes go out many views per transaction (the transaction packer: ≤ 40 statements, the one pin around them): a
 * catalog of thousands of views must fit a scheduled run. A batch the engine refuses is retried one view at a
 * time, so one view that no longer compiles against the warehouse (its raw table is gone) is reported on its own.
 */
async function createProbes(o: DriftOptions, state: StoredState, expected: Map<string, ExpectedView>): Promise<Probes> {
  const probes: Probes = { created: new Set(), failed: new Map() };
  const units = [...expected].map(([id, v]) => ({ statements: probeStatements(o, state, v), tag: id }));
  for (const tx of packTransactions(units, o.dialect)) {
    try {
      await o.warehouse.transaction(tx.statements);
      for (const id of tx.units) probes.created.add(id);
    } catch {
      for (const id of new Set(tx.units)) {
        try {
          await runPacked(o, probeStatements(o, state, expected.get(id)!));
          probes.created.add(id);
        } catch (e) {
          probes.failed.set(id, e instanceof Error ? e.message : String(e));
        }
      }
    }
  }
  return probes;
}

async function dropProbes(o: DriftOptions, ids: string[]): Promise<void> {
  await runPacked(
    o,
    ids.map((id) =>
      planned(
        'drop',
        stmt(
          `DROP VIEW IF EXISTS ${o.dialect.qualify(schemasOf(o.config).system, probeName(id))}`,
          'drift: drop a probe',
        ),
      ),
    ),
  );
}

/** Statements through the transaction packer, as the apply loop runs its plans. */
async function runPacked(o: DriftOptions, statements: PlannedStatement[]): Promise<void> {
  for (const tx of packTransactions([{ statements, tag: null }], o.dialect))
    await o.warehouse.transaction(tx.statements);
}

// ------------------------------------------------------------------------------------------------ views

const finding = (f: Omit<DriftFinding, 'diagnostic'>): DriftFinding => ({
  ...f,
  diagnostic: diagnostic('VG802', `${f.object}: ${f.detail}`),
});

function viewFindings(
  o: DriftOptions,
  expected: Map<string, ExpectedView>,
  probes: Probes,
  facts: CatalogFacts,
): DriftFinding[] {
  const out: DriftFinding[] = [];
  const inSchema = (schema: string) => facts.relations.filter((r) => r.schema === schema);
  const columns = (schema: string, relation: string) =>
    JSON.stringify(
      facts.columns
        .filter((c) => c.schema === schema && c.relation === relation)
        .sort((a, b) => a.position - b.position)
        .map((c) => [c.name, c.type]),
    );
  const expectedNames = new Set([...expected.values()].map((v) => v.dataSource.name));
  for (const [id, v] of expected) {
    const actual = inSchema(o.config.viewSchema).find((r) => r.name === v.dataSource.name);
    const object = v.displayName;
    if (!actual) {
      out.push(
        finding({
          kind: 'view-missing',
          object,
          detail: `the view of data source ${JSON.stringify(id)} does not exist`,
          repair: 'reapply view',
          dataSourceId: id,
        }),
      );
      continue;
    }
    if (actual.owner !== o.config.systemUser) {
      out.push(
        finding({
          kind: 'view-owner',
          object,
          detail:
            `owned by ${JSON.stringify(actual.owner)}, not the ` + `system role ${JSON.stringify(o.config.systemUser)}`,
          repair: 'reapply view',
          dataSourceId: id,
        }),
      );
      continue;
    }
    if (probes.failed.has(id)) {
      out.push(
        finding({
          kind: 'view-edited',
          object,
          detail: `the stored state no longer compiles against the warehouse: ${probes.failed.get(id)}`,
          repair: 'reapply view',
          dataSourceId: id,
        }),
      );
      continue;
    }
    const probe = inSchema(schemasOf(o.config).system).find((r) => r.name === probeName(id));
    const edited =
      actual.kind !== 'view' ||
      probe?.definition !== actual.definition ||
      columns(schemasOf(o.config).system, probeName(id)) !== columns(o.config.viewSchema, actual.name);
    if (edited)
      out.push(
        finding({
          kind: 'view-edited',
          object,
          detail: 'definition or columns differ from what the stored state compiles to (edited by hand?)',
          repair: 'reapply view',
          dataSourceId: id,
        }),
      );
  }
  for (const r of inSchema(o.config.viewSchema)) {
    if (expectedNames.has(r.name)) continue;
    const name = o.dialect.qualify(r.schema, r.name);
    const drop =
      r.kind === 'view'
        ? [planned('drop', stmt(`DROP VIEW IF EXISTS ${name}`, 'drift: a view the stored state does not have'))]
        : undefined;
    out.push(
      finding({
        kind: 'relation-extra',
        object: `${r.schema}.${r.name}`,
        detail: `a ${r.kind} in the view schema that no data source has (owner ${JSON.stringify(r.owner)})`,
        repair: r.kind === 'view' ? 'drop' : 'admin',
        ...(drop
          ? { statements: drop }
          : {
              statements: [planned('drop', stmt(`DROP TABLE ${name}`, 'an administrator: a table in the view schema'))],
            }),
      }),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ grants

/** `FROM PUBLIC` / `FROM "alice"` / Redshift's `FROM GROUP "g"`, `FROM ROLE "r"`. */
export function granteeSql(dialect: Dialect, g: Pick<GrantFact, 'grantee' | 'granteeKind'>): string {
  if (g.granteeKind === 'public') return 'PUBLIC';
  const prefix = g.granteeKind === 'group' ? 'GROUP ' : g.granteeKind === 'role' ? 'ROLE ' : '';
  return `${prefix}${dialect.quoteIdent(g.grantee)}`;
}

type Expected = Map<string, Set<string>>; // grantee ('PUBLIC' or a name) → privileges

function compareGrants(
  o: DriftOptions,
  object: string,
  onSql: string,
  actual: GrantFact[],
  expected: Expected,
  owner: string | null,
): DriftFinding[] {
  const out: DriftFinding[] = [];
  for (const g of actual) {
    if (g.grantee === owner) continue;
    if (expected.get(g.grantee)?.has(g.privilege)) continue;
    out.push(
      finding({
        kind: 'grant-added',
        object,
        detail:
          `${g.privilege} granted to ` +
          `${g.granteeKind === 'public' ? 'PUBLIC' : `${g.granteeKind} ` + `${JSON.stringify(g.grantee)}`}`,
        repair: 'revoke',
        statements: [
          planned(
            'grant',
            stmt(
              `REVOKE ${g.privilege} ON ${onSql} FROM ${granteeSql(o.dialect, g)}`,
              'drift: a grant the layout does not make',
            ),
          ),
        ],
      }),
    );
  }
  for (const [grantee, privileges] of expected) {
    for (const p of privileges) {
      if (actual.some((g) => g.grantee === grantee && g.privilege === p)) continue;
      const to = grantee === 'PUBLIC' ? 'PUBLIC' : o.dialect.quoteIdent(grantee);
      out.push(
        finding({
          kind: 'grant-revoked',
          object,
          detail: `${p} to ${grantee} was revoked`,
          repair: 'grant',
          statements: [planned('grant', stmt(`GRANT ${p} ON ${onSql} TO ${to}`, 'drift: a grant the layout makes'))],
        }),
      );
    }
  }
  return out;
}

const grants = (facts: GrantFact[], schema: string, object: string) =>
  facts.filter((g) => g.schema === schema && g.object === object);

function relationGrantFindings(
  o: DriftOptions,
  expected: Map<string, ExpectedView>,
  facts: CatalogFacts,
): DriftFinding[] {
  const out: DriftFinding[] = [];
  const names = new Set([...expected.values()].map((v) => v.dataSource.name));
  for (const r of facts.relations) {
    if (r.name.startsWith(PROBE_PREFIX)) continue;
    const ours = r.schema === schemasOf(o.config).system || names.has(r.name);
    if (!ours || r.owner !== o.config.systemUser) continue; // extra relations and foreign owners are findings already
    const want: Expected =
      r.schema === schemasOf(o.config).system
        ? new Map(PUBLIC_SYSTEM_VIEWS.includes(r.name) ? [['PUBLIC', new Set(['SELECT'])]] : [])
        : new Map([['PUBLIC', new Set(['SELECT'])]]);
    const on = `${r.kind === 'view' ? '' : 'TABLE '}${o.dialect.qualify(r.schema, r.name)}`;
    out.push(
      ...compareGrants(o, `${r.schema}.${r.name}`, on, grants(facts.relationGrants, r.schema, r.name), want, r.owner),
    );
  }
  return out;
}

function schemaFindings(o: DriftOptions, facts: CatalogFacts): DriftFinding[] {
  const out: DriftFinding[] = [];
  for (const schema of [
    schemasOf(o.config).system,
    schemasOf(o.config).functions,
    schemasOf(o.config).procedures,
    o.config.viewSchema,
  ]) {
    const s = facts.schemas.find((x) => x.schema === schema);
    const object = `schema ${schema}`;
    if (!s) {
      out.push(
        finding({ kind: 'owner-changed', object, detail: 'does not exist (run the bootstrap)', repair: 'admin' }),
      );
      continue;
    }
    if (s.owner !== o.config.systemUser) {
      out.push(
        finding({
          kind: 'owner-changed',
          object,
          detail: `owned by ${JSON.stringify(s.owner)}, not the system role`,
          repair: 'admin',
          statements: [
            planned(
              'ddl',
              stmt(
                `ALTER SCHEMA ${o.dialect.quoteIdent(schema)} OWNER TO ${o.dialect.quoteIdent(o.config.systemUser)}`,
                'an administrator: hand the schema back',
              ),
            ),
          ],
        }),
      );
      continue;
    }
    out.push(
      ...compareGrants(
        o,
        object,
        `SCHEMA ${o.dialect.quoteIdent(schema)}`,
        grants(facts.schemaGrants, schema, ''),
        new Map([['PUBLIC', new Set(['USAGE'])]]),
        s.owner,
      ),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ routines

/** The body between the dollar quotes of a CREATE FUNCTION / PROCEDURE (what the catalog stores as its source). */
const body = (sql: string): string => sql.slice(sql.indexOf('$$') + 2, sql.lastIndexOf('$$')).trim();

function routineFindings(o: DriftOptions, facts: CatalogFacts): DriftFinding[] {
  const out: DriftFinding[] = [];
  const defs = [...functionDefinitions(o.dialect), ...procedureDefinitions(o.dialect)];
  const schemaOf = (kind: string) =>
    kind === 'function' ? schemasOf(o.config).functions : schemasOf(o.config).procedures;
  for (const def of defs) {
    const schema = schemaOf(def.kind);
    const name = def.qualifiedName.split('.').pop()!.replace(/"/g, '');
    const object = `${def.kind} ${schema}.${name}`;
    const actual = facts.routines.filter((r) => r.schema === schema && r.name === name);
    const recreate = { repair: 'recreate routine' as const, statements: routineStatements(o.dialect, [def]) };
    if (actual.length === 0) {
      out.push(finding({ kind: 'routine-missing', object, detail: 'does not exist', ...recreate }));
      continue;
    }
    if (actual.length > 1)
      out.push(
        finding({
          kind: 'routine-extra',
          object,
          detail: `${actual.length} routines carry this name (an overload was added)`,
          repair: 'admin',
        }),
      );
    const r = actual[0]!;
    if (r.owner !== o.config.systemUser) {
      const alter =
        `ALTER ${def.kind === 'function' ? 'FUNCTION' : 'PROCEDURE'} ${def.qualifiedName}(` +
        `${def.args.map((a) => a.type).join(', ')}) OWNER TO ${o.dialect.quoteIdent(o.config.systemUser)}`;
      out.push(
        finding({
          kind: 'owner-changed',
          object,
          detail: `owned by ${JSON.stringify(r.owner)}, not the system role`,
          repair: 'admin',
          statements: [planned('ddl', stmt(alter, 'an administrator: hand the routine back'))],
        }),
      );
      continue;
    }
    if ((r.source ?? '').trim() !== body(def.create.sql) || r.securityDefiner !== def.securityDefiner) {
      out.push(
        finding({
          kind: 'routine-replaced',
          object,
          detail: 'body or SECURITY DEFINER differs from what the layout creates (replaced by hand?)',
          ...recreate,
        }),
      );
    }
    const want: Expected = def.kind === 'function' ? new Map([['PUBLIC', new Set(['EXECUTE'])]]) : new Map();
    const signature =
      `${def.kind === 'function' ? 'FUNCTION' : 'PROCEDURE'} ${def.qualifiedName}(` +
      `${def.args.map((a) => a.type).join(', ')})`;
    out.push(...compareGrants(o, object, signature, grants(facts.routineGrants, schema, name), want, r.owner));
  }
  const known = new Set(defs.map((d) => `${schemaOf(d.kind)}.${d.qualifiedName.split('.').pop()!.replace(/"/g, '')}`));
  for (const r of facts.routines) {
    if (known.has(`${r.schema}.${r.name}`)) continue;
    out.push(
      finding({
        kind: 'routine-extra',
        object: `routine ${r.schema}.${r.name}`,
        detail: `not created by the layout (owner ${JSON.stringify(r.owner)})`,
        repair: 'admin',
      }),
    );
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ profiles

/** The encodings the procedures store: re-encoding the decoded row gives the same text. */
function profileFinding(p: StoredProfile): DriftFinding[] {
  const problems: string[] = [];
  const canonical: Record<string, string> = {
    groups: encodeList(p.groups),
    attributes: encodeAttributes(p.attributes),
    projects: encodeList(p.projects),
    purposes: encodeListRaw([...p.purposes.map(escapeItem), ...p.activePurposes.map((a) => `=${escapeItem(a)}`)]),
    datasources: encodeList(p.dataSources),
  };
  for (const [column, value] of Object.entries(canonical)) {
    if (p.raw[column as keyof StoredProfile['raw']] !== value) problems.push(column);
  }
  if (p.deleted && [p.groups, p.projects, p.purposes, p.dataSources].some((l) => l.length > 0))
    problems.push('a deleted profile that still holds entitlements');
  if (problems.length === 0) return [];
  return [
    finding({
      kind: 'profile-edited',
      object: `profile ${p.userId}`,
      detail:
        `not in the form apply_user / delete_user write (${problems.join(', ')}): changed outside the procedures; ` +
        `send the user again from the control plane`,
      repair: 'control plane',
    }),
  ];
}

/** Already-escaped items, sorted and de-duplicated like encodePurposes. */
function encodeListRaw(items: string[]): string {
  const sorted = [...new Set(items)].sort();
  return sorted.length === 0 ? '|' : `|${sorted.join('|')}|`;
}

// ------------------------------------------------------------------------------------------------ repair

export interface RepairResult {
  object: string;
  kind: DriftKind;
  outcome: 'repaired' | 'failed' | 'not repairable';
  detail?: string;
}

/**
 * Re-apply from the stored state what the findings say differs, idempotently: routines first (views call them),
 * then grants, extra views dropped, and every drifted view re-applied through the planner (reapply.ts) — a view
 * edited by hand or owned by someone else is failed closed first. Findings only an administrator or the control
 * plane can fix are left as they are.
 */
export async function repairDrift(o: DriftOptions, report: DriftReport): Promise<RepairResult[]> {
  const results: RepairResult[] = [];
  const reapplied = new Set(report.findings.filter((f) => f.repair === 'reapply view').map((f) => f.dataSourceId!));
  const runAll = async (f: DriftFinding): Promise<void> => {
    try {
      await runPacked(o, f.statements ?? []);
      results.push({ object: f.object, kind: f.kind, outcome: 'repaired' });
    } catch (e) {
      results.push({
        object: f.object,
        kind: f.kind,
        outcome: 'failed',
        detail: e instanceof Error ? e.message : String(e),
      });
    }
  };
  const byRepair = (r: DriftFinding['repair']) => report.findings.filter((f) => f.repair === r);
  for (const f of byRepair('recreate routine')) await runAll(f);
  // Grants of a view about to be re-applied are reset by its re-creation.
  const viewNames = new Set(report.findings.filter((f) => reapplied.has(f.dataSourceId ?? '')).map((f) => f.object));
  for (const f of [...byRepair('revoke'), ...byRepair('grant')]) {
    if (!viewNames.has(f.object)) await runAll(f);
  }
  for (const f of byRepair('drop')) await runAll(f);
  for (const id of reapplied) {
    const reasons = report.findings.filter((f) => f.dataSourceId === id);
    const edited = reasons.find((f) => f.kind === 'view-edited' || f.kind === 'view-owner');
    const r = await reapplyView(o, id, edited ? `${edited.object}: ${edited.detail}` : undefined);
    for (const f of reasons) {
      results.push({
        object: f.object,
        kind: f.kind,
        outcome: r.outcome === 'failed' ? 'failed' : 'repaired',
        ...(r.error
          ? { detail: r.error }
          : r.failedClosedFirst
            ? { detail: 'failed closed first, then re-applied' }
            : {}),
      });
    }
    // Its grants were reset with it (a re-created view gets exactly the layout's grant).
    const object = reasons[0]?.object;
    for (const f of report.findings.filter(
      (g) => (g.kind === 'grant-added' || g.kind === 'grant-revoked') && g.object === object,
    )) {
      results.push({
        object: f.object,
        kind: f.kind,
        outcome: r.outcome === 'failed' ? 'failed' : 'repaired',
        detail: 'the view was re-created with the layout’s grant',
      });
    }
  }
  for (const f of report.findings)
    if (f.repair === 'admin' || f.repair === 'control plane')
      results.push({
        object: f.object,
        kind: f.kind,
        outcome: 'not repairable',
        detail:
          f.repair === 'admin'
            ? 'an administrator must run the statement shown'
            : 'send the user again from the control plane',
      });
  return results;
}
