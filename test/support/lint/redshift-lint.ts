// Redshift lint: every statement we generate for Redshift is parsed with the real PostgreSQL parser
// (libpg-query) and its parse tree is checked against what the AWS Redshift SQL reference documents.
// Fail closed: a node type, function, type or option that is not on an allow-list is an error.
//
// Checked:  statement kinds; functions (VG402, redshift-function-allow-list.ts); expression node types,
//           operators, casts and column types (VG403); PostgreSQL-only options — view options
//           (security_barrier, security_invoker, check option), LEAKPROOF/PARALLEL/COST…, ON CONFLICT,
//           RETURNING, FOR UPDATE, DISTINCT ON, LATERAL, set-returning functions in FROM, arrays, E''/U&''/B''
//           literals, LOCK modes, plpythonu; view binding (another database's objects only in a late-binding
//           view, every relation of a late-binding view schema-qualified: view-binding.ts); SQL UDF rules
//           (unnamed $n arguments, one SELECT without FROM);
//           statement size (VG404: > 100,000 UTF-8 bytes, the Data API limit read conservatively as 1000-byte KB);
//           plpgsql procedure bodies: parsed with parsePlPgSQL; statement kinds checked (no FOREACH, RETURN
//           NEXT/QUERY, ASSERT), exception handlers only WHEN OTHERS, RAISE without USING/condition names, and
//           every embedded SQL statement and expression is linted like top-level SQL.
//           Argument counts and constant kinds of every allowed function (VG406, redshift-function-arguments.ts);
//           IS TRUE/FALSE outside WHERE, LOCK spelling, user/role options, language grants (redshift-shapes.ts;
//           a Python language is VG407). CASE branch types are checked on the compiler's typed output, not
//           here (view-types.ts, VG405).
// Not checked: semantics (names exist, privileges), PL/pgSQL variable declarations' types, anything that the
//           PostgreSQL parser accepts and Redshift accepts with a different meaning.
import { loadModule, parseSync, parsePlPgSQLSync, scanSync } from 'libpg-query';
import { diagnostic, type Diagnostic } from '../../../shared/diagnostics/diagnostic.js';
import { normaliseRedshift } from './redshift-normalise.js';
import { viewBindingProblems } from './view-binding.js';
import { argumentProblems } from './redshift-function-arguments.js';
import { booleanTestsOutsideWhere, languageGrantProblems, lockProblems, roleProblems } from './redshift-shapes.js';
import {
  REDSHIFT_EXPRESSIONS,
  REDSHIFT_FUNCTIONS,
  REDSHIFT_OPERATORS,
  REDSHIFT_PREFIX_OPERATORS,
  REDSHIFT_TYPES,
  REDSHIFT_VALUE_FUNCTIONS,
} from './redshift-function-allow-list.js';

// The parser is WebAssembly; load it once when this module is imported so lintRedshift can stay synchronous.
await loadModule();

export const MAX_STATEMENT_BYTES = 100_000;

export interface LintOptions {
  /** Schemas whose functions/procedures are ours (created by the bootstrap plan and linted there). */
  ownSchemas?: readonly string[];
}

const DEFAULT_OWN_SCHEMAS = ['immuta_functions', 'immuta_procedures'];

type Json = Record<string, unknown>;

/** Statement node types Redshift has (each maps to a documented SQL command). */
const STATEMENTS = new Set([
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'ViewStmt',
  'CreateStmt',
  'CreateTableAsStmt',
  'CreateSchemaStmt',
  'CreateFunctionStmt',
  'CallStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'LockStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'DropRoleStmt',
  'DropStmt',
  'TransactionStmt',
  'VariableSetStmt',
  'TruncateStmt',
  'AlterOwnerStmt',
  'RenameStmt',
  'CommentStmt',
]);

/** Non-statement node types that carry no PostgreSQL-only meaning by themselves. */
const NEUTRAL_NODES = new Set([
  'A_Const',
  'ColumnRef',
  'ParamRef',
  'A_Star',
  'String',
  'Integer',
  'Float',
  'Boolean',
  'List',
  'ResTarget',
  'Alias',
  'RangeVar',
  'JoinExpr',
  'RangeSubselect',
  'SortBy',
  'WindowDef',
  'BoolExpr',
  'NullTest',
  'BooleanTest',
  'CaseWhen',
  'SubLink',
  'WithClause',
  'CommonTableExpr',
  'GroupingSet',
  'RoleSpec',
  'AccessPriv',
  'ObjectWithArgs',
  'FunctionParameter',
  'ColumnDef',
  'Constraint',
  'DefElem',
  'IntoClause',
  'TypeName',
  'A_Expr',
  'FuncCall',
  'SQLValueFunction',
  'MultiAssignRef',
  'SetToDefault',
  ...Object.keys(REDSHIFT_EXPRESSIONS),
]);

const TYPE_FIELDS = new Set(['typeName', 'argType', 'returnType']);

const TOO_MANY = 50; // stop collecting after this many findings in one statement

/** Which allow-list entries a statement relied on (keys of the lists in redshift-function-allow-list.ts). */
export interface AllowListUse {
  functions: Set<string>;
  expressions: Set<string>;
  valueFunctions: Set<string>;
}

class Linter {
  readonly diags: Diagnostic[] = [];
  readonly used: AllowListUse = { functions: new Set(), expressions: new Set(), valueFunctions: new Set() };
  constructor(
    private readonly ownSchemas: readonly string[],
    private readonly where: string,
    /** The statement ended in WITH NO SCHEMA BINDING (removed by normaliseRedshift before parsing). */
    private readonly lateBinding = false,
  ) {}

  report(code: 'VG402' | 'VG403' | 'VG406' | 'VG407', summary: string): void {
    if (this.diags.length >= TOO_MANY) return;
    if (this.diags.some((d) => d.code === code && d.summary === summary)) return;
    this.diags.push(diagnostic(code, summary, [], 'error', this.where));
  }
  unsupported(what: string): void {
    this.report('VG403', `${what} is not supported by Redshift`);
  }

  statement(node: Json, top: boolean): void {
    const [kind, body] = Object.entries(node)[0] as [string, Json];
    if (!STATEMENTS.has(kind)) {
      this.unsupported(`statement ${kind}`);
      return;
    }
    this.visit(kind, body, top);
    this.walk(body);
  }

  /** Recursively visit every node wrapper ({ NodeType: {...} }) below `value`. */
  walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (const v of value) this.walk(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value as Json)) {
      // Type names are stored unwrapped in these fields (TypeCast.typeName, ColumnDef.typeName, …).
      if (TYPE_FIELDS.has(key) && child && typeof child === 'object' && 'names' in (child as Json)) {
        this.typeName(child as Json);
      }
      if (/^[A-Z]/.test(key) && child && typeof child === 'object' && !Array.isArray(child)) {
        if (STATEMENTS.has(key)) {
          // Nested statements: sub-selects, CTE bodies, CREATE VIEW's query, INSERT … SELECT.
          this.visit(key, child as Json, false);
        } else if (!NEUTRAL_NODES.has(key)) {
          this.unsupported(`construct ${key}`);
          continue;
        } else {
          this.visit(key, child as Json, false);
        }
      }
      this.walk(child);
    }
  }

  private visit(kind: string, n: Json, _top: boolean): void {
    if (REDSHIFT_EXPRESSIONS[kind]) this.used.expressions.add(kind);
    switch (kind) {
      case 'FuncCall':
        return this.funcCall(n);
      case 'SQLValueFunction': {
        const op = String(n.op);
        if (!REDSHIFT_VALUE_FUNCTIONS[op]) {
          this.report(
            'VG402',
            `${op.replace('SVFOP_', '')} is not on the Redshift allow-list (leader-node-only or unsupported)`,
          );
        } else {
          this.used.valueFunctions.add(op);
        }
        return;
      }
      case 'TypeName':
        return this.typeName(n);
      case 'A_Expr':
        return this.aExpr(n);
      case 'A_Const':
        if (n.bsval) this.unsupported("bit-string literal B''/X''");
        return;
      case 'SubLink': {
        if (n.subLinkType === 'ARRAY_SUBLINK') this.unsupported('ARRAY(subquery)');
        // Quantified comparisons: Redshift supports only `= ANY|SOME (subquery)` (IN) and `<> ALL (subquery)`
        // (NOT IN); https://docs.aws.amazon.com/redshift/latest/dg/r_comparison_condition.html
        const op = ((n.operName as Json[] | undefined) ?? [])
          .map((p) => String((p.String as Json)?.sval ?? ''))
          .join('.');
        if (n.subLinkType === 'ANY_SUBLINK' && op !== '' && op !== '=') this.unsupported(`${op} ANY/SOME (subquery)`);
        if (n.subLinkType === 'ALL_SUBLINK' && op !== '<>') this.unsupported(`${op} ALL (subquery)`);
        return;
      }
      case 'RangeSubselect':
        // The FROM clause's table_reference forms have no LATERAL:
        // https://docs.aws.amazon.com/redshift/latest/dg/r_FROM_clause30.html
        if (n.lateral) this.unsupported('LATERAL');
        return;
      case 'CommonTableExpr':
        if (n.ctematerialized && n.ctematerialized !== 'CTEMaterializeDefault')
          this.unsupported('CTE [NOT] MATERIALIZED');
        if (n.search_clause || n.cycle_clause) this.unsupported('CTE SEARCH/CYCLE');
        return;
      default:
        return this.statementShape(kind, n);
    }
  }

  /** Statement-level shapes: clauses and options of the statements Redshift does not have. */
  private statementShape(kind: string, n: Json): void {
    switch (kind) {
      case 'SelectStmt':
        // The SELECT synopsis has no locking clause and no DISTINCT ON:
        // https://docs.aws.amazon.com/redshift/latest/dg/r_SELECT_synopsis.html
        if (n.lockingClause) this.unsupported('SELECT … FOR UPDATE/SHARE');
        if (Array.isArray(n.distinctClause) && n.distinctClause.some((d) => d && Object.keys(d as Json).length > 0)) {
          this.unsupported('DISTINCT ON');
        }
        return;
      case 'InsertStmt':
        if (n.onConflictClause) this.unsupported('INSERT … ON CONFLICT');
        if (n.returningClause || n.returningList) this.unsupported('RETURNING');
        return;
      case 'UpdateStmt':
      case 'DeleteStmt':
        if (n.returningClause || n.returningList) this.unsupported('RETURNING');
        return;
      case 'ViewStmt':
        // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_VIEW.html — no WITH (options), no CHECK OPTION.
        for (const o of (n.options as Json[] | undefined) ?? []) {
          this.unsupported(`view option ${String(((o.DefElem as Json) ?? {}).defname)}`);
        }
        if (n.withCheckOption && n.withCheckOption !== 'NO_CHECK_OPTION') this.unsupported('WITH CHECK OPTION');
        for (const problem of viewBindingProblems(n, this.lateBinding)) this.report('VG403', problem);
        return;
      case 'CreateStmt':
        if (n.relation && (n.relation as Json).relpersistence === 'u') this.unsupported('UNLOGGED tables');
        if (n.inhRelations) this.unsupported('INHERITS');
        if (n.partspec || n.partbound) this.unsupported('declarative partitioning');
        if (n.options) this.unsupported('table storage options WITH (…)');
        if (n.tablespacename) this.unsupported('TABLESPACE');
        return;
      case 'Constraint': {
        const t = String(n.contype);
        if (
          ![
            'CONSTR_NULL',
            'CONSTR_NOTNULL',
            'CONSTR_DEFAULT',
            'CONSTR_PRIMARY',
            'CONSTR_UNIQUE',
            'CONSTR_FOREIGN',
          ].includes(t)
        ) {
          this.unsupported(`constraint ${t.replace('CONSTR_', '')}`);
        }
        return;
      }
      case 'LockStmt':
        // LOCK [TABLE] name [, ...] only; the spelling is checked on the tokens (lintText, lockProblems).
        return;
      case 'GrantStmt':
        if (n.objtype === 'OBJECT_LANGUAGE') {
          const { unsupported, refused } = languageGrantProblems(n);
          for (const u of unsupported) this.unsupported(`GRANT … ON LANGUAGE: ${u}`);
          for (const r of refused) this.report('VG407', r);
        }
        return;
      case 'CreateRoleStmt':
      case 'AlterRoleStmt':
        for (const problem of roleProblems(kind, n)) this.unsupported(problem);
        return;
      case 'CreateFunctionStmt':
        return this.createFunction(n);
      case 'CallStmt':
        return; // its FuncCall is visited by walk()
      case 'TransactionStmt':
        if (
          n.kind === 'TRANS_STMT_SAVEPOINT' ||
          n.kind === 'TRANS_STMT_RELEASE' ||
          n.kind === 'TRANS_STMT_ROLLBACK_TO'
        ) {
          this.unsupported('savepoints');
        }
        if (String(n.kind).includes('PREPARE')) this.unsupported('two-phase commit');
        return;
      default:
        return;
    }
  }

  private funcCall(n: Json): void {
    const parts = ((n.funcname as Json[]) ?? []).map((p) => String((p.String as Json)?.sval ?? ''));
    const name = parts[parts.length - 1]!.toLowerCase();
    const schema = parts.length > 1 ? parts[parts.length - 2]! : undefined;
    if (schema && this.ownSchemas.includes(schema)) return;
    // SQL-syntax forms (TRIM, POSITION, SUBSTRING, EXTRACT) are reported under pg_catalog.
    const viaSyntax = schema === 'pg_catalog' && n.funcformat === 'COERCE_SQL_SYNTAX';
    if (schema && !viaSyntax) {
      this.report('VG402', `function ${parts.join('.')} is not on the Redshift allow-list`);
      return;
    }
    const entry = REDSHIFT_FUNCTIONS[name];
    if (!entry) {
      this.report('VG402', `function ${name} is not on the Redshift allow-list`);
      return;
    }
    this.used.functions.add(name);
    for (const problem of argumentProblems(name, (n.args as Json[] | undefined) ?? [])) this.report('VG406', problem);
    if ((n.over || n.agg_within_group || n.agg_star || n.agg_distinct) && !entry.aggregate) {
      this.unsupported(`${name} used as an aggregate/window function`);
    }
    if (n.agg_filter) this.unsupported('aggregate FILTER (WHERE …)');
    if (n.func_variadic) this.unsupported('VARIADIC');
  }

  typeName(n: Json): void {
    const names = ((n.names as Json[]) ?? []).map((p) => String((p.String as Json)?.sval ?? ''));
    const name = names[names.length - 1]!.toLowerCase();
    const schema = names.length > 1 ? names[0] : undefined;
    if (n.arrayBounds) this.unsupported('array types');
    if (n.setof) this.unsupported('SETOF');
    if (schema && schema !== 'pg_catalog') this.unsupported(`type ${names.join('.')}`);
    else if (!REDSHIFT_TYPES.has(name)) this.unsupported(`type ${name}`);
  }

  private aExpr(n: Json): void {
    const kind = String(n.kind);
    const op = ((n.name as Json[]) ?? []).map((p) => String((p.String as Json)?.sval ?? '')).join('.');
    switch (kind) {
      case 'AEXPR_OP':
      case 'AEXPR_LIKE':
      case 'AEXPR_ILIKE':
      case 'AEXPR_SIMILAR':
        if (n.lexpr === undefined) {
          if (!REDSHIFT_PREFIX_OPERATORS.has(op)) this.unsupported(`prefix operator ${op}`);
        } else if (!REDSHIFT_OPERATORS.has(op)) {
          this.unsupported(`operator ${op}`);
        }
        return;
      case 'AEXPR_NULLIF':
      case 'AEXPR_IN':
      case 'AEXPR_BETWEEN':
      case 'AEXPR_NOT_BETWEEN':
        return;
      case 'AEXPR_OP_ANY':
      case 'AEXPR_OP_ALL':
        this.unsupported(`${op} ANY/ALL (array)`);
        return;
      case 'AEXPR_DISTINCT':
      case 'AEXPR_NOT_DISTINCT':
        // Listed as unsupported: https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html
        this.unsupported('IS [NOT] DISTINCT FROM');
        return;
      default:
        this.unsupported(`expression ${kind}`);
    }
  }

  private createFunction(n: Json): void {
    const options = ((n.options as Json[]) ?? []).map((o) => o.DefElem as Json);
    const opt = (name: string): Json | undefined => options.find((o) => o.defname === name);
    const language = String(((opt('language')?.arg as Json)?.String as Json)?.sval ?? '').toLowerCase();
    const isProcedure = n.is_procedure === true;
    if (isProcedure) {
      // https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_PROCEDURE.html
      if (language !== 'plpgsql') this.unsupported(`procedure language ${language || '(none)'}`);
      for (const o of options) {
        if (!['language', 'as', 'security', 'set'].includes(String(o.defname)))
          this.unsupported(`procedure option ${String(o.defname)}`);
      }
      // Redshift converts TEXT to VARCHAR(256) (r_Character_types.html, "TEXT and BPCHAR types"): a procedure
      // argument declared TEXT would cut what it is given (a view's text for run_pinned) at 256 bytes.
      for (const p of (n.parameters as Json[] | undefined) ?? []) {
        const names = (((p.FunctionParameter as Json).argType as Json)?.names as Json[] | undefined) ?? [];
        const type = String((names.at(-1)?.String as Json | undefined)?.sval ?? '');
        if (type === 'text') this.unsupported('a TEXT procedure argument (VARCHAR(256) on Redshift)');
      }
      return;
    }
    // Scalar SQL UDFs: https://docs.aws.amazon.com/redshift/latest/dg/udf-creating-a-scalar-sql-udf.html
    if (language !== 'sql') this.unsupported(`function language ${language || '(none)'} (SQL UDFs only)`);
    for (const o of options) {
      if (!['language', 'as', 'volatility'].includes(String(o.defname)))
        this.unsupported(`function option ${String(o.defname).toUpperCase()}`);
    }
    for (const p of (n.parameters as Json[] | undefined) ?? []) {
      const fp = p.FunctionParameter as Json;
      if (fp.name) this.unsupported('named arguments in a SQL UDF (use $1, $2, …)');
      if (fp.mode && fp.mode !== 'FUNC_PARAM_DEFAULT' && fp.mode !== 'FUNC_PARAM_IN')
        this.unsupported('OUT arguments in a function');
      if (fp.defexpr) this.unsupported('argument defaults');
    }
    if (n.sql_body) this.unsupported('SQL-standard function body (BEGIN ATOMIC / RETURN)');
  }
}

/** Lint one statement (as text, with `:name` parameters allowed). */
export function lintRedshift(sql: string, options: LintOptions = {}): Diagnostic[] {
  return run(sql, options).diagnostics;
}

/**
 * The allow-list entries a statement relies on (procedure and UDF bodies included), for tests that require
 * every function in generated SQL to cite a page that was actually read (`checked: true`).
 */
export function redshiftAllowListUse(sql: string, options: LintOptions = {}): AllowListUse {
  return run(sql, options).used;
}

function run(sql: string, options: LintOptions): { diagnostics: Diagnostic[]; used: AllowListUse } {
  const where = sql.length > 160 ? `${sql.slice(0, 160)}…` : sql;
  const bytes = Buffer.byteLength(sql, 'utf8');
  const diags: Diagnostic[] = [];
  if (bytes > MAX_STATEMENT_BYTES) {
    diags.push(
      diagnostic(
        'VG404',
        `statement is ${bytes} bytes; the Data API takes at most ${MAX_STATEMENT_BYTES}`,
        [],
        'error',
        where,
      ),
    );
  }
  const { sql: normalised, applied } = normaliseRedshift(sql);
  const linter = new Linter(options.ownSchemas ?? DEFAULT_OWN_SCHEMAS, where, applied.includes('no-schema-binding'));
  lintText(normalised, linter, true, diags, where);
  return { diagnostics: [...diags, ...linter.diags], used: linter.used };
}

function lintText(sql: string, linter: Linter, top: boolean, diags: Diagnostic[], where: string): void {
  let tree;
  try {
    tree = parseSync(sql);
  } catch (error) {
    diags.push(diagnostic('VG401', `statement does not parse: ${(error as Error).message}`, [], 'error', where));
    return;
  }
  const stmts = tree.stmts ?? [];
  if (top && stmts.length !== 1) {
    linter.unsupported(`${stmts.length} statements in one Data API statement`);
  }
  const tokens = lintLiterals(sql, linter);
  for (const s of stmts) {
    const stmt = s.stmt as unknown as Json;
    linter.statement(stmt, top);
    if (stmt.LockStmt) for (const problem of lockProblems(stmt.LockStmt as Json, tokens)) linter.unsupported(problem);
    // https://docs.aws.amazon.com/redshift/latest/dg/r_Boolean_type.html
    if (booleanTestsOutsideWhere(stmt) > 0) linter.unsupported('IS TRUE/FALSE/UNKNOWN outside a WHERE clause');
    const fn = (stmt as Json).CreateFunctionStmt as Json | undefined;
    if (fn) lintFunctionBody(sql, fn, linter, diags, where);
  }
}

/**
 * E'' and U&'' strings exist only in PostgreSQL; the parse tree no longer shows them, the scanner does.
 * Returns the statement's token texts (other spelling checks need them).
 */
function lintLiterals(sql: string, linter: Linter): string[] {
  let tokens;
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return [];
  }
  for (const t of tokens) {
    if (t.tokenName === 'SCONST' && /^[eE]'/.test(t.text)) linter.unsupported("escape string E''");
    if (/^[uU]&['"]/.test(t.text)) linter.unsupported("Unicode escape string U&''");
  }
  return tokens.map((t) => t.text);
}

function lintFunctionBody(sql: string, fn: Json, linter: Linter, diags: Diagnostic[], where: string): void {
  const options = ((fn.options as Json[]) ?? []).map((o) => o.DefElem as Json);
  const language = String(
    ((options.find((o) => o.defname === 'language')?.arg as Json)?.String as Json)?.sval ?? '',
  ).toLowerCase();
  const as = options.find((o) => o.defname === 'as');
  const body = String(
    (((as?.arg as Json)?.List as Json)?.items as Json[] | undefined)?.[0]?.String
      ? ((((as!.arg as Json).List as Json).items as Json[])[0]!.String as Json).sval
      : '',
  );
  if (language === 'sql') {
    // A Redshift scalar SQL UDF is one SELECT with no FROM (it cannot read a table).
    let tree;
    try {
      tree = parseSync(body);
    } catch (error) {
      diags.push(diagnostic('VG401', `SQL UDF body does not parse: ${(error as Error).message}`, [], 'error', where));
      return;
    }
    const stmts = tree.stmts ?? [];
    const select =
      stmts.length === 1 ? ((stmts[0]!.stmt as unknown as Json).SelectStmt as Json | undefined) : undefined;
    if (!select) linter.unsupported('a SQL UDF body other than one SELECT');
    else if (select.fromClause) linter.unsupported('FROM in a SQL UDF body');
    lintText(body, linter, false, diags, where);
    return;
  }
  if (language !== 'plpgsql') return;
  let tree: Json;
  try {
    tree = parsePlPgSQLSync(sql) as unknown as Json;
  } catch (error) {
    diags.push(diagnostic('VG401', `procedure body does not parse: ${(error as Error).message}`, [], 'error', where));
    return;
  }
  walkPlpgsql(tree, linter, diags, where);
}

const PLPGSQL_STATEMENTS = new Set([
  'PLpgSQL_stmt_block',
  'PLpgSQL_stmt_assign',
  'PLpgSQL_stmt_if',
  'PLpgSQL_stmt_case',
  'PLpgSQL_stmt_loop',
  'PLpgSQL_stmt_while',
  'PLpgSQL_stmt_fori',
  'PLpgSQL_stmt_fors',
  'PLpgSQL_stmt_dynfors',
  'PLpgSQL_stmt_exit',
  'PLpgSQL_stmt_return',
  'PLpgSQL_stmt_raise',
  'PLpgSQL_stmt_execsql',
  'PLpgSQL_stmt_dynexecute',
  'PLpgSQL_stmt_perform',
  'PLpgSQL_stmt_getdiag',
  'PLpgSQL_stmt_open',
  'PLpgSQL_stmt_fetch',
  'PLpgSQL_stmt_close',
  'PLpgSQL_stmt_commit',
  'PLpgSQL_stmt_rollback',
  'PLpgSQL_stmt_call',
]);

// Supported PL/pgSQL statements: https://docs.aws.amazon.com/redshift/latest/dg/c_PLpgSQL-statements.html
// Trapping errors (only WHEN OTHERS):
// https://docs.aws.amazon.com/redshift/latest/dg/stored-procedure-trapping-errors.html
function walkPlpgsql(value: unknown, linter: Linter, diags: Diagnostic[], where: string): void {
  if (Array.isArray(value)) {
    for (const v of value) walkPlpgsql(v, linter, diags, where);
    return;
  }
  if (!value || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Json)) {
    const n = child as Json;
    if (key.startsWith('PLpgSQL_stmt_') && !PLPGSQL_STATEMENTS.has(key)) {
      linter.unsupported(`PL/pgSQL ${key.replace('PLpgSQL_stmt_', '').toUpperCase()}`);
    }
    if (key === 'PLpgSQL_stmt_raise') {
      if (n.options) linter.unsupported('RAISE … USING');
      if (n.condname) linter.unsupported('RAISE <condition name>');
    }
    if (key === 'PLpgSQL_condition' && String(n.condname).toLowerCase() !== 'others') {
      linter.unsupported(`EXCEPTION WHEN ${String(n.condname)} (only WHEN OTHERS)`);
    }
    if (key === 'PLpgSQL_expr') {
      lintEmbedded(String(n.query ?? ''), Number(n.parseMode ?? 0), linter, diags, where);
      continue;
    }
    walkPlpgsql(child, linter, diags, where);
  }
}

function lintEmbedded(query: string, parseMode: number, linter: Linter, diags: Diagnostic[], where: string): void {
  // parseMode 0: a whole statement; 2: an expression; 3-5: an assignment `target := expression`.
  let sql = query;
  if (parseMode === 2) sql = `SELECT ${query}`;
  else if (parseMode >= 3) sql = `SELECT ${query.replace(/^[^:=]*(:=|=)/, '')}`;
  lintText(sql, linter, false, diags, where);
}
