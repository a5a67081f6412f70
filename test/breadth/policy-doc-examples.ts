// The policy-breadth examples: ONE set of fixtures (data source, rows, two users, one policy per example and
// what each user sees) used by the engine tests (test/breadth/*.test.ts run every example on PGlite and a
// real PostgreSQL server as real login roles) and by docs/policies.md, whose "Examples" section is rendered
// from here (the webhook JSON, the generated Redshift SQL, and what alice and bob see). The doc cannot drift:
// test/policy/policy-doc.test.ts compares it with this rendering.
//
//   npx tsx test/breadth/policy-doc-examples.ts --write     # regenerate the section in docs/policies.md
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileView, type ViewCompileConfig } from '../../shared/compiler/view-compiler.js';
import { DataSourceSchema, type DataSource, type DataSourceInput } from '../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../shared/policy/policy.js';
import type { UserProfileInput } from '../../shared/policy/user-profile.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';

export type Cell = string | null;
export type UserName = 'alice' | 'bob';

/** The raw table (every example reads the same rows). `createdDaysAgo` becomes created_at = now (UTC) − n days. */
export const rawRows = [
  {
    id: 1,
    name: 'Ann',
    email: 'ann@x.us',
    ssn: '111-11-1111',
    phone: '+1-555-0101',
    country: 'US',
    dept: 'sales',
    salary: '100.50',
    age: 34,
    visited: '2024-05-17',
    createdDaysAgo: 1,
  },
  {
    id: 2,
    name: 'Bo',
    email: 'bo@x.de',
    ssn: '222-22-2222',
    phone: '+49-30-1234',
    country: 'DE',
    dept: 'hr',
    salary: '2500.00',
    age: 47,
    visited: '2023-11-02',
    createdDaysAgo: 10,
  },
  {
    id: 3,
    name: 'Cy',
    email: 'cy@x.fr',
    ssn: '333-33-3333',
    phone: '+33-1-9876',
    country: 'FR',
    dept: 'sales',
    salary: '73000.25',
    age: 29,
    visited: '2024-01-31',
    createdDaysAgo: 40,
  },
  {
    id: 4,
    name: 'Di',
    email: null,
    ssn: '444-44-4444',
    phone: null,
    country: 'US',
    dept: 'it',
    salary: '999.99',
    age: 61,
    visited: '2022-12-25',
    createdDaysAgo: 400,
  },
  {
    id: 5,
    name: 'Ed',
    email: 'ED@X.US',
    ssn: '555-55-5555',
    phone: '+1-555-0199',
    country: 'US',
    dept: 'analysts',
    salary: '-45.10',
    age: 18,
    visited: '2024-02-29',
    createdDaysAgo: 3,
  },
] as const;

export const RAW_TABLE_DDL =
  'CREATE TABLE raw.customers (id int4, name varchar(40), email varchar(100), ssn char(11), phone varchar(20), ' +
  'country varchar(2), dept varchar(20), salary numeric(10,2), age int4, visited date, created_at timestamp, ' +
  'secret text)';

export const dataSourceInput = (database: string): DataSourceInput => ({
  id: 'ds-customers',
  name: 'customers',
  version: 1,
  location: { database, schema: 'raw', table: 'customers' },
  kind: 'table',
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'varchar(40)' },
    { name: 'email', type: 'varchar(100)', tags: ['PII.Email'] },
    { name: 'ssn', type: 'char(11)', tags: ['PII.SSN'] },
    { name: 'phone', type: 'varchar(20)', tags: ['PII.Phone'] },
    { name: 'country', type: 'varchar(2)', tags: ['Geo.Country'] },
    { name: 'dept', type: 'varchar(20)' },
    { name: 'salary', type: 'numeric(10,2)', tags: ['Finance'] },
    { name: 'age', type: 'int4' },
    { name: 'visited', type: 'date' },
    { name: 'created_at', type: 'timestamp' },
  ],
  tags: ['Customer'],
});
export const dataSource = (database: string): DataSource => DataSourceSchema.parse(dataSourceInput(database));

/** Two users: alice acts under "Fraud Detection" (her current project carries it and she acknowledged it). */
export const profiles: Record<UserName, Omit<UserProfileInput, 'userId' | 'version'>> = {
  alice: {
    groups: ['analysts'],
    attributes: { country: ['US'] },
    projects: ['fraud-q3', 'campaign'],
    currentProject: 'fraud-q3',
    purposes: ['Fraud Detection'],
    projectPurposes: { 'fraud-q3': ['Fraud Detection'], campaign: ['Marketing'] },
  },
  bob: {
    groups: ['hr', 'compliance'],
    attributes: { country: ['DE', 'FR'] },
    projects: ['campaign'],
    currentProject: 'campaign',
    purposes: [],
    projectPurposes: { campaign: ['Marketing'] },
  },
};

/** Every example runs with this subscription too, so that rows are visible at all. */
export const anyoneSubscription: PolicyInput = {
  id: 'sub-anyone',
  version: 1,
  name: 'Anyone with a profile',
  createdAt: '2024-01-01T00:00:00Z',
  scope: { kind: 'local', dataSourceId: 'ds-customers' },
  type: 'subscription',
  access: { kind: 'anyone' },
};

export type Section = 'Masks' | 'Row filters' | 'Custom WHERE' | 'Purposes';

export interface DocExample {
  id: string;
  section: Section;
  title: string;
  /** One or two sentences for the doc. */
  note: string;
  policy: PolicyInput;
  /** Without the anyone subscription (the example IS the subscription). */
  replacesSubscription?: boolean;
  /** Columns shown (cast to text by the harness), `id` first. */
  columns: string[];
  /** What each user sees (rows in id order); 'oracle' = computed by minimizeOracle (depends on the user name). */
  see: Record<UserName, Cell[][]> | 'oracle';
  /** Diagnostic codes the compile must report. */
  diagnostics?: string[];
}

const base = { version: 1, createdAt: '2024-06-01T00:00:00Z' } as const;
const local = { kind: 'local', dataSourceId: 'ds-customers' } as const;
const all = (col: (r: (typeof rawRows)[number]) => Cell): Cell[][] => rawRows.map((r) => [String(r.id), col(r)]);
const ids = (...xs: number[]): Cell[][] => xs.map((x) => [String(x)]);

export const examples: DocExample[] = [
  {
    id: 'mask-regex',
    section: 'Masks',
    title: 'Regex replace (global, case-insensitive)',
    note:
      'Every vowel of `name` becomes `*` for everyone ' +
      'except the compliance group. `global` and ' +
      '`caseInsensitive` map to PostgreSQL flags ' +
      "`gi` and Redshift parameters `1, 'i'`.",
    policy: {
      ...base,
      id: 'mask-regex',
      name: 'Vowels out',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'name' },
      mask: { kind: 'regex', pattern: '[aeiou]', replacement: '*', global: true, caseInsensitive: true },
      condition: { kind: 'everyoneExcept', except: { groups: ['compliance'] } },
    },
    columns: ['id', 'name'],
    see: {
      alice: [
        ['1', '*nn'],
        ['2', 'B*'],
        ['3', 'Cy'],
        ['4', 'D*'],
        ['5', '*d'],
      ],
      bob: all((r) => r.name),
    },
  },
  {
    id: 'mask-round-number',
    section: 'Masks',
    title: 'Rounding a number to a bucket',
    note:
      'Salaries toward zero to a multiple of 1000 for the analysts; everyone else sees the clear value. Toward ' +
      'zero keeps |result| ≤ |value|, so it never overflows the column type.',
    policy: {
      ...base,
      id: 'mask-round-number',
      name: 'Salary bands',
      scope: local,
      type: 'mask',
      target: { kind: 'tag', tag: 'Finance' },
      mask: { kind: 'round', bucket: 1000 },
      condition: { kind: 'everyoneWho', who: { groups: ['analysts'] } },
    },
    columns: ['id', 'salary'],
    see: {
      alice: [
        ['1', '0.00'],
        ['2', '2000.00'],
        ['3', '73000.00'],
        ['4', '0.00'],
        ['5', '0.00'],
      ],
      bob: all((r) => r.salary),
    },
  },
  {
    id: 'mask-round-integer',
    section: 'Masks',
    title: 'Rounding an integer',
    note: 'Ages in decades for everyone (integer division truncates toward zero on both engines).',
    policy: {
      ...base,
      id: 'mask-round-integer',
      name: 'Age decades',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'age' },
      mask: { kind: 'round', bucket: 10 },
    },
    columns: ['id', 'age'],
    see: {
      alice: [
        ['1', '30'],
        ['2', '40'],
        ['3', '20'],
        ['4', '60'],
        ['5', '10'],
      ],
      bob: [
        ['1', '30'],
        ['2', '40'],
        ['3', '20'],
        ['4', '60'],
        ['5', '10'],
      ],
    },
  },
  {
    id: 'mask-round-date',
    section: 'Masks',
    title: 'Truncating a date to a unit',
    note: 'Visit dates truncated to the month (DATE_TRUNC) for everyone except the compliance group.',
    policy: {
      ...base,
      id: 'mask-round-date',
      name: 'Visit month',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'visited' },
      mask: { kind: 'round', unit: 'month' },
      condition: { kind: 'everyoneExcept', except: { groups: ['compliance'] } },
    },
    columns: ['id', 'visited'],
    see: {
      alice: [
        ['1', '2024-05-01'],
        ['2', '2023-11-01'],
        ['3', '2024-01-01'],
        ['4', '2022-12-01'],
        ['5', '2024-02-01'],
      ],
      bob: all((r) => r.visited),
    },
  },
  {
    id: 'mask-partial',
    section: 'Masks',
    title: 'Partial, format-preserving (keep the last 4)',
    note: 'SSNs keep their last four characters and their dashes; letters and digits before them become `*`.',
    policy: {
      ...base,
      id: 'mask-partial',
      name: 'SSN last four',
      scope: { kind: 'global', tags: ['PII'] },
      type: 'mask',
      target: { kind: 'tag', tag: 'PII.SSN' },
      mask: { kind: 'partial', keep: 'last', count: 4, preserveFormat: true },
      condition: { kind: 'everyoneExcept', except: { groups: ['compliance'] } },
    },
    columns: ['id', 'ssn'],
    see: { alice: rawRows.map((r) => [String(r.id), `***-**-${r.ssn.slice(-4)}`]), bob: all((r) => r.ssn) },
  },
  {
    id: 'mask-partial-first',
    section: 'Masks',
    title: 'Partial (keep the first 3, mask character #)',
    note: 'Phone numbers keep their first three characters; the rest become `#` (no format kept). NULL stays NULL.',
    policy: {
      ...base,
      id: 'mask-partial-first',
      name: 'Phone prefix',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'phone' },
      mask: { kind: 'partial', keep: 'first', count: 3, maskChar: '#' },
    },
    columns: ['id', 'phone'],
    see: {
      alice: rawRows.map((r) => [
        String(r.id),
        r.phone === null ? null : r.phone.slice(0, 3) + '#'.repeat(r.phone.length - 3),
      ]),
      bob: rawRows.map((r) => [
        String(r.id),
        r.phone === null ? null : r.phone.slice(0, 3) + '#'.repeat(r.phone.length - 3),
      ]),
    },
  },
  {
    id: 'mask-conditional',
    section: 'Masks',
    title: 'Conditional (cell-level) masking',
    note:
      '`salary` is NULL in the US rows (`where` is a custom WHERE clause over the row) for everyone except the hr ' +
      'group; other rows are clear for everyone.',
    policy: {
      ...base,
      id: 'mask-conditional',
      name: 'US salaries',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'salary' },
      mask: { kind: 'null' },
      where: "country = 'US'",
      condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
    },
    columns: ['id', 'salary'],
    see: { alice: all((r) => (r.country === 'US' ? null : r.salary)), bob: all((r) => r.salary) },
  },
  {
    id: 'mask-fallback',
    section: 'Masks',
    title: 'Type-aware fallback',
    note:
      'Rounding does not fit a text column: the column shows NULL (never the clear value) and the compile reports ' +
      'a VG303 warning.',
    policy: {
      ...base,
      id: 'mask-fallback',
      name: 'Round names',
      scope: local,
      type: 'mask',
      target: { kind: 'column', name: 'name' },
      mask: { kind: 'round', bucket: 10 },
    },
    columns: ['id', 'name'],
    see: { alice: all(() => null), bob: all(() => null) },
    diagnostics: ['VG303'],
  },
  {
    id: 'rf-values',
    section: 'Row filters',
    title: 'Values in a list',
    note:
      'Only US and DE rows, except for the compliance group. Values are compared typed (each is checked against ' +
      'the column type, VG307).',
    policy: {
      ...base,
      id: 'rf-values',
      name: 'US and DE',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'values', column: { kind: 'tag', tag: 'Geo.Country' }, values: ['US', 'DE'] },
      exception: { groups: ['compliance'] },
    },
    columns: ['id'],
    see: { alice: ids(1, 2, 4, 5), bob: ids(1, 2, 3, 4, 5) },
  },
  {
    id: 'rf-not-in',
    section: 'Row filters',
    title: 'Values not in a list',
    note: 'Every row except the US ones. A NULL value matches neither `values` nor `not` (the row is hidden).',
    policy: {
      ...base,
      id: 'rf-not-in',
      name: 'Not US',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'values', column: { kind: 'column', name: 'country' }, values: ['US'], not: true },
    },
    columns: ['id'],
    see: { alice: ids(2, 3), bob: ids(2, 3) },
  },
  {
    id: 'rf-time-window',
    section: 'Row filters',
    title: 'Time window (newer than 30 days)',
    note:
      'Rows whose `created_at` lies within the last 30 days at query time (the UTC wall clock on both engines, ' +
      'whatever the session time zone); the compliance group sees every row.',
    policy: {
      ...base,
      id: 'rf-time-window',
      name: 'Last 30 days',
      scope: local,
      type: 'rowFilter',
      filter: {
        kind: 'timeWindow',
        column: { kind: 'column', name: 'created_at' },
        direction: 'newer',
        amount: 30,
        unit: 'day',
      },
      exception: { groups: ['compliance'] },
    },
    columns: ['id'],
    see: { alice: ids(1, 2, 5), bob: ids(1, 2, 3, 4, 5) },
  },
  {
    id: 'rf-older',
    section: 'Row filters',
    title: 'Time window (older than 1 month)',
    note: 'Rows created more than one month before the query time.',
    policy: {
      ...base,
      id: 'rf-older',
      name: 'Archive',
      scope: local,
      type: 'rowFilter',
      filter: {
        kind: 'timeWindow',
        column: { kind: 'column', name: 'created_at' },
        direction: 'older',
        amount: 1,
        unit: 'month',
      },
    },
    columns: ['id'],
    see: { alice: ids(3, 4), bob: ids(3, 4) },
  },
  {
    id: 'rf-minimize',
    section: 'Row filters',
    title: 'Minimization (a stable 50 %)',
    note:
      'Each user sees the rows whose MD5(id | user name) falls in the first 50 % — the same rows on every query, ' +
      'different rows per user (the rows below are for users named exactly `alice` and `bob`).',
    policy: {
      ...base,
      id: 'rf-minimize',
      name: 'Half',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'minimize', column: { kind: 'column', name: 'id' }, percent: 50 },
    },
    columns: ['id'],
    see: 'oracle',
  },
  {
    id: 'rf-purpose',
    section: 'Purposes',
    title: 'Row filter limited to a purpose',
    note:
      'Rows only for users acting under "Fraud Detection" (alice: her current project carries it and she ' +
      'acknowledged it). Switching project or acknowledging a purpose is a profile update, never DDL.',
    policy: {
      ...base,
      id: 'rf-purpose',
      name: 'Fraud only',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'usingPurpose', purposes: ['Fraud Detection'] },
    },
    columns: ['id'],
    see: { alice: ids(1, 2, 3, 4, 5), bob: [] },
  },
  {
    id: 'sub-purpose',
    section: 'Purposes',
    title: 'Subscription limited to a purpose',
    note: 'Only users acting under "Fraud Detection" may query the view at all.',
    policy: {
      ...base,
      id: 'sub-purpose',
      name: 'Fraud subscription',
      scope: local,
      type: 'subscription',
      access: { kind: 'usingPurpose', purposes: ['Fraud Detection'] },
    },
    replacesSubscription: true,
    columns: ['id'],
    see: { alice: ids(1, 2, 3, 4, 5), bob: [] },
  },
  {
    id: 'where-attribute',
    section: 'Custom WHERE',
    title: '@attributeValuesContains and @isInGroups',
    note: 'A user sees the rows of the countries in their `country` attribute; the compliance group sees every row.',
    policy: {
      ...base,
      id: 'where-attribute',
      name: 'Own countries',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'where', clause: "@attributeValuesContains('country', country) OR @isInGroups('compliance')" },
    },
    columns: ['id', 'country'],
    see: {
      alice: [
        ['1', 'US'],
        ['4', 'US'],
        ['5', 'US'],
      ],
      bob: all((r) => r.country),
    },
  },
  {
    id: 'where-groups',
    section: 'Custom WHERE',
    title: '@groupsContains with a comparison',
    note: "Rows whose department is one of the user's groups, adults only.",
    policy: {
      ...base,
      id: 'where-groups',
      name: 'Own department',
      scope: local,
      type: 'rowFilter',
      filter: { kind: 'where', clause: '@groupsContains(dept) AND age >= 18' },
    },
    columns: ['id', 'dept'],
    see: { alice: [['5', 'analysts']], bob: [['2', 'hr']] },
  },
  {
    id: 'where-tagged',
    section: 'Custom WHERE',
    title: '@columnTagged, @hasAttribute, @isUsingPurpose',
    note:
      'The column tagged `Geo.Country` is resolved per data source; users with country US see the rows above 500, ' +
      'users acting under Marketing every row.',
    policy: {
      ...base,
      id: 'where-tagged',
      name: 'Tagged',
      scope: local,
      type: 'rowFilter',
      filter: {
        kind: 'where',
        clause:
          "(@hasAttribute('country', 'US') " +
          'AND salary > 500 AND ' +
          "@columnTagged('Geo.Country') IN " +
          "('US', 'FR', 'DE')) OR " +
          "@isUsingPurpose('Marketing')",
      },
    },
    columns: ['id'],
    see: { alice: ids(2, 3, 4), bob: [] },
  },
];

/** The rows `user` (the exact role name) sees under rf-minimize: the SQL's MD5 rule in TypeScript. */
export function minimizeOracle(user: string, percent = 50): Cell[][] {
  return rawRows
    .filter(
      (r) =>
        parseInt(createHash('md5').update(`${r.id}|${user}`, 'utf8').digest('hex').slice(0, 8), 16) % 10000 <
        Math.round(percent * 100),
    )
    .map((r) => [String(r.id)]);
}

export const seeOf = (ex: DocExample, user: UserName, roleName: string): Cell[][] =>
  ex.see === 'oracle' ? minimizeOracle(roleName) : ex.see[user];

export const policyOf = (ex: DocExample): Policy => PolicySchema.parse(ex.policy);
export const policiesOf = (ex: DocExample): Policy[] =>
  ex.replacesSubscription ? [policyOf(ex)] : [PolicySchema.parse(anyoneSubscription), policyOf(ex)];

// ------------------------------------------------------------------------------------------------ the doc

export const DOC_PATH = fileURLToPath(new URL('../../docs/policies.md', import.meta.url));
export const START = '<!-- policy-examples:start (generated by test/breadth/policy-doc-examples.ts; do not edit) -->';
export const END = '<!-- policy-examples:end -->';
export const docConfig: ViewCompileConfig = { mode: 'single', database: 'sales', viewSchema: 'secure' };

function table(columns: string[], rows: Cell[][]): string {
  if (rows.length === 0) return '_no rows_';
  const esc = (c: Cell): string => (c === null ? 'NULL' : `\`${c.replace(/\|/g, '\\|')}\``);
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function renderExamples(): string {
  const ds = dataSource(docConfig.database);
  const out: string[] = [START, ''];
  out.push(
    'Every example below runs on the data source `ds-customers` (columns id, name, email `PII.Email`, ssn ' +
      '`PII.SSN`, phone `PII.Phone`,',
    'country `Geo.Country`, dept, salary `Finance`, age, visited, created_at) with the subscription `anyone`, for ' +
      'two users:',
    '',
    '```json',
    JSON.stringify(profiles, null, 0).replace(/\},"/g, '},\n"'),
    '```',
    '',
    'The rows shown are asserted on PGlite and a PostgreSQL server as real login roles (`test/breadth/*.test.ts`);',
    'the SQL is what the compiler emits for Redshift (it passes the Redshift lint).',
    '',
  );
  let section: Section | null = null;
  for (const ex of examples) {
    if (ex.section !== section) {
      section = ex.section;
      out.push(`### Examples: ${section}`, '');
    }
    const compiled = compileView(ds, policiesOf(ex), docConfig, redshift);
    const create = compiled.statements.find((s) => /^CREATE/.test(s.sql))!.sql;
    out.push(
      `#### ${ex.title} (\`${ex.id}\`)`,
      '',
      ex.note,
      '',
      '```json',
      JSON.stringify(ex.policy),
      '```',
      '',
      '```sql',
      create,
      '```',
      '',
    );
    if (ex.diagnostics?.length)
      out.push(
        `Diagnostics: ${compiled.diagnostics.map((d) => `${d.code} (${d.severity}) ${d.summary}`).join('; ')}`,
        '',
      );
    for (const user of ['alice', 'bob'] as const)
      out.push(`${user} sees:`, '', table(ex.columns, seeOf(ex, user, user)), '');
  }
  out.push(END);
  return out.join('\n');
}

/** docs/policies.md with the generated section replaced (or appended). */
export function renderedDoc(current: string): string {
  const section = renderExamples();
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  if (a >= 0 && b > a) return current.slice(0, a) + section + current.slice(b + END.length);
  return `${current.trimEnd()}\n\n## Examples (generated)\n\n${section}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv.includes('--write')) {
  writeFileSync(DOC_PATH, renderedDoc(readFileSync(DOC_PATH, 'utf8')));
  console.log(`wrote ${DOC_PATH}`);
}
