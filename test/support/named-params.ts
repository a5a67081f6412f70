// Rewrites the `:name` parameters of a SqlStatement (the Data API form) into PostgreSQL's `$n` form.
// A scanner, not a regex: `::type` casts and `:x` inside string literals, quoted identifiers, dollar-quoted
// bodies and comments are left alone, so a procedure body or a literal containing ':' is never rewritten.
import type { SqlParamValue, SqlStatement } from '../../shared/sql/statement.js';

export interface PositionalStatement {
  text: string;
  values: SqlParamValue[];
}

export function toPositional(statement: SqlStatement): PositionalStatement {
  const { sql } = statement;
  const params = statement.params ?? {};
  const order: string[] = [];
  let out = '';
  let i = 0;
  const copyUntil = (end: number): void => {
    out += sql.slice(i, end);
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      // Doubled quotes inside stay inside: scanning to the next quote and continuing handles '' and "".
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j++;
      copyUntil(Math.min(j + 1, sql.length));
    } else if (c === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      copyUntil(j < 0 ? sql.length : j);
    } else if (c === '/' && next === '*') {
      const j = sql.indexOf('*/', i + 2);
      copyUntil(j < 0 ? sql.length : j + 2);
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))![0];
      const j = sql.indexOf(tag, i + tag.length);
      copyUntil(j < 0 ? sql.length : j + tag.length);
    } else if (c === ':' && next === ':') {
      copyUntil(i + 2);
    } else if (c === ':' && /[A-Za-z_]/.test(next ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))![0];
      if (!Object.hasOwn(params, name)) throw new Error(`statement uses :${name} but no such parameter was given`);
      let index = order.indexOf(name);
      if (index < 0) index = order.push(name) - 1;
      out += `$${index + 1}`;
      i += 1 + name.length;
    } else {
      copyUntil(i + 1);
    }
  }
  const unused = Object.keys(params).filter((p) => !order.includes(p));
  if (unused.length > 0) throw new Error(`parameters given but not used: ${unused.join(', ')}`);
  return { text: out, values: order.map((n) => params[n] as SqlParamValue) };
}
