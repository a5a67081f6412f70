// One read gives everything a catalog work item compiles against: the epoch (checked again under a lock by
// the guard procedure), one data source's state (or all of them) and every policy state, tombstones
// included. Definitions come back as parsed JSON; their shape is validated by shared/policy.
import type { Dialect } from '../sql/dialect.js';
import { stmt, type SqlStatement } from '../sql/statement.js';
import { TABLES, columnTypes, systemTable } from './warehouse-objects.js';

export interface DataSourceStateRow {
  version: number;
  deleted: boolean;
  definition: unknown;
  viewSignature: string | null;
}

export interface PolicyStateRow {
  version: number;
  deleted: boolean;
  definition: unknown;
}

export interface CatalogSnapshot {
  epoch: number;
  dataSources: Map<string, DataSourceStateRow>;
  policies: Map<string, PolicyStateRow>;
}

/**
 * `datasourceIds` undefined = every data source; one id = that data source (`:datasource_id`); several ids =
 * those data sources in the same read (the group heads of a batch, apply-work-batch.ts), one bound parameter
 * each (`:datasource_id_1` …). An empty list is a caller bug: refused rather than read as "none" or "all".
 */
export function catalogReadStatement(dialect: Dialect, datasourceIds?: string | readonly string[]): SqlStatement {
  const t = columnTypes(dialect);
  // Typed NULLs so that the UNION's column types do not depend on the engine's guess for bare NULL.
  const nul = (type: string): string => `CAST(NULL AS ${type})`;
  const ids =
    datasourceIds === undefined || typeof datasourceIds === 'string' ? datasourceIds : [...new Set(datasourceIds)];
  if (Array.isArray(ids) && ids.length === 0) throw new Error('catalog read: an empty list of data source ids');
  // The ids are bound, never spliced: only the generated parameter names enter the text. IN (expr_list):
  // https://docs.aws.amazon.com/redshift/latest/dg/r_in_condition.html
  const names = Array.isArray(ids) ? ids.map((_, i) => `datasource_id_${i + 1}`) : [];
  const dsFilter =
    ids === undefined
      ? ''
      : typeof ids === 'string'
        ? ' WHERE datasource_id = :datasource_id'
        : ` WHERE datasource_id IN (${names.map((n) => `:${n}`).join(', ')})`;
  const sql = [
    `SELECT 'epoch' AS kind, ${nul(t.key)} AS id, epoch AS version, ${nul(t.boolean)} AS deleted, ${nul(t.text)} ` +
      `AS definition, ${nul(t.text)} AS view_signature`,
    `FROM ${systemTable(dialect, TABLES.catalogEpoch)}`,
    'UNION ALL',
    `SELECT 'datasource', datasource_id, version, deleted, definition, view_signature FROM ` +
      `${systemTable(dialect, TABLES.datasourceState)}${dsFilter}`,
    'UNION ALL',
    `SELECT 'policy', policy_id, version, deleted, definition, ${nul(t.text)} FROM ` +
      `${systemTable(dialect, TABLES.policyState)}`,
  ].join('\n');
  if (ids === undefined) return stmt(sql, 'catalog read: epoch, all data sources, all policies');
  if (typeof ids === 'string')
    return stmt(sql, `catalog read: epoch, data source ${ids}, all policies`, { datasource_id: ids });
  return stmt(
    sql,
    `catalog read: epoch, ${ids.length} data sources, all policies`,
    Object.fromEntries(ids.map((id, i) => [names[i]!, id])),
  );
}

/**
 * The part of a snapshot one item is planned from: the epoch, its own data source's row (if stored) and every
 * policy — what `catalogReadStatement(dialect, id)` returns, cut out of a read of several data sources.
 */
export function narrowSnapshot(snapshot: CatalogSnapshot, datasourceId: string): CatalogSnapshot {
  const row = snapshot.dataSources.get(datasourceId);
  return { epoch: snapshot.epoch, dataSources: new Map(row ? [[datasourceId, row]] : []), policies: snapshot.policies };
}

// Engines and drivers return BIGINT as number, bigint or string, and booleans as boolean or text.
function toInteger(v: unknown, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n))
    throw new Error(`catalog: ${what} is not an integer: ${String(v)}`);
  return n;
}

function toBoolean(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 't' || v === 'true') return true;
  if (v === 'f' || v === 'false') return false;
  throw new Error(`catalog: ${what} is not a boolean: ${String(v)}`);
}

function toJson(v: unknown, what: string): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new Error(`catalog: ${what} definition is not text`);
  try {
    return JSON.parse(v);
  } catch {
    throw new Error(`catalog: ${what} definition is not valid JSON`);
  }
}

export function parseCatalog(rows: readonly Record<string, unknown>[]): CatalogSnapshot {
  let epoch: number | undefined;
  const dataSources = new Map<string, DataSourceStateRow>();
  const policies = new Map<string, PolicyStateRow>();
  for (const row of rows) {
    const id = row.id == null ? '' : String(row.id);
    switch (row.kind) {
      case 'epoch':
        if (epoch !== undefined) throw new Error('catalog: more than one epoch row');
        epoch = toInteger(row.version, 'epoch');
        break;
      case 'datasource':
        dataSources.set(id, {
          version: toInteger(row.version, `data source ${id} version`),
          deleted: toBoolean(row.deleted, `data source ${id} deleted`),
          definition: toJson(row.definition, `data source ${id}`),
          viewSignature: row.view_signature == null ? null : String(row.view_signature),
        });
        break;
      case 'policy':
        policies.set(id, {
          version: toInteger(row.version, `policy ${id} version`),
          deleted: toBoolean(row.deleted, `policy ${id} deleted`),
          definition: toJson(row.definition, `policy ${id}`),
        });
        break;
      default:
        throw new Error(`catalog: unexpected row kind ${String(row.kind)}`);
    }
  }
  // No epoch row means the integration is not bootstrapped: fail rather than compile against epoch 0.
  if (epoch === undefined) throw new Error('catalog: no epoch row (is the integration bootstrapped?)');
  return { epoch, dataSources, policies };
}
