// Lints every statement the project generates for Redshift: the bootstrap plan (shared/layout, helper E1),
// the routines it creates, and the views compiled for a corpus of policies (shared/compiler, helper E2).
// Any lint diagnostic fails the suite, with the statement and the finding in the message.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintRedshift } from '../../shared/lint/redshift-lint.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import type { SqlStatement } from '../../shared/sql/statement.js';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { parseDataSource, parsePolicy } from '../../shared/policy/validate.js';
import type { DataSource } from '../../shared/policy/data-source.js';
import type { Policy } from '../../shared/policy/policy.js';

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));

function expectClean(label: string, statements: readonly SqlStatement[]): void {
  expect(statements.length, `${label}: generated nothing`).toBeGreaterThan(0);
  const findings = statements.flatMap((s, i) =>
    lintRedshift(s.sql).map((d) => `#${i} ${d.code} ${d.summary}\n    in: ${s.sql.slice(0, 300)}`),
  );
  expect(findings, `${label}:\n${findings.join('\n')}`).toEqual([]);
}

const mustParse = <T>(r: { ok: true; value: T } | { ok: false; diagnostics: unknown[] }): T => {
  if (!r.ok) throw new Error(`fixture does not validate: ${JSON.stringify(r.diagnostics)}`);
  return r.value;
};

// Corpus: the documented example data sources and policies, plus variants that exercise other compiler paths.
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
const mask = mustParse(parsePolicy(EVENT_EXAMPLES['policy.created'].data.policy)) as Policy;
const rowFilter = mustParse(parsePolicy(EVENT_EXAMPLES['policy.updated'].data.policy)) as Policy;
const policySets: [string, Policy[]][] = [
  ['no policies', []],
  ['mask', [mask]],
  ['row filter', [rowFilter]],
  ['mask + row filter', [mask, rowFilter]],
];

const compilerPath = here('../../shared/compiler/view-compiler.ts');
const bootstrapPath = here('../../shared/layout/bootstrap-plan.ts');
const routinesPath = here('../../shared/layout/routine-definitions.ts');

describe('every generated Redshift statement passes the Redshift lint', () => {
  describe.runIf(existsSync(compilerPath))('compiled views', () => {
    const config = { mode: 'single' as const, database: 'sales', viewSchema: 'governed' };
    for (const ds of [orders, external, awkward]) {
      for (const [label, policies] of policySets) {
        it(`${ds.name} with ${label}`, async () => {
          const { compileView } = await import('../../shared/compiler/view-compiler.js');
          const compiled = compileView(ds, policies, config as never, redshift);
          expectClean(`${ds.name} / ${label}`, compiled.statements);
          // The replace-in-place path (same signature) emits different DDL: lint it too.
          const again = compileView(ds, policies, config as never, redshift, compiled.signature);
          expectClean(`${ds.name} / ${label} (replace)`, again.statements);
        });
      }
    }
  });

  describe.runIf(existsSync(routinesPath))('functions and procedures', () => {
    it('every routine the bootstrap creates', async () => {
      const { procedureDefinitions, functionDefinitions } = await import('../../shared/layout/routine-definitions.js');
      expectClean('routines', [...functionDefinitions(redshift), ...procedureDefinitions(redshift)].map((r) => r.create));
    });
  });

  describe.runIf(existsSync(bootstrapPath))('bootstrap plan', () => {
    const configs = [
      { mode: 'single', database: 'sales', viewSchema: 'governed', systemUser: 'immuta_system_user', rawSources: [{ database: 'sales', schema: 'public' }] },
      { mode: 'multi', database: 'immuta', viewSchema: 'governed', systemUser: 'immuta_system_user', rawSources: [{ database: 'sales', schema: 'public' }, { database: 'hr', schema: 'people' }] },
    ] as const;
    for (const config of configs) {
      for (const fresh of [true, false]) {
        it(`${config.mode}-database, ${fresh ? 'nothing exists yet' : 'everything exists'}`, async () => {
          const { planBootstrap, inspectStatement, bootstrapScript } = await import('../../shared/layout/bootstrap-plan.js');
          const schemas = ['immuta_system', 'immuta_functions', 'immuta_procedures', config.viewSchema];
          const inspected = fresh
            ? { systemRoleExists: false, schemaOwners: new Map<string, string | null>() }
            : { systemRoleExists: true, schemaOwners: new Map<string, string | null>(schemas.map((s) => [s, config.systemUser])) };
          const cfg = { ...config, rawSources: [...config.rawSources] } as never;
          const steps = planBootstrap(cfg, redshift, inspected, { hashKey: 'not-in-sql-text' });
          expectClean('inspection', [inspectStatement(cfg, redshift)]);
          expectClean('bootstrap steps', steps.map((s) => s.statement));
          expectClean('bootstrap script', bootstrapScript(steps, cfg, redshift));
          // The key is bound, never spliced into the text.
          expect(steps.some((s) => s.statement.sql.includes('not-in-sql-text'))).toBe(false);
        });
      }
    }
  });
});
