// `viewguard audit`: who can walk around the secure views. The engine decides who CAN (audit-facts.ts: the
// has_*_privilege functions over every principal but superusers and the system role); the grants, memberships
// and owners read beside it explain HOW — directly, through PUBLIC, through a group or role, by owning the
// table — and each way comes with the statement that closes it. Also: default privileges that will hand future
// raw tables to someone, and registered tables that have no secure view at all.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { type IntegrationConfig } from '../layout/integration-config.js';
import { procedureDefinitions } from '../layout/routine-definitions.js';
import type { Warehouse } from '../ports/warehouse.js';
import type { Dialect } from '../sql/dialect.js';
import { readAuditFacts, type AccessFact, type AccessKind, type AuditFacts, type RawTable } from './audit-facts.js';
import { readCatalogFacts, type GranteeKind } from './catalog-facts.js';
import { granteeSql } from './drift.js';
import { readStoredState } from './stored-state.js';

export type AuditKind = AccessKind | 'default-privilege' | 'no-secure-view';

export interface AuditFinding {
  kind: AuditKind;
  /** '' for a table without a view. */
  principal: string;
  principalKind: GranteeKind | '';
  /** `raw.customers`, `schema immuta_functions`, `procedure immuta_procedures.apply_user`, … */
  object: string;
  /** How the principal gets there, one entry per way. */
  via: string[];
  /** What to run (as an administrator) to close each way. */
  revoke: string[];
  diagnostic: Diagnostic;
}

export interface AuditReport {
  findings: AuditFinding[];
  rawTables: number;
  /** Registered tables in another database: run the audit connected to it. */
  notAudited: { dataSourceId: string; database: string }[];
}

export interface AuditOptions {
  warehouse: Warehouse;
  dialect: Dialect;
  config: IntegrationConfig;
}

const PRIVILEGES: Record<AccessKind, string[]> = {
  'read-raw': ['SELECT'],
  'read-state': ['SELECT'],
  'write-state': ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'],
  'create-in-schema': ['CREATE'],
  'execute-procedure': ['EXECUTE'],
  'act-as-system': [],
};

const WHAT: Record<AccessKind, string> = {
  'read-raw': 'can read the raw table directly, around every policy',
  'read-state': 'can read an integration table (profiles, policies or the hashing key)',
  'write-state': 'can write an integration table (its own profile, the catalog)',
  'create-in-schema': 'can create objects in an integration schema (a function or view the views would trust)',
  'execute-procedure': 'can call a write procedure (e.g. give itself groups through apply_user)',
  'act-as-system': 'is a member of the system role and so owns every view and table it owns',
};

export async function audit(o: AuditOptions): Promise<AuditReport> {
  const state = await readStoredState(o.warehouse, o.dialect);
  const live = [...state.dataSources.values()];
  const here = live.filter((ds) => ds.location.database === o.config.database);
  const rawTables: RawTable[] = [
    ...new Map(
      here.map((ds) => [
        `${ds.location.schema}.${ds.location.table}`,
        { schema: ds.location.schema, table: ds.location.table },
      ]),
    ).values(),
  ];
  const rawSchemas = [
    ...new Set([
      ...o.config.rawSources.filter((r) => r.database === o.config.database).map((r) => r.schema),
      ...rawTables.map((t) => t.schema),
    ]),
  ];
  const query = (s: Parameters<Warehouse['query']>[0]) => o.warehouse.query(s);
  const facts = await readAuditFacts(query, o.dialect, { config: o.config, rawTables, rawSchemas });
  const findings = [
    ...accessFindings(o, facts),
    ...groupGrantFindings(o, facts, rawTables),
    ...defaultFindings(o, facts),
  ];
  const relations = (await readCatalogFacts(query, o.dialect, [o.config.viewSchema], [])).relations;
  for (const ds of here) {
    if (relations.some((r) => r.kind === 'view' && r.name === ds.name)) continue;
    findings.push(
      finding({
        kind: 'no-secure-view',
        principal: '',
        principalKind: '',
        object: `${ds.location.schema}.${ds.location.table}`,
        via: [`data source ${JSON.stringify(ds.id)} has no view ${o.config.viewSchema}.${ds.name}`],
        revoke: ['viewguard drift --repair (re-applies the view from the stored state)'],
      }),
    );
  }
  return {
    findings,
    rawTables: rawTables.length,
    notAudited: live
      .filter((ds) => ds.location.database !== o.config.database)
      .map((ds) => ({ dataSourceId: ds.id, database: ds.location.database })),
  };
}

const finding = (f: Omit<AuditFinding, 'diagnostic'>): AuditFinding => ({
  ...f,
  diagnostic: diagnostic(
    'VG803',
    `${f.principal || f.object}${f.principal ? ` → ${f.object}` : ''}: ${f.via.join('; ')}` +
      `${f.revoke.length ? ` — ${f.revoke.join('; ')}` : ''}`,
  ),
});

function objectSql(o: AuditOptions, a: Pick<AccessFact, 'access' | 'schema' | 'object'>): string {
  const q = o.dialect;
  switch (a.access) {
    case 'create-in-schema':
      return `SCHEMA ${q.quoteIdent(a.schema)}`;
    case 'execute-procedure': {
      const def = procedureDefinitions(q).find((d) => d.qualifiedName === q.qualify(q.schemas.procedures, a.object));
      return def
        ? `PROCEDURE ${def.qualifiedName}(${def.args.map((x) => x.type).join(', ')})`
        : `ALL PROCEDURES IN SCHEMA ${q.quoteIdent(a.schema)}`;
    }
    default:
      return `TABLE ${q.qualify(a.schema, a.object)}`;
  }
}

const label = (a: Pick<AccessFact, 'access' | 'schema' | 'object'>): string =>
  a.access === 'create-in-schema'
    ? `schema ${a.schema}`
    : a.access === 'execute-procedure'
      ? `procedure ${a.schema}.${a.object}`
      : a.access === 'act-as-system'
        ? `role ${a.object}`
        : `${a.schema}.${a.object}`;

/** Every way `principal` holds one of `privileges` on the object, with the statement that closes it. */
function ways(o: AuditOptions, facts: AuditFacts, a: AccessFact): { via: string[]; revoke: string[] } {
  const via: string[] = [];
  const revoke: string[] = [];
  const q = o.dialect;
  const p = q.quoteIdent(a.principal);
  if (a.access === 'act-as-system')
    return { via: ['member of the system role'], revoke: [`REVOKE ${q.quoteIdent(o.config.systemUser)} FROM ${p}`] };
  const on = objectSql(o, a);
  const privileges = PRIVILEGES[a.access];
  const memberOf = new Set(facts.members.filter((m) => m.principal === a.principal).map((m) => m.via));
  const owner = facts.owners.find(
    (x) => x.schema === a.schema && x.object === (a.access === 'create-in-schema' ? '' : a.object),
  )?.owner;
  // An owner's own privileges show up as grants to the owner: ownership is its own way, below.
  const grants = facts.grants.filter(
    (g) => g.schema === a.schema && g.object === a.object && privileges.includes(g.privilege) && g.grantee !== owner,
  );
  const add = (v: string, r: string) => {
    if (!via.includes(v)) via.push(v);
    if (!revoke.includes(r)) revoke.push(r);
  };
  for (const g of grants) {
    const revokeGrant = `REVOKE ${g.privilege} ON ${on} FROM ${granteeSql(q, g)}`;
    if (g.granteeKind === 'public') add('granted to PUBLIC', revokeGrant);
    else if (g.grantee === a.principal) add(`granted directly (${g.privilege})`, revokeGrant);
    else if (g.grantee === o.config.systemUser && memberOf.has(g.grantee))
      add('member of the system role', `REVOKE ${q.quoteIdent(g.grantee)} FROM ${p}`);
    else if (memberOf.has(g.grantee))
      add(
        `through ${g.granteeKind === 'user' ? 'role' : g.granteeKind} ${g.grantee}, which it is a member of`,
        revokeGrant,
      );
  }
  if (owner === a.principal) {
    // An owner can always grant itself access again: ownership itself must move.
    if (a.access === 'create-in-schema')
      add('owns the schema', `ALTER SCHEMA ${q.quoteIdent(a.schema)} OWNER TO ${q.quoteIdent(o.config.systemUser)}`);
    else
      add(
        'owns the table',
        `ALTER TABLE ${q.qualify(a.schema, a.object)} OWNER TO <an administrator that is no analyst>`,
      );
  } else if (owner && memberOf.has(owner))
    add(`member of its owner ${owner}`, `REVOKE ${q.quoteIdent(owner)} FROM ${p}`);
  for (const g of memberOf)
    if (g.startsWith('pg_') && via.length === 0)
      add(`member of the predefined role ${g}`, `REVOKE ${q.quoteIdent(g)} FROM ${p}`);
  if (via.length === 0)
    via.push('no grant read explains it (a column grant, or a group on Redshift: see the group findings)');
  return { via, revoke };
}

function accessFindings(o: AuditOptions, facts: AuditFacts): AuditFinding[] {
  return facts.access.map((a) => {
    const { via, revoke } = ways(o, facts, a);
    const unusable = a.usable ? [] : [`no USAGE on schema ${a.schema} yet (one GRANT USAGE away)`];
    return finding({
      kind: a.access,
      principal: a.principal,
      principalKind: a.principalKind,
      object: label(a),
      via: [WHAT[a.access], ...unusable, ...via],
      revoke,
    });
  });
}

/**
 * Groups and roles holding a raw-table grant (Redshift: HAS_TABLE_PRIVILEGE answers for users only, so a group
 * grant is its own finding; PostgreSQL's roles are in the access facts already and are not repeated).
 */
function groupGrantFindings(o: AuditOptions, facts: AuditFacts, raw: RawTable[]): AuditFinding[] {
  const isRaw = (schema: string, object: string) => raw.some((t) => t.schema === schema && t.table === object);
  return facts.grants
    .filter(
      (g) =>
        (g.granteeKind === 'group' || g.granteeKind === 'role') &&
        g.privilege === 'SELECT' &&
        isRaw(g.schema, g.object),
    )
    .filter(
      (g) => !facts.access.some((a) => a.principal === g.grantee && a.schema === g.schema && a.object === g.object),
    )
    .map((g) =>
      finding({
        kind: 'read-raw',
        principal: g.grantee,
        principalKind: g.granteeKind,
        object: `${g.schema}.${g.object}`,
        via: [WHAT['read-raw'], `granted to ${g.granteeKind} ${g.grantee} (every member can read it)`],
        revoke: [`REVOKE SELECT ON TABLE ${o.dialect.qualify(g.schema, g.object)} FROM ${granteeSql(o.dialect, g)}`],
      }),
    );
}

function defaultFindings(o: AuditOptions, facts: AuditFacts): AuditFinding[] {
  return facts.defaults
    .filter((d) => d.grantee !== o.config.systemUser)
    .map((d) => {
      const inSchema = d.schema ? ` IN SCHEMA ${o.dialect.quoteIdent(d.schema)}` : '';
      return finding({
        kind: 'default-privilege',
        principal: d.grantee,
        principalKind: d.granteeKind,
        object: d.schema
          ? `schema ${d.schema} (future tables of ${d.owner})`
          : `every schema (future tables of ${d.owner})`,
        via: [
          `default privileges give SELECT on every table ${d.owner} creates${d.schema ? ` in ${d.schema}` : ''} to ` +
            `${d.grantee}`,
        ],
        revoke: [
          `ALTER DEFAULT PRIVILEGES FOR USER ${o.dialect.quoteIdent(d.owner)}${inSchema} REVOKE SELECT ON TABLES ` +
            `FROM ${granteeSql(o.dialect, d)}`,
        ],
      });
    });
}
