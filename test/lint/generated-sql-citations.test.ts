// Every function, built-in expression and SQL value function that SQL generated for Redshift relies on has an
// allow-list entry whose AWS page was actually read (`checked: true`), so an unverified citation can never carry
// generated SQL. The corpus is test/lint/generated-redshift-sql.ts (bootstrap, routines, layout statements,
// compiled views for the example and policy-breadth policies, custom WHERE functions).
import { describe, expect, it } from 'vitest';
import { redshiftAllowListUse, type AllowListUse } from '../support/lint/redshift-lint.js';
import {
  REDSHIFT_EXPRESSIONS,
  REDSHIFT_FUNCTIONS,
  REDSHIFT_VALUE_FUNCTIONS,
  type AllowedFunction,
} from '../support/lint/redshift-function-allow-list.js';
import { allGeneratedRedshiftSql } from './generated-redshift-sql.js';

interface AllowLists {
  functions: Readonly<Record<string, AllowedFunction>>;
  expressions: Readonly<Record<string, AllowedFunction>>;
  valueFunctions: Readonly<Record<string, AllowedFunction>>;
}

const REAL_LISTS: AllowLists = {
  functions: REDSHIFT_FUNCTIONS,
  expressions: REDSHIFT_EXPRESSIONS,
  valueFunctions: REDSHIFT_VALUE_FUNCTIONS,
};
const PAGE = /^https:\/\/docs\.aws\.amazon\.com\/redshift\/latest\/dg\/[A-Za-z0-9_-]+\.html$/;

/** Entries used (name → where first seen) that lack a checked citation in `lists`. */
function uncited(used: Map<string, string>, kind: keyof AllowLists, lists: AllowLists): string[] {
  const out: string[] = [];
  for (const [name, where] of used) {
    const entry = lists[kind][name];
    if (!entry) out.push(`${kind} ${name} (in ${where}): no allow-list entry`);
    else if (!entry.checked) out.push(`${kind} ${name} (in ${where}): ${entry.url} was never opened (checked: false)`);
    else if (!PAGE.test(entry.url))
      out.push(`${kind} ${name} (in ${where}): ${entry.url} is not a Redshift reference page`);
  }
  return out;
}

function collect(): Record<keyof AllowListUse, Map<string, string>> {
  const used = {
    functions: new Map<string, string>(),
    expressions: new Map<string, string>(),
    valueFunctions: new Map<string, string>(),
  };
  for (const group of allGeneratedRedshiftSql()) {
    for (const s of group.statements) {
      const u = redshiftAllowListUse(s.sql);
      for (const kind of ['functions', 'expressions', 'valueFunctions'] as const) {
        for (const name of u[kind]) if (!used[kind].has(name)) used[kind].set(name, group.label);
      }
    }
  }
  return used;
}

describe('citations behind generated Redshift SQL', () => {
  const used = collect();

  it('every function, expression and value function in generated SQL cites a page that was read', () => {
    // The corpus really exercises the lists (a collector that found nothing would make the check vacuous).
    expect(used.functions.size).toBeGreaterThan(0);
    expect(used.expressions.size).toBeGreaterThan(0);
    expect(used.valueFunctions.size).toBeGreaterThan(0);
    const problems = (['functions', 'expressions', 'valueFunctions'] as const).flatMap((k) =>
      uncited(used[k], k, REAL_LISTS),
    );
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('control: an entry generated SQL uses, marked unchecked, is reported', () => {
    const [name] = [...used.functions.keys()];
    const lists: AllowLists = {
      ...REAL_LISTS,
      functions: { ...REDSHIFT_FUNCTIONS, [name!]: { ...REDSHIFT_FUNCTIONS[name!]!, checked: false } },
    };
    expect(uncited(used.functions, 'functions', lists)).toEqual([expect.stringContaining(`functions ${name} `)]);
    const [expr] = [...used.expressions.keys()];
    const noExpr: AllowLists = {
      ...REAL_LISTS,
      expressions: Object.fromEntries(Object.entries(REDSHIFT_EXPRESSIONS).filter(([k]) => k !== expr)),
    };
    expect(uncited(used.expressions, 'expressions', noExpr)).toEqual([expect.stringContaining('no allow-list entry')]);
  });
});

describe('redshiftAllowListUse', () => {
  it(
    'reports functions, expressions and value functions, ' + 'including those inside a procedure body and a SQL UDF',
    () => {
      const proc = `CREATE PROCEDURE immuta_procedures.p(a VARCHAR) AS $$
DECLARE t TIMESTAMP;
BEGIN
  t := GETDATE();
  UPDATE immuta_system.x SET v = NVL2(a, LOWER(a), CASE WHEN a IS NULL THEN 'n' END) WHERE u = current_user;
END $$ LANGUAGE plpgsql`;
      const u = redshiftAllowListUse(proc);
      expect([...u.functions].sort()).toEqual(['getdate', 'lower', 'nvl2']);
      expect([...u.expressions].sort()).toEqual(['CaseExpr']);
      expect([...u.valueFunctions]).toEqual(['SVFOP_CURRENT_USER']);
      const udf = redshiftAllowListUse(
        `CREATE FUNCTION immuta_functions.f(VARCHAR) RETURNS VARCHAR IMMUTABLE AS $$ SELECT COALESCE(UPPER($1), ` +
          `'') $$ LANGUAGE sql`,
      );
      expect([...udf.functions]).toEqual(['upper']);
      expect([...udf.expressions]).toEqual(['CoalesceExpr']);
    },
  );

  it('does not report our own routines or functions that are not on the allow-list', () => {
    const u = redshiftAllowListUse(`SELECT immuta_functions.f_list_item(a), pg_sleep(1), SHA2(b, 256) FROM t`);
    expect([...u.functions]).toEqual(['sha2']);
  });
});
