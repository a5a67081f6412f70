// A warehouse that refuses, at CREATE VIEW, a view the compiler compiled without a diagnostic: an event trigger
// (PostgreSQL, on PGlite and on the server) raises at the end of CREATE [OR REPLACE] VIEW when the new view's
// definition contains REFUSED_LITERAL. It stands for the refusals the compiler cannot foresee (a warehouse rule
// the stand-in lacks, a raw table changed under its data source), so the tests of the apply-time fail-closed
// path do not rest on a gap in the compiler's checks: every such gap found is closed in the compiler. The
// fail-closed view never contains the literal (no clause, no raw table), so the engine takes it.
import { stmt, type SqlStatement } from '../../shared/sql/statement.js';

export const REFUSED_LITERAL = 'the-warehouse-refuses-this-view';
/** The engine's message (SQLSTATE 0A000, feature_not_supported: a permanent refusal, like Redshift's). */
export const REFUSAL = /the warehouse refuses this view \(test refusal\)/;
/** A custom WHERE clause over a string column that the compiler accepts and the refusing warehouse refuses. */
export const refusedClause = (column: string): string => `${column} <> '${REFUSED_LITERAL}'`;

/** Admin statements (a superuser) that make this database refuse every view whose definition has the literal. */
export function refuseMarkedViews(): SqlStatement[] {
  return [
    stmt(`CREATE FUNCTION public.vg_test_refuse_marked_views() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE o record;
BEGIN
  FOR o IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'view' LOOP
    IF strpos(pg_get_viewdef(o.objid), '${REFUSED_LITERAL}') > 0 THEN
      RAISE EXCEPTION 'the warehouse refuses this view (test refusal)' USING ERRCODE = 'feature_not_supported';
    END IF;
  END LOOP;
END $$`),
    stmt(
      `CREATE EVENT TRIGGER vg_test_refuse_marked_views ON ddl_command_end WHEN TAG IN ('CREATE VIEW') EXECUTE ` +
        `FUNCTION public.vg_test_refuse_marked_views()`,
    ),
  ];
}
