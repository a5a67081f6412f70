// Type checks the SQL text cannot give the lint: every result expression of a column's CASE must be of one type
// category, or Redshift refuses the view ("CASE types … cannot be matched") and it fails closed for every user.
// The types come from the compiler itself (CompiledView.columns[].branchTypes), never from parsing the text.
// Categories: Redshift converts implicitly within a category ("data types that fall into the same type category
// … are compatible", https://docs.aws.amazon.com/redshift/latest/dg/r_Type_conversion.html; CASE:
// https://docs.aws.amazon.com/redshift/latest/dg/r_CASE_function.html); 'unknown' (NULL, an untyped literal)
// takes the other branches' type.
import { diagnostic, type Diagnostic } from '../../../shared/diagnostics/diagnostic.js';

export type TypeCategory = 'string' | 'number' | 'boolean' | 'datetime' | 'time' | 'unknown';

/** The category of a SQL type as the compiler spells types (shared/policy/column-type.ts, dialect textType). */
export function typeCategory(sqlType: string): TypeCategory {
  const t = sqlType.toLowerCase().replace(/\(.*\)$/, '');
  if (t === 'unknown') return 'unknown';
  if (['varchar', 'char', 'text', 'bpchar', 'character varying', 'character'].includes(t)) return 'string';
  if (
    [
      'int2',
      'int4',
      'int8',
      'numeric',
      'decimal',
      'float4',
      'float8',
      'smallint',
      'integer',
      'bigint',
      'real',
    ].includes(t)
  )
    return 'number';
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (['date', 'timestamp', 'timestamptz'].includes(t)) return 'datetime';
  if (['time', 'timetz'].includes(t)) return 'time';
  throw new Error(`typeCategory: unknown type ${sqlType}`);
}

/** VG405 for each column whose CASE mixes type categories. */
export function lintViewTypes(columns: readonly { name: string; branchTypes: readonly string[] }[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of columns) {
    const categories = [...new Set(c.branchTypes.map(typeCategory).filter((k) => k !== 'unknown'))];
    if (categories.length > 1) {
      out.push(
        diagnostic(
          'VG405',
          `column ${JSON.stringify(c.name)}: the CASE mixes ${c.branchTypes.join(', ')} (` +
            `${categories.join(' and ')}); Redshift cannot match these types`,
          [c.name],
        ),
      );
    }
  }
  return out;
}
