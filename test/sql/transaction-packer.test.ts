// The one transaction packer (shared/sql/transaction-packer.ts): the 40-statement limit, a guard kept with its
// DDL, guard-last splitting of an oversized unit, the name-resolution pin exactly once per transaction that
// needs it, sessions and `alone` units — and that every runner's transactions come from it (the bootstrap
// script and the Data API batches carry the same statements).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bootstrapScript, planBootstrap } from '../../shared/layout/bootstrap-plan.js';
import type { IntegrationConfig } from '../../shared/layout/integration-config.js';
import { planDatasourceStateCall } from '../../shared/layout/state-call-plan.js';
import { postgres } from '../../shared/sql/postgres-dialect.js';
import { redshift } from '../../shared/sql/redshift-dialect.js';
import { planned, stmt, type PlannedStatement, type StatementRole } from '../../shared/sql/statement.js';
import {
  MAX_STATEMENTS_PER_TRANSACTION,
  packTransactions,
  statementBytes,
  transactionSize,
} from '../../shared/sql/transaction-packer.js';
import { pinnedRunner } from '../../shared/layout/pinned-runner.js';
import { PINNED_RUNNER_ARGS } from '../../shared/layout/routine-definitions.js';
import { toBatches } from '../../lambdas/bootstrap/statement-batches.js';

const pin = postgres.pinSearchPath();
const s = (role: StatementRole, sql: string, pinned = false): PlannedStatement => planned(role, stmt(sql), { pinned });
const guard = (name = 'guard'): PlannedStatement => s('guard', `CALL ${name}()`);
const pack = (statements: PlannedStatement[], max?: number) =>
  packTransactions([{ statements, tag: 'unit' }], postgres, max).map((t) => t.statements);

describe('one unit (the apply loop)', () => {
  it('keeps a plan within the limit whole', () => {
    const plan = [guard('x'), s('ddl', 'CREATE VIEW v AS SELECT 1'), s('grant', 'GRANT SELECT ON v TO PUBLIC')];
    expect(pack(plan)).toEqual([plan]);
  });

  it('over 40: order kept, each part ≤ 40, the guard CALL opens the last part', () => {
    const ddl = Array.from({ length: 85 }, (_, i) => s('ddl', `CREATE VIEW v${i} AS SELECT ${i}`));
    const parts = pack([guard(), ...ddl]);
    expect(parts.every((p) => p.length <= 40)).toBe(true);
    expect(parts.at(-1)![0]!.sql).toBe('CALL guard()');
    expect(parts.flat().filter((x) => x.sql !== 'CALL guard()')).toEqual(ddl);
    expect(
      parts
        .slice(0, -1)
        .flat()
        .some((x) => x.sql.startsWith('CALL')),
    ).toBe(false);
  });

  it('repeats the session settings that bracket the DDL in every part', () => {
    const ddl = Array.from({ length: 50 }, (_, i) => s('ddl', `CREATE VIEW v${i} AS SELECT ${i}`, true));
    const parts = pack([guard(), ...ddl]);
    expect(parts.every((p) => p.length <= 40)).toBe(true);
    for (const p of parts) {
      const body = p[0]!.sql.startsWith('CALL') ? p.slice(1) : p;
      expect(body[0]!.sql).toBe('SET search_path TO pg_catalog');
      expect(body.at(-1)!.sql).toBe('RESET search_path');
    }
    expect(parts.flat().filter((x) => x.sql.startsWith('CREATE'))).toEqual(ddl);
  });

  it('the pin brackets exactly the pinned span, once, after the guard', () => {
    const plan = [
      guard(),
      s('ddl', 'DROP VIEW v', true),
      s('ddl', 'CREATE VIEW v AS SELECT 1', true),
      s('grant', 'GRANT SELECT ON v TO PUBLIC', true),
    ];
    expect(pack(plan)[0]!.map((x) => x.sql)).toEqual([
      'CALL guard()',
      pin.before,
      'DROP VIEW v',
      'CREATE VIEW v AS SELECT 1',
      'GRANT SELECT ON v TO PUBLIC',
      pin.after,
    ]);
    // The pin says why it is there (an operator reads it in a plan or a refusal), and the transaction has no
    // session of its own.
    const [tx] = packTransactions([{ statements: plan, tag: 0 }], postgres);
    expect(tx!.statements.filter((x) => x.role === 'session').map((x) => x.comment)).toEqual([
      'bind operators and functions in pg_catalog only',
      'restore the search_path',
    ]);
    expect(tx!.session).toBe('');
    // Nothing pinned, nothing added (a user's state CALL).
    expect(pack([s('state', 'CALL apply_user()')])).toEqual([[s('state', 'CALL apply_user()')]]);
  });

  it('a unit of exactly the limit is one transaction; one statement more is split, and no part is ever empty', () => {
    const ddl = (n: number) => Array.from({ length: n }, (_, i) => s('ddl', `CREATE VIEW v${i}`, true));
    expect(pack([guard(), ...ddl(37)], 40)).toHaveLength(1);
    expect(pack([guard(), ...ddl(38)], 40)).toHaveLength(2);
    // A head of exactly one part's capacity (38 pinned statements) and a last part of guard + 37.
    const parts = pack([guard(), ...ddl(38 + 37)], 40);
    expect(parts.map((p) => p.length)).toEqual([40, 40]);
  });

  it('units that fill the limit exactly share one transaction; the opening guard counts in it', () => {
    const unit = (n: number, name: string) => ({
      statements: Array.from({ length: n }, (_, i) => s('ddl', `CREATE VIEW ${name}${i}`)),
      tag: name,
    });
    expect(packTransactions([unit(20, 'a'), unit(20, 'b')], postgres, 40).map((t) => t.units)).toEqual([['a', 'b']]);
    const opened = packTransactions([unit(20, 'a'), unit(20, 'b')], postgres, 40, { opening: () => guard('o') });
    expect(opened.map((t) => t.units)).toEqual([['a'], ['b']]);
    expect(opened.every((t) => t.statements.length <= 40)).toBe(true);
    expect(
      packTransactions([unit(20, 'a'), unit(19, 'b')], postgres, 40, { opening: () => guard('o') }).map(
        (t) => t.statements.length,
      ),
    ).toEqual([40]);
  });

  it('the smallest limit that holds the guard, the pin and one statement splits into parts of that limit', () => {
    const ddl = Array.from({ length: 5 }, (_, i) => s('ddl', `CREATE VIEW v${i}`, true));
    const parts = pack([guard(), ...ddl], 4);
    expect(parts.every((p) => p.length <= 4)).toBe(true);
    expect(parts.flat().filter((x) => x.role === 'ddl')).toEqual(ddl);
    expect(parts.at(-1)!.map((x) => x.sql)).toEqual(['CALL guard()', pin.before, 'CREATE VIEW v4', pin.after]);
  });

  it('a limit too small for the guard and the pin is a caller bug', () => {
    expect(() =>
      pack([guard(), ...Array.from({ length: 5 }, (_, i) => s('ddl', `CREATE VIEW v${i}`, true))], 3),
    ).toThrow(new RangeError('a transaction of 3 statements cannot hold the guard and the session settings'));
  });
});

describe('several units (combined batches, bootstrap runs)', () => {
  const unit = (name: string, ddl: number, extra: { session?: string; alone?: boolean } = {}) => ({
    statements: [guard(name), ...Array.from({ length: ddl }, (_, i) => s('ddl', `CREATE VIEW ${name}_${i}`, true))],
    tag: name,
    ...extra,
  });

  it('guards first in unit order, then every unit’s DDL under ONE pin pair', () => {
    const [tx] = packTransactions([unit('a', 2), unit('b', 1), unit('c', 2)], postgres);
    expect(tx!.units).toEqual(['a', 'b', 'c']);
    expect(tx!.statements.map((x) => x.sql)).toEqual([
      'CALL a()',
      'CALL b()',
      'CALL c()',
      pin.before,
      'CREATE VIEW a_0',
      'CREATE VIEW a_1',
      'CREATE VIEW b_0',
      'CREATE VIEW c_0',
      'CREATE VIEW c_1',
      pin.after,
    ]);
  });

  it('units never change session inside a transaction, and an `alone` unit shares none', () => {
    const txs = packTransactions(
      [
        unit('a', 1, { session: 'admin' }),
        unit('b', 1, { session: 'system' }),
        unit('c', 1, { session: 'system' }),
        unit('d', 1, { session: 'system', alone: true }),
        unit('e', 1, { session: 'system' }),
      ],
      postgres,
    );
    expect(txs.map((t) => [t.session, t.units])).toEqual([
      ['admin', ['a']],
      ['system', ['b', 'c']],
      ['system', ['d']],
      ['system', ['e']],
    ]);
  });

  it(
    'property: every transaction ≤ the limit, units whole and in order, each guard with its DDL, one pin pair ' +
      'where pinned',
    () => {
      const units = fc.array(
        fc.record({
          ddl: fc.nat({ max: 12 }),
          pinned: fc.boolean(),
          guarded: fc.boolean(),
          session: fc.constantFrom('x', 'y'),
        }),
        { maxLength: 30 },
      );
      fc.assert(
        fc.property(units, fc.integer({ min: 5, max: MAX_STATEMENTS_PER_TRANSACTION }), (specs, max) => {
          const input = specs.map((u, n) => ({
            statements: [
              ...(u.guarded ? [guard(`g${n}`)] : []),
              ...Array.from({ length: u.ddl }, (_, i) => s('ddl', `CREATE VIEW u${n}_${i}`, u.pinned)),
            ],
            session: u.session,
            tag: n,
          }));
          const txs = packTransactions(input, postgres, max);
          // Nothing lost, nothing duplicated, order kept per kind (guards and DDL each in input order).
          const out = txs.flatMap((t) => t.statements).filter((x) => x.role !== 'session');
          const all = input.flatMap((u) => u.statements);
          expect(out.filter((x) => x.role !== 'guard')).toEqual(all.filter((x) => x.role !== 'guard'));
          expect(out.filter((x) => x.role === 'guard')).toEqual(all.filter((x) => x.role === 'guard'));
          for (const t of txs) {
            expect(t.statements.length).toBeLessThanOrEqual(max);
            expect(t.statements.length).toBeGreaterThan(0);
            const sessions = t.statements.filter((x) => x.role === 'session').map((x) => x.sql);
            const anyPinned = t.statements.some((x) => x.pinned);
            expect(sessions).toEqual(anyPinned ? [pin.before, pin.after] : []);
            // Every pinned statement sits between the pin and its reset.
            const open = t.statements.findIndex((x) => x.sql === pin.before);
            const close = t.statements.findIndex((x) => x.sql === pin.after);
            t.statements.forEach((x, i) => x.pinned && expect(i > open && i < close).toBe(true));
            // Guards first; one session per transaction.
            const guards = t.statements.map((x) => x.role === 'guard');
            expect(guards).toEqual([...guards].sort((a, b) => Number(b) - Number(a)));
            expect(new Set(t.units.map((n) => input[n]!.session)).size).toBe(1);
          }
          // A unit that fits is in exactly one transaction (its guard commits with all of its DDL).
          input.forEach((u, n) => {
            const holding = txs.filter((t) => t.units.includes(n));
            if (transactionSize(u.statements) <= max && u.statements.length > 0) expect(holding).toHaveLength(1);
            else if (u.statements.some((x) => x.role === 'guard'))
              expect(holding.at(-1)!.statements.some((x) => x.role === 'guard' && x.sql === `CALL g${n}()`)).toBe(true);
          });
        }),
        { numRuns: 300 },
      );
    },
  );
});

describe('bundles: pinned statements several to one CALL (a view set)', () => {
  const runner = pinnedRunner(postgres);
  const view = (i: number, pad = 0) => s('ddl', `CREATE OR REPLACE VIEW v${i} AS SELECT ${i}${' '.repeat(pad)}`, true);
  /** Each bundle CALL replaced by the statements it carries. */
  const expand = (xs: readonly PlannedStatement[]) => xs.flatMap((x) => x.bundled ?? [x]);

  it('a view set of 370 replaced views: ONE transaction of its opening guard and 24 CALLs, no SET/RESET', () => {
    const views = Array.from({ length: 370 }, (_, i) => view(i));
    const txs = packTransactions(
      views.map((v, i) => ({ statements: [v], tag: i })),
      postgres,
      MAX_STATEMENTS_PER_TRANSACTION,
      { opening: () => guard('open'), bundle: runner },
    );
    expect(txs).toHaveLength(1);
    const [tx] = txs;
    expect(tx!.statements).toHaveLength(1 + Math.ceil(370 / PINNED_RUNNER_ARGS));
    expect(tx!.statements[0]!.sql).toBe('CALL open()');
    expect(tx!.statements.some((x) => x.role === 'session')).toBe(false);
    expect(expand(tx!.statements.slice(1))).toEqual(views);
    // Each CALL binds its statements' text in order, the unused arguments NULL; the text is never in the SQL.
    const last = tx!.statements.at(-1)!;
    expect(last.sql).toMatch(/^CALL "immuta_procedures"\."run_pinned"\(CAST\(:p_1 AS text\)/);
    expect(Object.values(last.params!)).toEqual([
      ...views.slice(-(370 % PINNED_RUNNER_ARGS)).map((v) => v.sql),
      ...Array.from({ length: PINNED_RUNNER_ARGS - (370 % PINNED_RUNNER_ARGS) }, () => null),
    ]);
    expect(last.sql).not.toContain('CREATE');
  });

  it('maxUnits: a set of 370 views in transactions of at most 128 views (3 of them), each opened by its guard', () => {
    const views = Array.from({ length: 370 }, (_, i) => view(i));
    const txs = packTransactions(
      views.map((v, i) => ({ statements: [v], tag: i })),
      postgres,
      MAX_STATEMENTS_PER_TRANSACTION,
      { opening: (i) => guard(`open${i}`), bundle: runner, maxUnits: 128 },
    );
    expect(txs.map((t) => t.units.length)).toEqual([128, 128, 114]);
    expect(txs.map((t) => t.statements[0]!.sql)).toEqual(['CALL open0()', 'CALL open1()', 'CALL open2()']);
    expect(expand(txs.flatMap((t) => t.statements.slice(1)))).toEqual(views);
  });

  it('run_pinned carries 1 to 16 statements: its comment names each, its role is ddl whatever it carries', () => {
    expect(() => runner.call([])).toThrow(new RangeError('run_pinned carries 1..16 statements, not 0'));
    expect(() => runner.call(Array.from({ length: PINNED_RUNNER_ARGS + 1 }, (_, i) => view(i)))).toThrow(RangeError);
    const grant = planned('grant', stmt('GRANT SELECT ON v TO PUBLIC', 'grant v'), { pinned: true });
    const call = runner.call([view(1), grant]);
    expect(call.comment).toBe('2 pinned: (no comment); grant v');
    expect(call.role).toBe('ddl');
    expect(runner.call([grant]).role).toBe('ddl');
    expect(call.bundled).toEqual([view(1), grant]);
    expect(runner.call(Array.from({ length: PINNED_RUNNER_ARGS }, (_, i) => view(i))).params).not.toHaveProperty(
      'p_17',
    );
  });

  it('a CALL holds up to 100,000 bytes of statements; one of exactly maxBytes is carried, one byte more is not', () => {
    const big = (i: number, bytes: number) => {
      const head = `CREATE OR REPLACE VIEW v${i} AS SELECT '`;
      return s('ddl', `${head}${'x'.repeat(bytes - head.length - 1)}'`, true);
    };
    // 30,000 bytes each: three fit one CALL's 100,000 bytes, the fourth opens the next CALL.
    const [tx] = packTransactions(
      [{ statements: Array.from({ length: 7 }, (_, i) => big(i, 30_000)), tag: 0 }],
      postgres,
      40,
      { bundle: runner },
    );
    expect(tx!.statements.map((x) => x.bundled?.length)).toEqual([3, 3, 1]);
    // 25,000 bytes each: four are exactly 100,000 and share one CALL.
    const [exact] = packTransactions(
      [{ statements: Array.from({ length: 5 }, (_, i) => big(i, 25_000)), tag: 0 }],
      postgres,
      40,
      { bundle: runner },
    );
    expect(exact!.statements.map((x) => x.bundled?.length)).toEqual([4, 1]);
    const bytes = (n: number) => ({ ...runner, maxBytes: n });
    const one = big(1, 500);
    expect(
      packTransactions([{ statements: [one], tag: 0 }], postgres, 40, { bundle: bytes(500) })[0]!.statements[0]!
        .bundled,
    ).toEqual([one]);
    expect(
      packTransactions([{ statements: [one], tag: 0 }], postgres, 40, { bundle: bytes(499) })[0]!.statements.map(
        (x) => x.sql,
      ),
    ).toEqual([pin.before, one.sql, pin.after]);
  });

  it('a statement the bundle cannot carry (bound parameters, too long) runs on its own under the pin', () => {
    const withParams = planned('ddl', stmt('CREATE VIEW p AS SELECT :x', undefined, { x: 1 }), { pinned: true });
    const long = view(9, runner.maxBytes);
    const [tx] = packTransactions([{ statements: [view(1), withParams, view(2), long], tag: 0 }], postgres, 40, {
      bundle: runner,
    });
    expect(tx!.statements.map((x) => (x.bundled ? `CALL×${x.bundled.length}` : x.sql))).toEqual([
      'CALL×1',
      pin.before,
      withParams.sql,
      'CALL×1',
      long.sql,
      pin.after,
    ]);
  });

  it(
    'property: the same statements in the same order, each CALL within its limits, every transaction ≤ the ' +
      'limit, the pin exactly where a plain pinned statement remains, never more transactions than without',
    () => {
      const units = fc.array(
        fc.record({
          ddl: fc.nat({ max: 60 }),
          pinned: fc.boolean(),
          guarded: fc.boolean(),
          params: fc.boolean(),
          pad: fc.constantFrom(0, 0, 0, 300, 2_000),
        }),
        { maxLength: 25 },
      );
      const bundles = fc.record({
        perCall: fc.integer({ min: 1, max: 16 }),
        maxBytes: fc.integer({ min: 40, max: 1_500 }),
      });
      fc.assert(
        fc.property(
          units,
          bundles,
          fc.integer({ min: 5, max: 40 }),
          fc.integer({ min: 1, max: 30 }),
          (specs, b, max, maxUnits) => {
            const bundle = { ...b, call: runner.call };
            const input = specs.map((u, n) => ({
              statements: [
                ...(u.guarded ? [guard(`g${n}`)] : []),
                ...Array.from({ length: u.ddl }, (_, i) =>
                  planned(
                    'ddl',
                    stmt(
                      `CREATE VIEW u${n}_${i} AS SELECT 1${' '.repeat(u.pad)}`,
                      undefined,
                      u.params ? { a: 1 } : undefined,
                    ),
                    { pinned: u.pinned },
                  ),
                ),
              ],
              tag: n,
            }));
            const txs = packTransactions(input, postgres, max, { bundle, maxUnits });
            const out = expand(txs.flatMap((t) => t.statements)).filter((x) => x.role !== 'session');
            const all = input.flatMap((u) => u.statements);
            expect(out.filter((x) => x.role !== 'guard')).toEqual(all.filter((x) => x.role !== 'guard'));
            expect(out.filter((x) => x.role === 'guard')).toEqual(all.filter((x) => x.role === 'guard'));
            for (const t of txs) {
              expect(t.statements.length).toBeLessThanOrEqual(max);
              expect(t.statements.length).toBeGreaterThan(0);
              expect(t.units.length).toBeLessThanOrEqual(maxUnits);
              for (const call of t.statements.filter((x) => x.bundled)) {
                expect(call.bundled!.length).toBeLessThanOrEqual(b.perCall);
                expect(call.pinned).toBeUndefined();
                for (const x of call.bundled!) {
                  expect(x.pinned && !x.params).toBe(true);
                  expect(statementBytes(x)).toBeLessThanOrEqual(b.maxBytes);
                }
              }
              const sessions = t.statements.filter((x) => x.role === 'session').map((x) => x.sql);
              expect(sessions).toEqual(t.statements.some((x) => x.pinned) ? [pin.before, pin.after] : []);
            }
            if (maxUnits === 30) expect(txs.length).toBeLessThanOrEqual(packTransactions(input, postgres, max).length);
          },
        ),
        { numRuns: 300 },
      );
    },
  );
});

describe('every runner packs with it', () => {
  const config: IntegrationConfig = {
    mode: 'single',
    database: 'dev',
    viewSchema: 'secure',
    systemUser: 'immuta_system_user',
    rawSources: [{ database: 'dev', schema: 'raw' }],
  };
  const steps = planBootstrap(config, redshift, { systemRoleExists: false, schemaOwners: new Map() }, { hashKey: 'k' });

  it('the local bootstrap script: admin steps, then the system role’s steps under one pin, as that role', () => {
    const script = bootstrapScript(steps, config, redshift).map((x) => x.sql);
    const rs = redshift.pinSearchPath();
    expect(script.filter((x) => x === rs.before)).toHaveLength(1);
    expect(script.filter((x) => x === rs.after)).toHaveLength(1);
    const actAs = script.indexOf(redshift.actAs(config.systemUser));
    expect(script[actAs + 1]).toBe(rs.before);
    expect(script.slice(-2)).toEqual([rs.after, redshift.actAs(null)]);
    expect(
      script.filter((x) => x !== rs.before && x !== rs.after && !x.startsWith('SET SESSION AUTHORIZATION')),
    ).toEqual(steps.map((x) => x.statement.sql));
  });

  it('the Data API batches carry the same statements; the key’s batch holds only the key', () => {
    const batches = toBatches(steps, redshift);
    expect(batches.flatMap((b) => b.statements).filter((x) => x.role !== 'session')).toEqual(
      steps.map((x) => x.statement),
    );
    const key = batches.filter((b) => b.statements.some((x) => x.params?.hash_key !== undefined));
    expect(key.map((b) => b.statements.map((x) => x.role))).toEqual([['write']]);
    for (const b of batches)
      expect(b.statements.some((x) => x.role === 'session')).toBe(b.statements.some((x) => x.pinned));
  });

  it('a guard keeps its own parameters when its transaction is packed', () => {
    const call = planDatasourceStateCall(
      { datasourceId: 'ds', version: 1, deleted: false, definition: {}, viewSignature: null, expectedEpoch: 7 },
      postgres,
    );
    const [tx] = pack([call, s('ddl', 'DROP VIEW IF EXISTS v', true)]);
    expect(tx![0]).toBe(call);
  });
});
