// The Data API warehouse, with the AWS SDK mocked at its boundary (aws-sdk-client-mock).
import { beforeEach, describe, expect, it } from 'vitest';
import 'aws-sdk-client-mock-vitest/extend';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ActiveStatementsExceededException,
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-redshift-data';
import { RedshiftDataWarehouse, type StatementObservation } from '../../shared/adapters/redshift-data-warehouse.js';
import { WarehouseError } from '../../shared/ports/warehouse.js';
import { stmt } from '../../shared/sql/statement.js';

const rd = mockClient(RedshiftDataClient);
const ID = 'd9b6c0c9-0747-4bf4-b142-e8883122f766';

let time = 0;
let sleeps: number[] = [];
let observed: StatementObservation[] = [];
function warehouse(extra: Partial<ConstructorParameters<typeof RedshiftDataWarehouse>[0]> = {}) {
  return new RedshiftDataWarehouse({
    client: new RedshiftDataClient({ region: 'eu-west-1' }),
    target: { database: 'dev', clusterIdentifier: 'cluster-1', dbUser: 'immuta_system_user' },
    now: () => time,
    sleep: async (ms) => {
      sleeps.push(ms);
      time += ms;
    },
    observe: (o) => observed.push(o),
    clientToken: () => 'token-1',
    ...extra,
  });
}

async function failure(p: Promise<unknown>): Promise<WarehouseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WarehouseError);
  return err as WarehouseError;
}

beforeEach(() => {
  rd.reset();
  time = 1_000;
  sleeps = [];
  observed = [];
});

describe('transaction (BatchExecuteStatement)', () => {
  it(
    'submits one batch with auth, per-statement renamed ' + 'parameters and a ClientToken, and polls to FINISHED',
    async () => {
      rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
      rd.on(DescribeStatementCommand)
        .resolvesOnce({ Id: ID, Status: 'SUBMITTED' })
        .resolvesOnce({ Id: ID, Status: 'STARTED' })
        .resolves({ Id: ID, Status: 'FINISHED', Duration: 12_000_000 });
      await warehouse().transaction([
        stmt("CALL immuta_procedures.apply_user(:id, :v::int, '::keep :id')", 'user', { id: 'alice', v: 3 }),
        stmt('INSERT INTO t VALUES (:id, :flag, :none, :empty)', undefined, {
          id: 'bob',
          flag: true,
          none: null,
          empty: '',
        }),
      ]);
      expect(rd).toHaveReceivedCommandOnce(BatchExecuteStatementCommand);
      expect(rd).toHaveReceivedCommandWith(BatchExecuteStatementCommand, {
        Database: 'dev',
        ClusterIdentifier: 'cluster-1',
        DbUser: 'immuta_system_user',
        ClientToken: 'token-1',
        Sqls: [
          "CALL immuta_procedures.apply_user(:s0_id, :s0_v::int, '::keep :id')",
          "INSERT INTO t VALUES (:s1_id, :s1_flag, NULL, '')",
        ],
        Parameters: [
          { name: 's0_id', value: 'alice' },
          { name: 's0_v', value: '3' },
          { name: 's1_id', value: 'bob' },
          { name: 's1_flag', value: 'true' },
        ],
      });
      expect(rd).toHaveReceivedCommandTimes(DescribeStatementCommand, 3);
      expect(sleeps).toEqual([100, 150]);
      expect(observed).toEqual([
        expect.objectContaining({
          operation: 'transaction',
          statementId: ID,
          statementCount: 2,
          outcome: 'FINISHED',
          latencyMs: 250,
          redshiftDurationMs: 12,
        }),
      ]);
    },
  );

  it('FAILED: classifies the failing sub-statement, with its index, and redacts bound values', async () => {
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({
      Id: ID,
      Status: 'FAILED',
      Error: 'ERROR: invalid input syntax for integer: "s3cr3t-key"',
      SubStatements: [
        { Id: `${ID}:1`, Status: 'FINISHED' },
        { Id: `${ID}:2`, Status: 'FAILED', Error: 'ERROR: invalid input syntax for integer: "s3cr3t-key"' },
        { Id: `${ID}:3`, Status: 'ABORTED' },
      ],
    });
    const err = await failure(
      warehouse().transaction([
        stmt('SELECT 1'),
        stmt('INSERT INTO k VALUES (:k)', 'store key', { k: 's3cr3t-key' }),
        stmt('SELECT 2'),
      ]),
    );
    expect(err.kind).toBe('permanent');
    expect(err.statementIndex).toBe(1);
    expect(err.message).toContain('store key');
    expect(err.message).not.toContain('s3cr3t-key');
    expect(observed[0]).toMatchObject({ outcome: 'FAILED', errorKind: 'permanent' });
  });

  it.each([
    ['ERROR: viewguard:stale datasource ds1 version 3 <= 5', 'stale'],
    ['ERROR: viewguard:conflict epoch 7 != 6', 'conflict'],
    [
      'ERROR: 1023 DETAIL: Serializable isolation violation on table - 123, transactions forming the cycle are: 1, 2',
      'transient',
    ],
    ['ERROR: canceling statement due to lock timeout', 'transient'],
    ['ERROR: deadlock detected', 'transient'],
    ['ERROR: relation "immuta_system.nope" does not exist', 'permanent'],
  ])('FAILED with %j → %s', async (error, kind) => {
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({
      Id: ID,
      Status: 'FAILED',
      Error: error,
      SubStatements: [{ Id: `${ID}:1`, Status: 'FAILED', Error: error }],
    });
    const err = await failure(warehouse().transaction([stmt('CALL p()')]));
    expect(err.kind).toBe(kind);
    expect(err.statementIndex).toBe(0);
  });

  it('ABORTED fails too (transient: nothing was committed)', async () => {
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolvesOnce({ Id: ID, Status: 'PICKED' }).resolves({ Id: ID, Status: 'ABORTED' });
    const err = await failure(warehouse().transaction([stmt('SELECT 1')]));
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('ABORTED');
    expect(observed[0]).toMatchObject({ outcome: 'ABORTED' });
  });

  it('rejects more than 40 statements without calling the API', async () => {
    const err = await failure(warehouse().transaction(Array.from({ length: 41 }, () => stmt('SELECT 1'))));
    expect(err.kind).toBe('permanent');
    expect(err.message).toMatch(/41 statements.*40/);
    expect(rd).not.toHaveReceivedAnyCommand();
  });

  it('rejects a statement whose parameters do not match its text without calling the API', async () => {
    const err = await failure(warehouse().transaction([stmt('SELECT 1'), stmt('SELECT :a')]));
    expect([err.kind, err.statementIndex]).toEqual(['permanent', 1]);
    expect(rd).not.toHaveReceivedAnyCommand();
  });

  it('throttling and ActiveStatementsExceeded on submit are transient', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    rd.on(BatchExecuteStatementCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(
        new ActiveStatementsExceededException({
          message: 'Active statements exceeded the allowed quota',
          $metadata: {},
        }),
      );
    const first = await failure(warehouse().transaction([stmt('SELECT 1')]));
    expect(first.kind).toBe('transient');
    expect(first.message).toContain('ThrottlingException');
    const second = await failure(warehouse().transaction([stmt('SELECT 1')]));
    expect(second.kind).toBe('transient');
    expect(second.message).toContain('ActiveStatementsExceededException');
    expect(observed.map((o) => o.outcome)).toEqual(['SUBMIT_ERROR', 'SUBMIT_ERROR']);
    // Both are limits the operator's throttling alarm counts (DataApiThrottled).
    expect(observed.map((o) => o.throttled)).toEqual([true, true]);
  });

  it(
    'marks as throttled only the limits (rate, active ' + 'statements/sessions, HTTP 429), not other failures',
    async () => {
      const named = (name: string, status = 400) =>
        Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
      const cases: [Error, boolean][] = [
        [named('TooManyRequestsException'), true],
        [named('ActiveSessionsExceededException'), true],
        [named('ActiveWaitingRequestsExceededException'), true],
        [named('SomeFutureLimitException', 429), true],
        [named('InternalServerException', 500), false],
        [new ValidationException({ message: 'bad', $metadata: {} }), false],
        [Object.assign(new Error('socket'), { code: 'ECONNRESET' }), false],
      ];
      cases.reduce((stub, [err]) => stub.rejectsOnce(err), rd.on(BatchExecuteStatementCommand));
      for (const _ of cases) await failure(warehouse().transaction([stmt('SELECT 1')]));
      expect(observed.map((o) => [o.outcome, o.throttled])).toEqual(cases.map(([, t]) => ['SUBMIT_ERROR', t]));
    },
  );

  it('a ValidationException on submit is permanent', async () => {
    rd.on(BatchExecuteStatementCommand).rejects(new ValidationException({ message: 'Sqls too long', $metadata: {} }));
    expect((await failure(warehouse().transaction([stmt('SELECT 1')]))).kind).toBe('permanent');
  });

  it('tolerates transient DescribeStatement errors, but not more than maxPollErrors in a row', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolves({ Id: ID, Status: 'FINISHED' });
    await warehouse().transaction([stmt('SELECT 1')]);
    expect(rd).toHaveReceivedCommandTimes(DescribeStatementCommand, 3);
    // Each tolerated throttle is observed (not terminal), then the FINISHED statement.
    expect(observed.map((o) => [o.outcome, o.throttled])).toEqual([
      ['POLL_RETRY', true],
      ['POLL_RETRY', true],
      ['FINISHED', undefined],
    ]);

    rd.reset();
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).rejects(throttled);
    observed = [];
    const err = await failure(warehouse({ maxPollErrors: 2 }).transaction([stmt('SELECT 1')]));
    expect(err.kind).toBe('transient');
    expect(rd).toHaveReceivedCommandTimes(DescribeStatementCommand, 3);
    expect(observed.map((o) => [o.outcome, o.throttled])).toEqual([
      ['POLL_RETRY', true],
      ['POLL_RETRY', true],
      ['POLL_ERROR', true],
    ]);
  });

  it('a non-retryable DescribeStatement error (statement not found) is permanent at once', async () => {
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).rejects(
      new ResourceNotFoundException({
        message: 'Query does not exist',
        Message: 'Query does not exist',
        ResourceId: ID,
        $metadata: {},
      }),
    );
    const err = await failure(warehouse().transaction([stmt('SELECT 1')]));
    expect(err.kind).toBe('permanent');
    expect(rd).toHaveReceivedCommandTimes(DescribeStatementCommand, 1);
    expect(observed[0]).toMatchObject({ outcome: 'POLL_ERROR' });
  });

  it('stops at the deadline with a transient error and cancels the statement', async () => {
    rd.on(BatchExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({ Id: ID, Status: 'STARTED' });
    rd.on(CancelStatementCommand).resolves({ Status: true });
    const err = await failure(
      warehouse({ deadline: 1_000 + 1_000 })
        .withDeadline(2_000)
        .transaction([stmt('SELECT 1')]),
    );
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('deadline');
    expect(time).toBeLessThanOrEqual(2_000);
    expect(rd).toHaveReceivedCommandWith(CancelStatementCommand, { Id: ID });
    expect(observed[0]).toMatchObject({ outcome: 'DEADLINE' });
    // Backoff grew and was capped.
    expect(sleeps.slice(0, 4)).toEqual([100, 150, 225, 338]);
  });
});

describe('query (ExecuteStatement + GetStatementResult)', () => {
  const columns = [
    { name: 'id', label: 'id', typeName: 'varchar' },
    { name: 'version', label: 'version', typeName: 'int8' },
    { name: 'deleted', label: 'deleted', typeName: 'bool' },
    { name: 'ratio', label: 'ratio', typeName: 'float8' },
    { name: 'amount', label: 'amount', typeName: 'numeric' },
    { name: 'note', label: 'note', typeName: 'varchar' },
  ];
  const record = (i: number) => [
    { stringValue: `ds${i}` },
    { longValue: i },
    { booleanValue: i % 2 === 0 },
    { doubleValue: i / 2 },
    { stringValue: `${i}.50` },
    { isNull: true },
  ];

  it('follows NextToken over all three pages and maps typed fields by ColumnMetadata', async () => {
    rd.on(ExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({ Id: ID, Status: 'FINISHED', HasResultSet: true, ResultRows: 5 });
    rd.on(GetStatementResultCommand, { Id: ID })
      .resolvesOnce({ ColumnMetadata: columns, Records: [record(1), record(2)], NextToken: 'p2', TotalNumRows: 5 })
      .resolvesOnce({ Records: [record(3), record(4)], NextToken: 'p3', TotalNumRows: 5 })
      .resolvesOnce({ Records: [record(5)], TotalNumRows: 5 });
    const rows = await warehouse({ target: { database: 'dev', workgroupName: 'wg' } }).query(
      stmt('SELECT * FROM immuta_system.datasource_state WHERE datasource_id <> :id', 'read states', { id: 'x' }),
    );
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({ id: 'ds1', version: 1, deleted: false, ratio: 0.5, amount: '1.50', note: null });
    expect(rows.map((r) => r.id)).toEqual(['ds1', 'ds2', 'ds3', 'ds4', 'ds5']);
    expect(rd).toHaveReceivedCommandTimes(GetStatementResultCommand, 3);
    expect(rd).toHaveReceivedNthCommandWith(GetStatementResultCommand, 2, { Id: ID, NextToken: 'p2' });
    expect(rd).toHaveReceivedNthCommandWith(GetStatementResultCommand, 3, { Id: ID, NextToken: 'p3' });
    expect(rd).toHaveReceivedCommandWith(ExecuteStatementCommand, {
      Database: 'dev',
      WorkgroupName: 'wg',
      Sql: 'SELECT * FROM immuta_system.datasource_state WHERE datasource_id <> :id',
      Parameters: [{ name: 'id', value: 'x' }],
      ClientToken: 'token-1',
    });
    expect(observed[0]).toMatchObject({ operation: 'query', outcome: 'FINISHED', resultRows: 5 });
  });

  it('a statement without a result set returns [] without GetStatementResult', async () => {
    rd.on(ExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({ Id: ID, Status: 'FINISHED', HasResultSet: false });
    expect(
      await warehouse({ target: { database: 'dev', secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x' } }).query(
        stmt('SELECT 1'),
      ),
    ).toEqual([]);
    expect(rd).not.toHaveReceivedCommand(GetStatementResultCommand);
    expect(rd).toHaveReceivedCommandWith(ExecuteStatementCommand, {
      SecretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
    });
  });

  it('refuses a BIGINT that the JSON response could not carry exactly', async () => {
    rd.on(ExecuteStatementCommand).resolves({ Id: ID });
    rd.on(DescribeStatementCommand).resolves({ Id: ID, Status: 'FINISHED', HasResultSet: true });
    rd.on(GetStatementResultCommand).resolves({
      ColumnMetadata: [{ name: 'n', typeName: 'int8' }],
      Records: [[{ longValue: 2 ** 60 }]],
    });
    expect((await failure(warehouse().query(stmt('SELECT n FROM big')))).kind).toBe('permanent');
  });
});

describe('configuration', () => {
  it('requires exactly one authentication mode', () => {
    const client = new RedshiftDataClient({ region: 'eu-west-1' });
    expect(
      () => new RedshiftDataWarehouse({ client, target: { database: 'dev', clusterIdentifier: 'c' } as never }),
    ).toThrow(/exactly one/);
    expect(
      () =>
        new RedshiftDataWarehouse({
          client,
          target: { database: 'dev', workgroupName: 'w', dbUser: 'u', clusterIdentifier: 'c' } as never,
        }),
    ).toThrow(/exactly one/);
  });
});
