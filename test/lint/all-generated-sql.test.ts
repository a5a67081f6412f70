// Lints every statement the project generates for Redshift: the bootstrap plan (shared/layout, helper E1),
// the routines it creates, the layout's state/user/catalog statements, and the views compiled for a corpus of
// policies (shared/compiler, helper E2; corpus in generated-redshift-sql.ts). Any lint diagnostic fails the
// suite, with the statement and the finding in the message.
import { describe, expect, it } from 'vitest';
import { lintRedshift } from '../support/lint/redshift-lint.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { allGeneratedRedshiftSql, bootstrapConfigs, bootstrapGroups } from './generated-redshift-sql.js';

function expectClean(label: string, statements: readonly SqlStatement[]): void {
  expect(statements.length, `${label}: generated nothing`).toBeGreaterThan(0);
  const findings = statements.flatMap((s, i) =>
    lintRedshift(s.sql).map((d) => `#${i} ${d.code} ${d.summary}\n    in: ${s.sql.slice(0, 300)}`),
  );
  expect(findings, `${label}:\n${findings.join('\n')}`).toEqual([]);
}

describe('every generated Redshift statement passes the Redshift lint', () => {
  it.each(allGeneratedRedshiftSql().map((g) => [g.label, g] as const))('%s', (_label, group) => {
    expectClean(group.label, group.statements);
  });

  it.each(bootstrapConfigs.map((c) => [c.mode, c] as const))(
    '%s-database bootstrap binds the hashing key, never splices it',
    (_mode, config) => {
      for (const fresh of [true, false]) {
        const steps = bootstrapGroups(config, fresh).flatMap((g) => g.statements);
        expect(steps.some((s) => s.params && Object.values(s.params).includes('not-in-sql-text'))).toBe(true);
        expect(steps.some((s) => s.sql.includes('not-in-sql-text'))).toBe(false);
      }
    },
  );
});
