// Section e (1/2): views compiled per second in TypeScript (target: ≥10,000/s). compileView is what every
// data source and policy work item runs; the catalog parse that precedes it in the apply loop is measured
// separately by the policy-push section. Several passes, the median pass reported.
import { compileView } from '../shared/compiler/view-compiler.js';
import type { IntegrationConfig } from '../shared/layout/integration-config.js';
import { postgres } from '../shared/sql/postgres-dialect.js';
import { redshift } from '../shared/sql/redshift-dialect.js';
import { dataSource, standingPolicies } from './fixtures.js';
import { nowMs, round, summarize } from './stats.js';

export interface CompileResult {
  views: number;
  policies: number;
  passes: number;
  perDialect: Record<
    string,
    { viewsPerSecond: number; medianPassMs: number; statementsPerView: number; sqlBytesPerView: number }
  >;
}

export function benchCompile(views: number, passes: number): CompileResult {
  const config: Pick<IntegrationConfig, 'mode' | 'database' | 'viewSchema'> = {
    mode: 'single',
    database: 'dev',
    viewSchema: 'secure',
  };
  const sources = Array.from({ length: views }, (_, i) =>
    dataSource(i, { database: 'dev', schema: 'raw', table: `t${i % 10}` }),
  );
  const policies = standingPolicies();
  const perDialect: CompileResult['perDialect'] = {};
  for (const dialect of [postgres, redshift]) {
    let statements = 0;
    let bytes = 0;
    const times: number[] = [];
    // One warm-up pass so the JIT has seen the code; then measured passes.
    for (let pass = -1; pass < passes; pass++) {
      const t0 = nowMs();
      statements = 0;
      bytes = 0;
      for (const ds of sources) {
        const out = compileView(ds, policies, config, dialect, null);
        statements += out.statements.length;
        for (const s of out.statements) bytes += s.sql.length;
      }
      if (pass >= 0) times.push(nowMs() - t0);
    }
    const median = summarize(times).median;
    perDialect[dialect.name] = {
      viewsPerSecond: Math.round(views / (median / 1000)),
      medianPassMs: round(median, 1),
      statementsPerView: round(statements / views, 2),
      sqlBytesPerView: Math.round(bytes / views),
    };
  }
  return { views, policies: policies.length, passes, perDialect };
}
