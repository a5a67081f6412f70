// Every Redshift construct the project emits, as keys of the evidence table in docs/dialects.md: functions,
// built-in expressions and value functions (the lint's allow-list use), statement kinds (SET keeps its
// variable), the Redshift-only spellings the lint rewrites away (late binding, PASSWORD DISABLE, …), PL/pgSQL
// statements of the procedures (and the SQL inside them) and the data types named in casts and columns.
// The corpus is every generated statement (generated-redshift-sql.ts), the operator tools' catalog, audit,
// profile and routine statements (shared/operations), and the conformance check's plan.
import { parsePlPgSQLSync, parseSync } from 'libpg-query';
import { conformancePlan } from '../../shared/conformance/conformance-plan.js';
import { redshiftAllowListUse } from '../support/lint/redshift-lint.js';
import { normaliseRedshift } from '../support/lint/redshift-normalise.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { auditStatements } from '../../shared/operations/audit-facts.js';
import { catalogFactStatements } from '../../shared/operations/catalog-facts.js';
import { routineStatements } from '../../shared/operations/rebuild.js';
import { profileReadStatement } from '../../shared/operations/stored-state.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { allGeneratedRedshiftSql } from './generated-redshift-sql.js';

type Json = Record<string, unknown>;

function statementKey(stmt: Json): string {
  const [kind, body] = Object.entries(stmt)[0] as [string, Json];
  return kind === 'VariableSetStmt' ? `stmt:SET ${String(body.name)}` : `stmt:${kind}`;
}

function walk(value: unknown, visit: (key: string, node: Json) => void): void {
  if (Array.isArray(value)) return value.forEach((v) => walk(v, visit));
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Json)) {
    if (child && typeof child === 'object' && !Array.isArray(child)) visit(key, child as Json);
    walk(child, visit);
  }
}

function typesAndProcedures(sql: string, keys: Set<string>): void {
  const tree = parseSync(sql) as Json;
  walk(tree, (key, node) => {
    if (key === 'TypeName' || ((key === 'typeName' || key === 'argType' || key === 'returnType') && 'names' in node)) {
      const names = (node.names as Json[]).map((n) => String((n.String as Json).sval));
      keys.add(`type:${names[names.length - 1]}`);
    }
    if (key === 'CreateFunctionStmt') {
      const language = ((node.options as Json[]) ?? [])
        .map((o) => o.DefElem as Json)
        .find((o) => o.defname === 'language');
      if (String(((language?.arg as Json)?.String as Json)?.sval) !== 'plpgsql') return;
      walk(parsePlPgSQLSync(sql), (k, n) => {
        if (k.startsWith('PLpgSQL_stmt_')) keys.add(`plpgsql:${k.replace('PLpgSQL_stmt_', '')}`);
        if (k === 'PLpgSQL_stmt_execsql') {
          const query = String(((n.sqlstmt as Json).PLpgSQL_expr as Json).query);
          for (const s of parseSync(query).stmts ?? [])
            keys.add(`plpgsql:${statementKey(s.stmt as unknown as Json).slice(5)}`);
        }
      });
    }
  });
}

/** What the operator tools (viewguard CLI, the scheduled drift-and-audit run) send to Redshift. */
export function operatorToolStatements(): SqlStatement[] {
  const config = {
    mode: 'multi' as const,
    database: 'immuta',
    viewSchema: 'secure',
    systemUser: 'immuta_system_user',
    rawSources: [{ database: 'sales', schema: 'public' }],
  };
  const audit = auditStatements(redshift, {
    config,
    rawTables: [{ schema: 'public', table: 'orders' }],
    rawSchemas: ['public'],
  });
  const catalog = catalogFactStatements(
    redshift,
    ['secure', 'immuta_system'],
    ['immuta_functions', 'immuta_procedures'],
  );
  return [
    ...Object.values(audit).flat(),
    ...Object.values(catalog).flat(),
    profileReadStatement(redshift),
    profileReadStatement(redshift, 'alice'),
    ...routineStatements(redshift),
  ];
}

/** Every construct key (e.g. `fn:sha2`, `stmt:ViewStmt`, `syntax:no-schema-binding`, `type:varchar`). */
export function emittedConstructs(): Set<string> {
  const plan = conformancePlan(
    { mode: 'multi', database: 'immuta', viewSchema: 'secure', systemUser: 'immuta_system_user', rawSources: [] },
    redshift,
    {
      run: 'evidence',
      hashKey: 'k',
      otherDatabase: 'sales',
      external: { schema: 'spectrum', table: 't', columns: [{ name: 'id', type: 'int4' }] },
    },
  );
  const sqls = [
    ...allGeneratedRedshiftSql().flatMap((g) => g.statements),
    ...operatorToolStatements(),
    ...[...plan.steps, ...plan.cleanup].flatMap((s) => s.statements),
  ].map((s) => s.sql);
  const keys = new Set<string>();
  for (const sql of sqls) {
    const used = redshiftAllowListUse(sql);
    used.functions.forEach((f) => keys.add(`fn:${f}`));
    used.expressions.forEach((e) => keys.add(`expr:${e}`));
    used.valueFunctions.forEach((v) => keys.add(`value:${v}`));
    const normalised = normaliseRedshift(sql);
    normalised.applied.forEach((r) => keys.add(`syntax:${r}`));
    for (const s of parseSync(normalised.sql).stmts ?? []) keys.add(statementKey(s.stmt as unknown as Json));
    typesAndProcedures(normalised.sql, keys);
  }
  return keys;
}
