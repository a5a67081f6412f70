// The data set most security tests share: three rows in two teams, a row filter on `team` (so the view calls
// immuta_functions.f_list_item per row) and a keyed hash of a varchar(100) (so the view concatenates the key
// with a varchar). Mallory is on team red (rows 1 and 3), bob on team blue (row 2).
import { DataSourceSchema } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy } from '../../shared/policy/policy.js';

export const staffColumns = [
  { name: 'id', type: 'int4' },
  { name: 'team', type: 'varchar(20)' },
  { name: 'email', type: 'varchar(100)', tags: ['PII.Email'] },
];
export const staffRows: [number, string, string][] = [
  [1, 'red', 'r1@x.io'],
  [2, 'blue', 'b1@x.io'],
  [3, 'red', 'r2@x.io'],
];
export const staff = DataSourceSchema.parse({
  id: 'ds-staff',
  name: 'staff',
  version: 1,
  location: { database: 'set-per-engine', schema: 'raw', table: 'staff' },
  kind: 'table',
  columns: staffColumns,
});
export const staffPolicies: Policy[] = [
  // Row filter on a per-row value: uses immuta_functions.f_list_item (moment 2).
  PolicySchema.parse({
    id: 'p-team',
    version: 1,
    name: 'own team',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'local', dataSourceId: 'ds-staff' },
    type: 'rowFilter',
    filter: { kind: 'groupMatch', column: { kind: 'column', name: 'team' } },
  }),
  // Keyed hash of a varchar(100): key || CAST(email AS varchar(100)) in the view (moment 3).
  PolicySchema.parse({
    id: 'p-hash',
    version: 1,
    name: 'hash email',
    createdAt: '2026-01-01T00:00:00Z',
    scope: { kind: 'global', tags: ['PII'] },
    type: 'mask',
    target: { kind: 'tag', tag: 'PII.Email' },
    mask: { kind: 'hash' },
    condition: { kind: 'everyone' },
  }),
];
