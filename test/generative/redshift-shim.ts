// Executing the Redshift dialect on the PostgreSQL test server (docs/dialects.md, "Executing the Redshift
// dialect"): the compatibility schema (redshift-shim-functions.ts) plus a minimal, tree-level translation of
// what PostgreSQL cannot read as Redshift means it:
//   1. `… WITH NO SCHEMA BINDING` is dropped (the lint's normaliser: PostgreSQL views bind late enough here);
//   2. the statement is parsed with libpg-query and, at the byte locations the tree gives, every call of a
//      Redshift built-in the shim implements is routed to the shim schema (PostgreSQL's namesake would
//      otherwise win: `regexp_replace` with three arguments replaces only the first match there), a bare
//      date part (`DATEADD(day, …)`) becomes the string 'day', and SYSDATE (a bare word) becomes a call;
//      nothing else of the text changes;
//   3. it runs in a transaction with `standard_conforming_strings = off`, so a literal written Redshift's
//      way (`'a\\b'`, backslash doubled by the dialect's quoteLiteral) means what it means on Redshift.
import { loadModule, parseSync } from 'libpg-query';
import { normaliseRedshift } from '../support/lint/redshift-normalise.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import type { Engine, Session } from '../support/engines.js';
import { SHIM_FUNCTIONS, SHIM_SCHEMA } from './redshift-shim-functions.js';

await loadModule();

export interface ShimSession {
  /** The admin session the translated statements run on (inside `begin()`'s settings). */
  session: Session;
  /** Statements that open a Redshift-reading transaction on `session`. */
  begin: string[];
  translate(statement: SqlStatement): SqlStatement;
}

/** Functions whose first argument is a date part written as a bare word. */
const DATEPART_FIRST = new Set(['dateadd', 'datediff']);
/** Redshift functions written without parentheses. */
const BARE = new Set(['sysdate']);

type Json = Record<string, unknown>;

const routed = new Set(SHIM_FUNCTIONS.map((f) => f.name));
const sval = (n: Json | undefined): string | undefined => (n?.String as Json | undefined)?.sval as string | undefined;

interface Edit {
  /** Byte offset in the statement. */
  at: number;
  /** Bytes replaced. */
  length: number;
  text: string;
}

/** The edits the tree calls for: route calls to the shim, quote a bare date part, call SYSDATE. */
function edits(node: unknown, out: Edit[]): Edit[] {
  if (Array.isArray(node)) {
    node.forEach((n) => edits(n, out));
    return out;
  }
  if (node === null || typeof node !== 'object') return out;
  const o = node as Json;
  const ref = o.ColumnRef as { fields?: Json[]; location?: number } | undefined;
  const bare = ref?.fields?.length === 1 ? sval(ref.fields[0]) : undefined;
  if (bare !== undefined && BARE.has(bare.toLowerCase()))
    out.push({ at: ref!.location!, length: Buffer.byteLength(bare), text: `${SHIM_SCHEMA}.${bare.toLowerCase()}()` });
  const call = o.FuncCall as { funcname: Json[]; args?: Json[]; location: number } | undefined;
  if (call && call.funcname.length === 1) {
    const name = sval(call.funcname[0])!.toLowerCase();
    if (routed.has(name)) out.push({ at: call.location, length: 0, text: `${SHIM_SCHEMA}.` });
    const first = call.args?.[0]?.ColumnRef as { fields: Json[]; location: number } | undefined;
    if (DATEPART_FIRST.has(name) && first?.fields.length === 1) {
      const part = sval(first.fields[0])!;
      out.push({ at: first.location, length: Buffer.byteLength(part), text: `'${part}'` });
    }
  }
  Object.values(o).forEach((v) => edits(v, out));
  return out;
}

/**
 * The PostgreSQL text that means what the Redshift statement means, when read with standard_conforming_strings
 * off: the statement's own text with the edits spliced in at the parse tree's byte locations (literals and
 * everything else are left exactly as the dialect wrote them).
 */
export function translateRedshift(sql: string): string {
  const { sql: normalised } = normaliseRedshift(sql);
  const tree = parseSync(normalised);
  const bytes = Buffer.from(normalised, 'utf8');
  let out = '';
  let last = 0;
  for (const e of edits(tree, []).sort((a, b) => a.at - b.at)) {
    out += bytes.subarray(last, e.at).toString('utf8') + e.text;
    last = e.at + e.length;
  }
  return out + bytes.subarray(last).toString('utf8');
}

export async function installShim(engine: Engine): Promise<ShimSession> {
  await engine.exec([
    { sql: `CREATE SCHEMA ${SHIM_SCHEMA}` },
    ...SHIM_FUNCTIONS.flatMap((f) => f.create.map((sql) => ({ sql }))),
  ]);
  await engine.exec([
    { sql: `GRANT USAGE ON SCHEMA ${SHIM_SCHEMA} TO PUBLIC` },
    { sql: `GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${SHIM_SCHEMA} TO PUBLIC` },
  ]);
  return {
    session: engine.asAdmin,
    begin: ['SET LOCAL standard_conforming_strings = off', 'SET LOCAL escape_string_warning = off'],
    translate: (s) => ({ ...s, sql: translateRedshift(s.sql) }),
  };
}
