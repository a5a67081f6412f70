// What "nothing was lost and per-object order held" means, checked on the engine after a faulty run:
//   1. every object's state row holds its LATEST version (and tombstone) — the oracle is the list of versions
//      the test sent, not what the pipeline did;
//   2. the versions committed for each object (the audit trigger, fault-harness.ts) strictly increase:
//      no older version was ever applied after a newer one;
//   3. every live data source's view is what compile(latest data source, latest live policies) gives: the
//      oracle compiles it (same dialect as the Lambda) into a scratch schema on the same engine and the two
//      definitions (pg_get_viewdef) must match, and each given role reads the same rows from both.
import { expect } from 'vitest';
import type { LocalWarehouse } from '../../../infra/local/local-warehouse.js';
import { compileView } from '../../../shared/compiler/view-compiler.js';
import type { IntegrationConfig } from '../../../shared/layout/integration-config.js';
import type { DataSource } from '../../../shared/policy/data-source.js';
import type { Policy } from '../../../shared/policy/policy.js';
import { postgres as pg } from '../../../shared/sql/postgres-dialect.js';
import { redshift } from '../../../shared/sql/redshift-dialect.js';
import { stmt } from '../../../shared/sql/statement.js';

type Kind = 'datasource' | 'policy' | 'user';

/** What the test sent, per object: each version with its state (null = deleted). */
export class SentHistory {
  readonly dataSources = new Map<string, Map<number, DataSource | null>>();
  readonly policies = new Map<string, Map<number, Policy | null>>();
  readonly users = new Map<string, Map<number, boolean>>();

  dataSource(id: string, version: number, ds: DataSource | null): void {
    this.at(this.dataSources, id).set(version, ds);
  }
  policy(id: string, version: number, p: Policy | null): void {
    this.at(this.policies, id).set(version, p);
  }
  user(id: string, version: number, deleted = false): void {
    this.at(this.users, id).set(version, deleted);
  }

  latest<T>(versions: Map<number, T>): { version: number; state: T } {
    const version = Math.max(...versions.keys());
    return { version, state: versions.get(version)! };
  }

  private at<T>(m: Map<string, Map<number, T>>, id: string): Map<number, T> {
    let v = m.get(id);
    if (!v) m.set(id, (v = new Map()));
    return v;
  }
}

const admin = (wh: LocalWarehouse, sql: string, params?: Record<string, string>) =>
  wh.queryAs!(null, stmt(sql, undefined, params));

/** The committed versions of one object, in commit order. */
export async function appliedVersions(wh: LocalWarehouse, kind: Kind, id: string): Promise<number[]> {
  const rows = await admin(
    wh,
    'SELECT version FROM faults_audit.applied WHERE kind = :kind AND id = :id ORDER BY seq',
    { kind, id },
  );
  return rows.map((r) => Number(r.version));
}

let oracleRuns = 0;

/** Asserts 1–3 above; `readers` are roles that read every live view through both definitions. */
export async function expectConverged(
  wh: LocalWarehouse,
  config: IntegrationConfig,
  sent: SentHistory,
  readers: string[] = [],
): Promise<void> {
  const increasing = (v: number[]) => v.every((x, i) => i === 0 || x > v[i - 1]!);
  for (const [kind, table, key, objects] of [
    ['datasource', 'datasource_state', 'datasource_id', sent.dataSources],
    ['policy', 'policy_state', 'policy_id', sent.policies],
  ] as const) {
    for (const [id, versions] of objects) {
      const { version, state } = sent.latest(versions as Map<number, unknown>);
      const rows = await admin(wh, `SELECT version, deleted FROM immuta_system.${table} WHERE ${key} = :id`, { id });
      expect(
        rows.map((r) => [Number(r.version), r.deleted]),
        `${kind} ${id}: latest state stored`,
      ).toEqual([[version, state === null]]);
      const applied = await appliedVersions(wh, kind, id);
      expect(increasing(applied), `${kind} ${id}: committed versions ${applied.join(' → ')} must increase`).toBe(true);
      expect(applied.at(-1), `${kind} ${id}: the last committed version is the latest`).toBe(version);
    }
  }
  for (const [id, versions] of sent.users) {
    const { version, state: deleted } = sent.latest(versions);
    const rows = await admin(wh, 'SELECT version, deleted FROM immuta_system.profile WHERE immuta__userid = :id', {
      id,
    });
    expect(
      rows.map((r) => [Number(r.version), r.deleted]),
      `user ${id}: latest profile stored`,
    ).toEqual([[version, deleted]]);
    const applied = await appliedVersions(wh, 'user', id);
    expect(increasing(applied), `user ${id}: committed versions ${applied.join(' → ')} must increase`).toBe(true);
  }

  // Views against a compile of the latest states, in the Lambda's dialect, on the same engine.
  const livePolicies = [...sent.policies.values()]
    .map((v) => sent.latest(v).state)
    .filter((p): p is Policy => p !== null);
  const schema = `oracle_${++oracleRuns}_${process.pid}`;
  await wh.admin([
    stmt(`CREATE SCHEMA ${pg.quoteIdent(schema)} AUTHORIZATION ${pg.quoteIdent(config.systemUser)}`),
    stmt(`GRANT USAGE ON SCHEMA ${pg.quoteIdent(schema)} TO PUBLIC`),
  ]);
  const existing = new Set(
    (
      await admin(
        wh,
        'SELECT c.relname FROM pg_class c ' +
          'JOIN pg_namespace n ON n.oid = ' +
          'c.relnamespace WHERE n.nspname = ' +
          ":s AND c.relkind = 'v'",
        { s: config.viewSchema },
      )
    ).map((r) => String(r.relname)),
  );
  for (const [id, versions] of sent.dataSources) {
    const { state: ds } = sent.latest(versions);
    const everyName = new Set([...versions.values()].filter((d): d is DataSource => d !== null).map((d) => d.name));
    if (ds === null) {
      expect(
        [...everyName].filter((n) => existing.has(n)),
        `no view left for deleted ${id}`,
      ).toEqual([]);
      continue;
    }
    expect(
      [...everyName].filter((n) => existing.has(n)),
      `exactly the latest name of ${id} has a view`,
    ).toEqual([ds.name]);
    const compiled = compileView(ds, livePolicies, { ...config, viewSchema: schema }, redshift, null);
    await wh.system.transaction(compiled.statements);
    const defs = await admin(
      wh,
      `SELECT pg_get_viewdef(${pg.quoteLiteral(pg.qualify(config.viewSchema, ds.name))}::regclass) AS actual, ` +
        `pg_get_viewdef(${pg.quoteLiteral(pg.qualify(schema, ds.name))}::regclass) AS expected`,
    );
    expect(defs[0]!.actual, `view of ${id}`).toBe(defs[0]!.expected);
    for (const role of readers) {
      const order = ds.columns.map((_, i) => i + 1).join(', ');
      const read = (s: string) => wh.queryAs!(role, stmt(`SELECT * FROM ${pg.qualify(s, ds.name)} ORDER BY ${order}`));
      expect(await read(config.viewSchema), `${role} reads ${ds.name}`).toEqual(await read(schema));
    }
  }
}
