// An Immuta data source (GET /dataSource/{id}, its dictionary and its tags) → a v1 DataSource.
// Only what we can represent is exposed, and nothing is ever guessed in the reader's favour:
//   - a column whose type the compiler does not know, or which carries a tag we cannot read, is left out of
//     the view (VG706, warning) — an unlisted column is simply not exposed;
//   - a data source tag we cannot read could make a global policy miss the data source, so the data source
//     fails closed instead (VG706, error) — see sync.ts;
//   - no table location or no column left → the data source cannot be represented; the sync deletes its view.
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseColumnType } from '../policy/column-type.js';
import type { DataSourceInput } from '../policy/data-source.js';
import { TagSchema } from '../policy/tag.js';
import type { ImmutaDataSource, ImmutaDictionary } from './api-shapes.js';
import { dataSourceId } from './ids.js';

export interface DataSourcePlacement {
  /** Where the raw tables live when Immuta gives no remote database (the integration's raw database). */
  database: string;
  /** `schema` or `database.schema` of Spectrum external schemas (the integration's external raw sources). */
  externalSchemas: ReadonlySet<string>;
}

export interface MappedDataSource {
  dataSource: DataSourceInput | null;
  diagnostics: Diagnostic[];
  /** A data-source-level problem that must fail its view closed (the data source itself is still emitted). */
  failClosedReason?: string;
}

const validTag = (t: string): boolean => TagSchema.safeParse(t).success;

export function mapDataSource(
  ds: ImmutaDataSource,
  dictionary: ImmutaDictionary | null,
  tags: readonly string[],
  place: DataSourcePlacement,
): MappedDataSource {
  const diagnostics: Diagnostic[] = [];
  const what = `data source ${ds.id} ${JSON.stringify(ds.name)}`;
  const schema = ds.remoteSchema ?? ds.sqlSchemaName;
  const table = ds.remoteTable ?? ds.sqlTableName;
  const view = ds.sqlTableName ?? ds.remoteTable;
  if (!schema || !table || !view) {
    return {
      dataSource: null,
      diagnostics: [
        diagnostic(
          'VG706',
          `${what}: no table location (remoteSchema/remoteTable or sqlSchemaName/sqlTableName); its view is removed`,
        ),
      ],
    };
  }
  const database = ds.remoteDatabase ?? place.database;
  const columns = [];
  for (const c of dictionary?.metadata ?? []) {
    const type = parseColumnType(c.remoteType ?? c.dataType ?? '');
    const columnTags = (c.tags ?? []).map((t) => t.name);
    const badTag = columnTags.find((t) => !validTag(t));
    if (!type || badTag !== undefined) {
      const why = !type
        ? `type ${JSON.stringify(c.remoteType ?? c.dataType)} is not one the compiler knows`
        : `tag ${JSON.stringify(badTag)} is not a dot-separated tag`;
      diagnostics.push(
        diagnostic(
          'VG706',
          `${what}, column ${JSON.stringify(c.name)}: ${why}; the column is not exposed`,
          [],
          'warning',
        ),
      );
      continue;
    }
    columns.push({ name: c.name, type: type.sql, tags: [...new Set(columnTags)].sort() });
  }
  if (columns.length === 0) {
    diagnostics.push(diagnostic('VG706', `${what}: no column can be exposed; its view is removed`));
    return { dataSource: null, diagnostics };
  }
  const badDsTag = tags.find((t) => !validTag(t));
  const external = place.externalSchemas.has(schema) || place.externalSchemas.has(`${database}.${schema}`);
  return {
    dataSource: {
      id: dataSourceId(ds.id),
      name: view,
      version: 0,
      location: { database, schema, table },
      kind: external ? 'external' : 'table',
      columns,
      tags: [...new Set(tags.filter(validTag))].sort(),
    },
    diagnostics,
    ...(badDsTag !== undefined
      ? {
          failClosedReason:
            `tag ${JSON.stringify(badDsTag)} is not a dot-separated tag, so global policies could miss this data ` +
            `source`,
        }
      : {}),
  };
}
