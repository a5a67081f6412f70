// The transaction packer's bundle for the apply path (shared/sql/transaction-packer.ts, `Bundle`): up to 16
// pinned statements as ONE `CALL run_pinned(…)` (routine-definitions.ts), each statement's text a bound
// parameter — never spliced into the CALL's text — cast to the procedure's argument type, unused arguments
// NULL. A statement longer than that type holds (Redshift VARCHAR(65535): a longer value would be cut) is not
// carried and runs on its own.
import type { Dialect } from '../sql/dialect.js';
import { planned, type PlannedStatement } from '../sql/statement.js';
import type { Bundle } from '../sql/transaction-packer.js';
import { PINNED_RUNNER_ARGS, procedureArgs } from './routine-definitions.js';
import { callStatement } from './state-call-plan.js';
import { PROCEDURES } from './warehouse-objects.js';

/** Redshift's longest VARCHAR, in bytes; PostgreSQL's text has no such bound, the same limit is kept. */
const MAX_ARGUMENT_BYTES = 65_535;

export function pinnedRunner(dialect: Dialect): Bundle {
  const args = procedureArgs(dialect).runPinned;
  return {
    perCall: PINNED_RUNNER_ARGS,
    maxBytes: MAX_ARGUMENT_BYTES,
    call(statements: readonly PlannedStatement[]): PlannedStatement {
      if (statements.length === 0 || statements.length > args.length)
        throw new RangeError(`run_pinned carries 1..${args.length} statements, not ${statements.length}`);
      const values = Object.fromEntries(args.map((a, i) => [a.name, statements[i]?.sql ?? null]));
      const comment = `${statements.length} pinned: ${statements.map((s) => s.comment ?? '(no comment)').join('; ')}`;
      // A CALL that runs DDL, whatever roles it carries: `bundled` keeps each statement's own.
      return {
        ...planned('ddl', callStatement(dialect, PROCEDURES.runPinned, args, values, comment)),
        bundled: statements,
      };
    },
  };
}
