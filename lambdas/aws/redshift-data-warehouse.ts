// The Data API warehouse adapter lives in shared/adapters/ (the CLI and the conformance check use it too);
// the apply and policy handlers still import it from here.
export {
  RedshiftDataWarehouse,
  type RedshiftTarget,
  type StatementObservation,
} from '../../shared/adapters/redshift-data-warehouse.js';
