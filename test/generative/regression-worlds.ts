// Named regression worlds: each defect the generative differential test found (and the one reported with
// issue 9), as the smallest world that shows it. compiler-regressions.test.ts runs every one on PGlite, on
// the PostgreSQL server and through the Redshift shim, compared with the reference evaluator like any
// generated world.
import type { PolicyInput } from '../../shared/policy/policy.js';
import type { GenCase, GenWorld } from './arbitraries.js';

const anyone: PolicyInput = {
  id: 'sub',
  version: 1,
  name: 'anyone',
  createdAt: '2024-01-01T00:00:00Z',
  scope: { kind: 'global' },
  type: 'subscription',
  access: { kind: 'anyone' },
};
const base = { version: 1, createdAt: '2024-06-01T00:00:00Z', scope: { kind: 'local' as const, dataSourceId: 'ds-a' } };

function oneTable(
  columns: { name: string; type: string; tags?: string[] }[],
  rows: (string | null)[][],
  policies: PolicyInput[],
  clauses: GenCase['clauses'] = [],
): GenCase {
  return {
    dataSources: [
      {
        input: {
          id: 'ds-a',
          name: 'view 0',
          version: 1,
          location: { database: 'set-by-runner', schema: 'raw', table: 't0' },
          kind: 'table',
          columns: columns.map((c) => ({ tags: [], ...c })),
          tags: [],
        },
        rows,
      },
    ],
    policies: [anyone, ...policies],
    clauses,
  };
}

/** hr sees the clear value, the analyst the hash, the third user has no profile row. */
const users: GenWorld['users'] = [
  { profile: { groups: ['hr'] } },
  { profile: { groups: ['analysts', '-0.5'] } },
  { profile: null },
];

export const REGRESSION_WORLDS: Record<string, GenWorld> = {
  // Issue 9: CASE branches text (hash) and date (clear) → CREATE VIEW refused; every user lost the view.
  'hash-on-date-with-exception': {
    users,
    cases: [
      oneTable(
        [
          { name: 'hired', type: 'date' },
          { name: 'n', type: 'int4' },
        ],
        [
          ['2024-05-17', '1'],
          [null, '2'],
          ['0001-01-01', null],
        ],
        [
          {
            ...base,
            id: 'm1',
            name: 'hash hired',
            type: 'mask',
            target: { kind: 'column', name: 'hired' },
            mask: { kind: 'hash' },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
          {
            ...base,
            id: 'm2',
            name: 'hash n',
            type: 'mask',
            target: { kind: 'column', name: 'n' },
            mask: { kind: 'constant', value: '-7' },
            condition: { kind: 'everyoneWho', who: { groups: ['hr'] }, otherwise: { kind: 'hash' } },
          },
        ],
      ),
    ],
  },
  // numeric(p,p) was read as text one character short (`-0.55` → `-0.5`): wrong hashes (two values, one hash),
  // wrong minimization keys, and a group named `-0.5` never matched its row.
  'numeric-all-fraction-digits-as-text': {
    users,
    cases: [
      oneTable(
        [
          { name: 'n', type: 'numeric(2,2)' },
          { name: 'g', type: 'decimal(1,1)' },
        ],
        [
          ['-0.55', '-0.5'],
          ['-0.51', '0.5'],
          ['0.99', null],
        ],
        [
          {
            ...base,
            id: 'm1',
            name: 'hash n',
            type: 'mask',
            target: { kind: 'column', name: 'n' },
            mask: { kind: 'hash' },
          },
          {
            ...base,
            id: 'f1',
            name: 'own group',
            type: 'rowFilter',
            filter: { kind: 'groupMatch', column: { kind: 'column', name: 'g' } },
            exception: { groups: ['hr'] },
          },
        ],
      ),
    ],
  },
  // A clause literal that is no value of the column's type passed the compiler; CREATE VIEW then failed
  // ("invalid input syntax for type smallint") instead of a VG306 at compile time.
  'where-literal-not-of-the-column-type': {
    users,
    cases: [
      oneTable(
        [
          { name: 'n', type: 'int2' },
          { name: 'd', type: 'date' },
        ],
        [['1', '2024-01-01']],
        [
          {
            ...base,
            id: 'f1',
            name: 'bad literal',
            type: 'rowFilter',
            filter: { kind: 'where', clause: `"n" IN ('a|b')` },
          },
        ],
        [[`"n" IN ('a|b')`, { k: 'in', e: { k: 'col', name: 'n' }, list: [{ k: 'str', v: 'a|b' }], not: false }]],
      ),
      oneTable(
        [
          { name: 'n', type: 'int2' },
          { name: 'd', type: 'date' },
        ],
        [['1', '2024-01-01']],
        [
          {
            ...base,
            id: 'm1',
            name: 'bad cast',
            type: 'mask',
            target: { kind: 'column', name: 'n' },
            mask: { kind: 'null' },
            where: `"d" = CAST('2023-02-30' AS date)`,
          },
        ],
        [
          [
            `"d" = CAST('2023-02-30' AS date)`,
            { k: 'cmp', op: '=', l: { k: 'col', name: 'd' }, r: { k: 'cast', v: '2023-02-30', type: 'date' } },
          ],
        ],
      ),
    ],
  },
  // Constants and filter values were checked by shape (and JavaScript's lenient Date.parse): 2023-02-29,
  // year 0000, 25:00 or an offset of +99 passed, and the engine refused the view instead of VG303/VG307.
  'constant-not-a-calendar-value': {
    users,
    cases: [
      oneTable(
        [{ name: 'd', type: 'date' }],
        [['2024-02-29']],
        [
          {
            ...base,
            id: 'm1',
            name: 'c',
            type: 'mask',
            target: { kind: 'column', name: 'd' },
            mask: { kind: 'constant', value: '2023-02-29' },
          },
        ],
      ),
      oneTable(
        [{ name: 'd', type: 'date' }],
        [['2024-02-29']],
        [
          {
            ...base,
            id: 'm1',
            name: 'c',
            type: 'mask',
            target: { kind: 'column', name: 'd' },
            mask: { kind: 'constant', value: '0000-01-01' },
          },
        ],
      ),
      oneTable(
        [{ name: 't', type: 'time' }],
        [['12:00:00']],
        [
          {
            ...base,
            id: 'f1',
            name: 'v',
            type: 'rowFilter',
            filter: { kind: 'values', column: { kind: 'column', name: 't' }, values: ['25:00'] },
          },
        ],
      ),
      oneTable(
        [{ name: 't', type: 'timestamptz' }],
        [['2024-01-01 00:00:00+00']],
        [
          {
            ...base,
            id: 'f1',
            name: 'v',
            type: 'rowFilter',
            filter: { kind: 'values', column: { kind: 'column', name: 't' }, values: ['2024-01-01 00:00:00+99'] },
          },
        ],
      ),
    ],
  },
  // "Newer than 100000 months" made every query of the view fail ("timestamp out of range"): the boundary
  // lay before 4713 BC. Found by the long campaign (seed 1).
  'time-window-longer-than-the-calendar': {
    users,
    cases: [
      oneTable(
        [
          { name: 'ts', type: 'timestamp' },
          { name: 'tz', type: 'timestamptz' },
          { name: 'd', type: 'date' },
        ],
        [
          ['0001-01-01 00:00:00', '2024-01-01 00:00:00+05', '1970-01-01'],
          [null, null, null],
        ],
        [
          {
            ...base,
            id: 'f1',
            name: 'forever',
            type: 'rowFilter',
            filter: {
              kind: 'timeWindow',
              column: { kind: 'column', name: 'ts' },
              direction: 'newer',
              amount: 100000,
              unit: 'month',
            },
          },
          {
            ...base,
            id: 'f2',
            name: 'ancient',
            type: 'rowFilter',
            filter: {
              kind: 'timeWindow',
              column: { kind: 'column', name: 'tz' },
              direction: 'newer',
              amount: 100000,
              unit: 'year',
            },
          },
          {
            ...base,
            id: 'f3',
            name: 'old',
            type: 'rowFilter',
            filter: {
              kind: 'timeWindow',
              column: { kind: 'column', name: 'd' },
              direction: 'older',
              amount: 60001,
              unit: 'month',
            },
            exception: { groups: ['hr'] },
          },
        ],
      ),
    ],
  },
  // `lower(<a numeric column>)` passed the compiler's type check (function arguments were not checked) and
  // CREATE VIEW refused it ("function lower(numeric) does not exist"). Found by the long campaign.
  'where-function-argument-of-the-wrong-kind': {
    users,
    cases: [
      oneTable(
        [
          { name: 'n', type: 'numeric(1,0)' },
          { name: 's', type: 'varchar(3)' },
        ],
        [['1', 'hr']],
        [
          {
            ...base,
            id: 'f1',
            name: 'lower n',
            type: 'rowFilter',
            filter: { kind: 'where', clause: `lower("n") = 'hr'` },
          },
        ],
        [
          [
            `lower("n") = 'hr'`,
            {
              k: 'cmp',
              op: '=',
              l: { k: 'fn', name: 'lower', args: [{ k: 'col', name: 'n' }] },
              r: { k: 'str', v: 'hr' },
            },
          ],
        ],
      ),
      oneTable(
        [
          { name: 'n', type: 'numeric(1,0)' },
          { name: 's', type: 'varchar(3)' },
        ],
        [['1', 'hr']],
        [{ ...base, id: 'f1', name: 'abs s', type: 'rowFilter', filter: { kind: 'where', clause: `abs("s") > 1` } }],
        [
          [
            `abs("s") > 1`,
            {
              k: 'cmp',
              op: '>',
              l: { k: 'fn', name: 'abs', args: [{ k: 'col', name: 's' }] },
              r: { k: 'num', v: '1' },
            },
          ],
        ],
      ),
    ],
  },
  // Rounding a float divided it by the bucket: 2e-323 / 1e15 raised "value out of range: underflow",
  // -1.8e308 / 0.125 "overflow", and every query of the view failed. Found by the long campaigns (seeds 33, 41).
  'round-float-below-the-bucket': {
    users,
    cases: [
      oneTable(
        [
          { name: 'f', type: 'float8' },
          { name: 'r', type: 'real' },
          { name: 'g', type: 'float8' },
        ],
        [
          ['2e-323', '1e-30', '-1.797693134862313e+308'],
          ['-0', '-2.5', '73000.25'],
          ['123456789012345', '3.4028234663852886e+38', '1e300'],
          [null, null, null],
        ],
        [
          {
            ...base,
            id: 'm3',
            name: 'round g',
            type: 'mask',
            target: { kind: 'column', name: 'g' },
            mask: { kind: 'round', bucket: 0.125 },
          },
          {
            ...base,
            id: 'm1',
            name: 'round f',
            type: 'mask',
            target: { kind: 'column', name: 'f' },
            mask: { kind: 'round', bucket: 1e15 },
          },
          {
            ...base,
            id: 'm2',
            name: 'round r',
            type: 'mask',
            target: { kind: 'column', name: 'r' },
            mask: { kind: 'round', bucket: 4 },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        ],
      ),
    ],
  },
  // TRUNC(x / b) * b on a 38-digit numeric: the quotient was rounded to the division's scale first, so the
  // result moved AWAY from zero (…103 → …104) and 10^38 − 1 overflowed numeric(38,0) (every query failed).
  // Found by the long campaign (seed 43).
  'round-numeric-at-38-digits': {
    users,
    cases: [
      oneTable(
        [
          { name: 'n', type: 'numeric(38,0)' },
          { name: 'i', type: 'int8' },
          { name: 'd', type: 'numeric(38,20)' },
        ],
        [
          ['-15442202348323702354336324159392715103', '9223372036854775807', '999999999999999999.99999999999999999999'],
          ['99999999999999999999999999999999999999', '-9223372036854775808', '-0.00000000000000000001'],
          [null, '7', '2.5'],
        ],
        [
          {
            ...base,
            id: 'm1',
            name: 'n by 4',
            type: 'mask',
            target: { kind: 'column', name: 'n' },
            mask: { kind: 'round', bucket: 4 },
          },
          {
            ...base,
            id: 'm2',
            name: 'i by 2.5',
            type: 'mask',
            target: { kind: 'column', name: 'i' },
            mask: { kind: 'round', bucket: 2.5 },
          },
          {
            ...base,
            id: 'm3',
            name: 'd by 0.125',
            type: 'mask',
            target: { kind: 'column', name: 'd' },
            mask: { kind: 'round', bucket: 0.125 },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        ],
      ),
    ],
  },
  // `0` was refused for numeric(1,1) (its one integer digit counted), failing the view closed for everyone.
  'constant-zero-fits-numeric-1-1': {
    users,
    cases: [
      oneTable(
        [{ name: 'n', type: 'numeric(1,1)' }],
        [['0.5'], ['-0.9']],
        [
          {
            ...base,
            id: 'm1',
            name: 'zero',
            type: 'mask',
            target: { kind: 'column', name: 'n' },
            mask: { kind: 'constant', value: '0' },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        ],
      ),
    ],
  },
  // `NULL IN (<no rows>)` is FALSE: for a user with no groups (or no values of the attribute), a row whose value
  // is NULL counted as "not a member" instead of unknown. A mask's `where` then did not mask (the clear value
  // showed where the docs mask: unknown → masked) and `NOT @groupsContains(…)` showed the row (found by
  // `npm run fuzz -- --seed 201`, session 6).
  'membership-of-null-for-a-user-without-values': {
    users: [
      { profile: { groups: [], attributes: {} } },
      { profile: { groups: ['hr'], attributes: { country: ['US'] } } },
      { profile: null },
    ],
    cases: [
      oneTable(
        [
          { name: 'name', type: 'varchar(8)' },
          { name: 'g', type: 'varchar(8)' },
          { name: 'c', type: 'real' },
        ],
        [
          ['ann', null, null],
          ['bob', 'hr', '1234567'],
          ['cy', 'ops', null],
        ],
        [
          {
            ...base,
            id: 'm1',
            name: 'hash where own group',
            type: 'mask',
            target: { kind: 'column', name: 'name' },
            mask: { kind: 'hash' },
            where: '@groupsContains("g")',
          },
          {
            ...base,
            id: 'm2',
            name: 'null where own country',
            type: 'mask',
            target: { kind: 'column', name: 'g' },
            mask: { kind: 'null' },
            where: `@attributeValuesContains('country', "c")`,
          },
        ],
        [
          ['@groupsContains("g")', { k: 'groupsContains', e: { k: 'col', name: 'g' } }],
          [
            `@attributeValuesContains('country', "c")`,
            { k: 'attrContains', key: 'country', e: { k: 'col', name: 'c' } },
          ],
        ],
      ),
      oneTable(
        [
          { name: 'name', type: 'varchar(8)' },
          { name: 'g', type: 'varchar(8)' },
        ],
        [
          ['ann', null],
          ['bob', 'hr'],
          ['cy', 'ops'],
        ],
        [
          {
            ...base,
            id: 'f1',
            name: 'not own group',
            type: 'rowFilter',
            filter: { kind: 'where', clause: 'NOT (@groupsContains("g"))' },
          },
        ],
        [['NOT (@groupsContains("g"))', { k: 'not', arg: { k: 'groupsContains', e: { k: 'col', name: 'g' } } }]],
      ),
    ],
  },
  // The reference cut a regex mask's result to the column's length; the docs widen the column instead (a
  // replacement longer than one character): `^.` → `|x|` on a full varchar(64) shows 66 characters (found by
  // `npm run fuzz -- --seed 202`, session 6; the compiler was right).
  'regex-that-grows-is-never-cut': {
    users,
    cases: [
      oneTable(
        [{ name: 's', type: 'varchar(64)' }],
        [['x'.repeat(64)], ['ab'], [null]],
        [
          {
            ...base,
            id: 'm1',
            name: 'first letter',
            type: 'mask',
            target: { kind: 'column', name: 's' },
            mask: { kind: 'regex', pattern: '^.', replacement: '|x|' },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        ],
      ),
    ],
  },
  // PostgreSQL's LIKE counts a char(n) value's padding: `"c" LIKE 'ab'` on a char(3) 'ab' was false, and
  // `LIKE ''` never held for an empty char; the docs read a char(n) value without its padding (found by
  // `npm run fuzz -- --seed 201` on the fixed membership, session 6).
  'like-reads-a-char-without-its-padding': {
    users,
    cases: [
      oneTable(
        [
          { name: 'c', type: 'char(3)' },
          { name: 'e', type: 'char(1)' },
        ],
        [
          ['ab', ''],
          ['abc', 'x'],
          [null, ''],
        ],
        [
          {
            ...base,
            id: 'f1',
            name: 'c like ab or a_c',
            type: 'rowFilter',
            filter: { kind: 'where', clause: `("c" LIKE 'ab') OR ("c" LIKE 'a_c')` },
          },
          {
            ...base,
            id: 'm1',
            name: 'null where e is empty',
            type: 'mask',
            target: { kind: 'column', name: 'c' },
            mask: { kind: 'null' },
            where: `"e" LIKE ''`,
          },
        ],
        [
          [
            `("c" LIKE 'ab') OR ("c" LIKE 'a_c')`,
            {
              k: 'or',
              args: [
                { k: 'like', e: { k: 'col', name: 'c' }, pattern: 'ab', ilike: false, not: false },
                { k: 'like', e: { k: 'col', name: 'c' }, pattern: 'a_c', ilike: false, not: false },
              ],
            },
          ],
          [`"e" LIKE ''`, { k: 'like', e: { k: 'col', name: 'e' }, pattern: '', ilike: false, not: false }],
        ],
      ),
    ],
  },
  // A first-match-only regex that could also outgrow every Redshift type became NULL there (VG313) instead of
  // failing the view closed as the docs say (VG303); found by `npm run fuzz -- --seed 202`, session 6.
  'first-match-regex-that-could-outgrow-every-type': {
    users,
    cases: [
      oneTable(
        [{ name: 's', type: 'varchar(65535)' }],
        [['xyz'], [null]],
        [
          {
            ...base,
            id: 'm1',
            name: 'first x',
            type: 'mask',
            target: { kind: 'column', name: 's' },
            mask: { kind: 'regex', pattern: 'x?y*', replacement: '*', global: false },
          },
        ],
      ),
    ],
  },
  // The reference: a float8 whose shortest decimal is exactly halfway to the next float8 is printed with one digit
  // more by PostgreSQL (Ryu does not take the tie): -3.0577136631063672e+16 (seed 201, session 6; the compiler
  // shows the clear value, the reference printed JavaScript's -3.057713663106367e+16).
  'float8-text-at-a-tie': {
    users,
    cases: [oneTable([{ name: 'f', type: 'float8' }], [['-30577136631063670'], ['0.1'], [null]], [])],
  },
  // The reference: a partial mask whose character takes 3 bytes on a varchar(65535) could outgrow every Redshift
  // type, so its users see NULL there (VG313), as the docs say (seed 202, session 6; the compiler was right).
  'partial-mask-that-outgrows-every-redshift-type': {
    users,
    cases: [
      oneTable(
        [{ name: 's', type: 'varchar(65535)' }],
        [['abc'], [''], [null]],
        [
          {
            ...base,
            id: 'm1',
            name: 'bullets',
            type: 'mask',
            target: { kind: 'column', name: 's' },
            mask: { kind: 'partial', keep: 'first', count: 0, maskChar: '\u2022', preserveFormat: false },
            condition: { kind: 'everyoneExcept', except: { groups: ['hr'] } },
          },
        ],
      ),
    ],
  },
};
