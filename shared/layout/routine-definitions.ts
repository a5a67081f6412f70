// The integration's SQL functions (immuta_functions) and stored procedures (immuta_procedures), as
// CREATE OR REPLACE statements plus the argument lists that GRANT/REVOKE and CALL need.
//
// Procedures are plpgsql that both engines run: no INSERT … ON CONFLICT (Redshift has none), no FOR UPDATE,
// every object schema-qualified, SECURITY DEFINER with fixed name resolution (the dialect's definerSettings). Syntax:
// CREATE [ OR REPLACE ] PROCEDURE name ( args ) AS $$ body $$ LANGUAGE plpgsql
//   [ SECURITY DEFINER ] [ SET configuration_parameter { TO value | = value } ]
// https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_PROCEDURE.html (PostgreSQL accepts the same order).
// RAISE EXCEPTION aborts the procedure and the caller's whole transaction:
// https://docs.aws.amazon.com/redshift/latest/dg/c_PLpgSQL-statements.html
// Messages start with `viewguard:stale` / `viewguard:conflict` (the warehouse adapters classify on that).
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';
import { MAX_LIST_ITEMS, entitlementRowsSql, itemCountSql } from './entitlement-rows.js';
import { ATTRIBUTE_ITEM_FUNCTION, LIST_ITEM_FUNCTION } from './profile-encoding.js';
import { PROCEDURES, TABLES, columnTypes, functionName, procedureName, systemTable } from './warehouse-objects.js';

export interface RoutineArg {
  name: string;
  type: string;
}

export interface RoutineDefinition {
  kind: 'function' | 'procedure';
  /** SECURITY DEFINER (the catalog and user procedures) or the caller's rights (functions, run_pinned). */
  securityDefiner: boolean;
  /** Schema-qualified, quoted name. */
  qualifiedName: string;
  args: RoutineArg[];
  create: SqlStatement;
}

/** `name(type, type)` as GRANT / REVOKE need it. */
export const routineSignature = (r: RoutineDefinition): string =>
  `${r.qualifiedName}(${r.args.map((a) => a.type).join(', ')})`;

export function procedureArgs(dialect: Dialect): Record<keyof typeof PROCEDURES, RoutineArg[]> {
  const t = columnTypes(dialect);
  return {
    applyDatasource: [
      { name: 'p_id', type: t.key },
      { name: 'p_version', type: t.bigint },
      { name: 'p_deleted', type: t.boolean },
      { name: 'p_definition', type: t.text },
      { name: 'p_view_signature', type: t.text },
      { name: 'p_expected_epoch', type: t.bigint },
    ],
    applyPolicy: [
      { name: 'p_id', type: t.key },
      { name: 'p_version', type: t.bigint },
      { name: 'p_deleted', type: t.boolean },
      { name: 'p_definition', type: t.text },
      { name: 'p_datasource_id', type: t.key },
      { name: 'p_view_signature', type: t.text },
      { name: 'p_expected_epoch', type: t.bigint },
    ],
    applyUser: [
      { name: 'p_userid', type: t.key },
      { name: 'p_version', type: t.bigint },
      { name: 'p_groups', type: t.text },
      { name: 'p_attributes', type: t.text },
      { name: 'p_projects', type: t.text },
      { name: 'p_current_project', type: t.text },
      { name: 'p_purposes', type: t.text },
      { name: 'p_datasources', type: t.text },
    ],
    deleteUser: [
      { name: 'p_userid', type: t.key },
      { name: 'p_version', type: t.bigint },
    ],
    runPinned: Array.from({ length: PINNED_RUNNER_ARGS }, (_, i) => ({ name: `p_${i + 1}`, type: t.text })),
  };
}

/**
 * Statements one run_pinned CALL carries: fewer than Redshift's 32 input arguments of a procedure
 * (https://docs.aws.amazon.com/redshift/latest/dg/stored-procedure-constraints.html); 16 views of ~2 KB keep a
 * CALL far under the Data API's 100 KB.
 */
export const PINNED_RUNNER_ARGS = 16;

/**
 * run_pinned: EXECUTEs each argument that is not NULL, in order, with name resolution pinned by its own SET
 * clause — the same pin the transaction packer's SET/RESET gives (dialect.pinSearchPath), restored when the
 * procedure exits. SECURITY INVOKER: it runs what its caller could run anyway, as the caller (so the view is
 * the caller's), never with the owner's rights; EXECUTE is still revoked from PUBLIC like every procedure.
 * EXECUTE of a string: https://docs.aws.amazon.com/redshift/latest/dg/c_PLpgSQL-statements.html ; a failure
 * aborts the caller's whole transaction, like the statement run on its own.
 */
function runPinnedProcedure(dialect: Dialect): RoutineDefinition {
  const args = procedureArgs(dialect).runPinned;
  const qualifiedName = procedureName(dialect, PROCEDURES.runPinned);
  const sql = [
    `CREATE OR REPLACE PROCEDURE ${qualifiedName}(${args.map((a) => `${a.name} ${a.type}`).join(', ')})`,
    'AS $$',
    'BEGIN',
    ...args.map((a) => `  IF ${a.name} IS NOT NULL THEN EXECUTE ${a.name}; END IF;`),
    'END;',
    `$$ LANGUAGE plpgsql SECURITY INVOKER ${dialect.pinSearchPath().before}`,
  ].join('\n');
  const create = stmt(sql, `procedure ${PROCEDURES.runPinned}`);
  return { kind: 'procedure', securityDefiner: false, qualifiedName, args, create };
}

function procedure(
  dialect: Dialect,
  name: string,
  args: RoutineArg[],
  declare: string[],
  body: string[],
): RoutineDefinition {
  const qualifiedName = procedureName(dialect, name);
  const sql = [
    `CREATE OR REPLACE PROCEDURE ${qualifiedName}(${args.map((a) => `${a.name} ${a.type}`).join(', ')})`,
    'AS $$',
    'DECLARE',
    ...declare.map((d) => `  ${d};`),
    'BEGIN',
    ...body.map((l) => `  ${l}`),
    'END;',
    `$$ LANGUAGE plpgsql SECURITY DEFINER ${dialect.definerSettings(dialect.schemas.system)}`,
  ].join('\n');
  return { kind: 'procedure', securityDefiner: true, qualifiedName, args, create: stmt(sql, `procedure ${name}`) };
}

/** The epoch guard shared by the catalog procedures: lock, then compare with what the caller compiled against. */
function epochGuard(dialect: Dialect): string[] {
  const epoch = systemTable(dialect, TABLES.catalogEpoch);
  return [
    `${dialect.lockExclusive(epoch)};`,
    `SELECT epoch INTO v_epoch FROM ${epoch};`,
    // A NULL expected epoch must not slip through as "not different" (fail closed).
    'IF v_epoch IS NULL OR p_expected_epoch IS NULL OR v_epoch <> p_expected_epoch THEN',
    '  RAISE EXCEPTION ' +
      "'viewguard:conflict catalog epoch " +
      'is %, the ' +
      "change was compiled against %', " +
      'v_epoch, p_expected_epoch;',
    'END IF;',
  ];
}

export function procedureDefinitions(dialect: Dialect): RoutineDefinition[] {
  return [...catalogProcedures(dialect), ...userProcedures(dialect), runPinnedProcedure(dialect)];
}

/** apply_datasource and apply_policy: the catalog's state rows, behind the epoch guard. */
function catalogProcedures(dialect: Dialect): RoutineDefinition[] {
  const args = procedureArgs(dialect);
  const now = dialect.currentTimestamp();
  const epoch = systemTable(dialect, TABLES.catalogEpoch);
  const ds = systemTable(dialect, TABLES.datasourceState);
  const pol = systemTable(dialect, TABLES.policyState);
  const bumpEpoch = `UPDATE ${epoch} SET epoch = epoch + 1;`;

  const applyDatasource = procedure(
    dialect,
    PROCEDURES.applyDatasource,
    args.applyDatasource,
    ['v_epoch bigint', 'v_version bigint'],
    [
      ...epochGuard(dialect),
      `SELECT version INTO v_version FROM ${ds} WHERE datasource_id = p_id;`,
      'IF v_version IS NOT NULL AND v_version >= p_version THEN',
      "  RAISE EXCEPTION 'viewguard:stale data source version % is not newer than the stored %', p_version, v_version;",
      'END IF;',
      'IF v_version IS NULL THEN',
      `  INSERT INTO ${ds} (datasource_id, version, deleted, definition, view_signature, updated_at)`,
      `    VALUES (p_id, p_version, p_deleted, p_definition, p_view_signature, ${now});`,
      'ELSE',
      `  UPDATE ${ds} SET version = p_version, deleted = p_deleted, definition = p_definition,`,
      `    view_signature = p_view_signature, updated_at = ${now} WHERE datasource_id = p_id;`,
      'END IF;',
      bumpEpoch,
    ],
  );

  // No stale error: the view is compiled with max(stored, carried) and must still be replaced.
  const applyPolicy = procedure(
    dialect,
    PROCEDURES.applyPolicy,
    args.applyPolicy,
    ['v_epoch bigint', 'v_version bigint'],
    [
      ...epochGuard(dialect),
      `SELECT version INTO v_version FROM ${pol} WHERE policy_id = p_id;`,
      'IF v_version IS NULL THEN',
      `  INSERT INTO ${pol} (policy_id, version, deleted, definition, updated_at)`,
      `    VALUES (p_id, p_version, p_deleted, p_definition, ${now});`,
      `  ${bumpEpoch}`,
      'ELSIF v_version < p_version THEN',
      `  UPDATE ${pol} SET version = p_version, deleted = p_deleted, definition = p_definition, updated_at = ${now}`,
      '    WHERE policy_id = p_id;',
      `  ${bumpEpoch}`,
      'END IF;',
      'IF p_datasource_id IS NOT NULL THEN',
      `  UPDATE ${ds} SET view_signature = p_view_signature, updated_at = ${now} WHERE datasource_id = ` +
        `p_datasource_id;`,
      'END IF;',
    ],
  );

  return [applyDatasource, applyPolicy];
}

/** apply_user and delete_user: a user's profile row and its entitlement rows, in one call. */
function userProcedures(dialect: Dialect): RoutineDefinition[] {
  const args = procedureArgs(dialect);
  const now = dialect.currentTimestamp();
  const profile = systemTable(dialect, TABLES.profile);
  const profileLock = dialect.lockWriters(profile);
  const lock = profileLock ? [`${profileLock};`] : [];
  const rows = systemTable(dialect, TABLES.entitlement);
  const dropRows = `DELETE FROM ${rows} WHERE immuta__userid = p_userid;`;
  // The same lists as rows, in the same call (entitlement-rows.ts): a view's membership test reads these.
  const writeRows = [
    `  ${dropRows}`,
    `  INSERT INTO ${rows} (immuta__userid, kind, attribute, value) ` +
      `${entitlementRowsSql(dialect, { userid: 'p_userid', groups: 'p_groups', attributes: 'p_attributes' })};`,
  ];
  const tooLong = [itemCountSql(dialect, 'p_groups'), itemCountSql(dialect, 'p_attributes')]
    .map((c) => `${c} > ${MAX_LIST_ITEMS}`)
    .join(' OR ');
  // A stale version is a silent no-op: the newer state is already stored.
  const applyUser = procedure(
    dialect,
    PROCEDURES.applyUser,
    args.applyUser,
    ['v_version bigint'],
    [
      ...lock,
      // Rows past the decoding's reach would be lost: refuse the change whole rather than store part of it.
      `IF ${tooLong} THEN`,
      `  RAISE EXCEPTION 'viewguard:refused user % has more than ${MAX_LIST_ITEMS} groups or attribute values', ` +
        `p_userid;`,
      'END IF;',
      `SELECT version INTO v_version FROM ${profile} WHERE immuta__userid = p_userid;`,
      'IF v_version IS NULL THEN',
      `  INSERT INTO ${profile} (immuta__userid, version, deleted, groups, attributes, projects, current_project, ` +
        `purposes, datasources, updated_at)`,
      `    VALUES (p_userid, p_version, FALSE, p_groups, p_attributes, p_projects, p_current_project, p_purposes, ` +
        `p_datasources, ${now});`,
      ...writeRows,
      'ELSIF v_version < p_version THEN',
      `  UPDATE ${profile} SET version = p_version, deleted = FALSE, groups = p_groups, attributes = p_attributes,`,
      '    projects = p_projects, current_project = p_current_project, purposes = p_purposes, datasources = ' +
        'p_datasources,',
      `    updated_at = ${now} WHERE immuta__userid = p_userid;`,
      ...writeRows,
      'END IF;',
    ],
  );

  // A tombstone keeps the version (so an older upsert replayed later stays stale) and wipes every
  // entitlement, so nothing is left for a view to match.
  const empty = "'|'";
  const deleteUser = procedure(
    dialect,
    PROCEDURES.deleteUser,
    args.deleteUser,
    ['v_version bigint'],
    [
      ...lock,
      `SELECT version INTO v_version FROM ${profile} WHERE immuta__userid = p_userid;`,
      'IF v_version IS NULL THEN',
      `  INSERT INTO ${profile} (immuta__userid, version, deleted, groups, attributes, projects, current_project, ` +
        `purposes, datasources, updated_at)`,
      `    VALUES (p_userid, p_version, TRUE, ${empty}, ${empty}, ${empty}, NULL, ${empty}, ${empty}, ${now});`,
      `  ${dropRows}`,
      'ELSIF v_version < p_version THEN',
      `  UPDATE ${profile} SET version = p_version, deleted = TRUE, groups = ${empty}, attributes = ${empty}, ` +
        `projects = ${empty},`,
      `    current_project = NULL, purposes = ${empty}, datasources = ${empty}, updated_at = ${now} WHERE ` +
        `immuta__userid = p_userid;`,
      `  ${dropRows}`,
      'END IF;',
    ],
  );

  return [applyUser, deleteUser];
}

/**
 * The scalar SQL UDFs that build a per-row needle (profile-encoding.ts does the same in TypeScript).
 * Redshift: a scalar SQL UDF is ONE SELECT without FROM/WHERE and needs a volatility before AS:
 * https://docs.aws.amazon.com/redshift/latest/dg/udf-creating-a-scalar-sql-udf.html and
 * https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_FUNCTION.html
 */
export function functionDefinitions(dialect: Dialect): RoutineDefinition[] {
  const t = columnTypes(dialect);
  const lit = (s: string): string => dialect.quoteLiteral(s);
  const escape = (arg: string): string =>
    dialect.builtin('replace', [
      dialect.builtin('replace', [dialect.builtin('replace', [arg, lit('%'), lit('%25')]), lit('|'), lit('%7C')]),
      lit('='),
      lit('%3D'),
    ]);
  const cat = (...parts: string[]): string => parts.reduce((acc, p) => dialect.concat(acc, p));
  const fn = (name: string, args: RoutineArg[], select: string): RoutineDefinition => {
    const qualifiedName = functionName(dialect, name);
    // PostgreSQL: PARALLEL SAFE, or every query through a view that filters with these runs without workers.
    const parallel = dialect.parallelSafeFunction();
    const sql =
      `CREATE OR REPLACE FUNCTION ${qualifiedName}(${args.map((a) => a.type).join(', ')}) RETURNS ${t.text} ` +
      `IMMUTABLE\nAS $$ SELECT ${select} $$ LANGUAGE sql${parallel ? ` ${parallel}` : ''}`;
    return { kind: 'function', securityDefiner: false, qualifiedName, args, create: stmt(sql, `function ${name}`) };
  };
  return [
    fn(LIST_ITEM_FUNCTION, [{ name: '$1', type: t.text }], cat(lit('|'), escape('$1'), lit('|'))),
    fn(
      ATTRIBUTE_ITEM_FUNCTION,
      [
        { name: '$1', type: t.text },
        { name: '$2', type: t.text },
      ],
      cat(lit('|'), escape('$1'), lit('='), escape('$2'), lit('|')),
    ),
  ];
}
