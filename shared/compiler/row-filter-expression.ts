// One row filter policy → one boolean over `t` (the raw row) and `p` (the user's profile row). Every filter
// is ANDed into the view's WHERE; a NULL result hides the row (fail closed).
import { diagnostic } from '../diagnostics/diagnostic.js';
import { targetColumns } from '../policy/applicable-policies.js';
import { parseColumnType } from '../policy/column-type.js';
import type { Column, DataSource } from '../policy/data-source.js';
import type { ColumnTarget, RowFilterPolicy } from '../policy/policy.js';
import type { Dialect } from '../sql/dialect.js';
import { compileCustomWhere } from './custom-where.js';
import { constantMisfit } from './mask-constant.js';
import { ProfileDecisions, criteriaSql, usingPurposeSql } from './profile-decisions.js';
import { Uncompilable } from './uncompilable.js';

/**
 * The longest time window computed, per unit: 5000 years. The engines' timestamps start in 4713 BC, so "now
 * minus 100000 months" made every query of the view fail ("timestamp out of range"); a longer window is read
 * as 5000 years (docs/policies.md).
 */
const MAX_WINDOW: Record<string, number> = {
  minute: 100000,
  hour: 100000,
  day: 100000,
  week: 100000,
  month: 60000,
  year: 5000,
};

/** Minimization compares MOD(bucket, 10000) with percent × 100 (percent has at most two decimals). */
const MINIMIZE_SCALE = 10000;

export function rowFilterSql(dialect: Dialect, ds: DataSource, policy: RowFilterPolicy, p: ProfileDecisions): string {
  const f = policy.filter;
  const columns = (target: ColumnTarget): Column[] => {
    const cols = targetColumns(target, ds);
    if (cols.length === 0) {
      const named = target.kind === 'column' ? JSON.stringify(target.name) : `tagged ${JSON.stringify(target.tag)}`;
      throw new Uncompilable([
        diagnostic(
          'VG302',
          `row filter ${JSON.stringify(policy.id)}: no column ${named} in data source ${JSON.stringify(ds.id)}`,
          ['filter', 'column'],
        ),
      ]);
    }
    return cols;
  };
  const ref = (c: Column): string => `t.${dialect.quoteIdent(c.name)}`;
  const typeOf = (c: Column) => parseColumnType(c.type)!;
  const asText = (c: Column): string => `CAST(${ref(c)} AS ${dialect.textType(typeOf(c).textWidth)})`;
  // Several columns carrying the target tag: every one must match (the stricter reading fails closed).
  const each = (target: ColumnTarget, fn: (c: Column) => string): string => columns(target).map(fn).join(' AND ');

  let cond: string;
  switch (f.kind) {
    case 'never':
      cond = 'FALSE';
      break;
    // A row filter's condition only hides rows (ANDed, ORed with its exception): unknown is as good as false.
    case 'groupMatch':
      cond = each(f.column, (c) => p.member(asText(c), 'group', undefined, 'filter'));
      break;
    case 'attributeMatch':
      cond = each(f.column, (c) => p.member(asText(c), 'attribute', f.attribute, 'filter'));
      break;
    case 'values':
      cond = each(f.column, (c) => {
        const type = typeOf(c);
        // Typed comparison (numeric 100.5 = '100.50'); a value the column cannot hold is a policy error.
        // An unbounded text column compares as the dialect's widest text (Redshift: VARCHAR(65535), never its
        // TEXT = VARCHAR(256), which would cut a longer value); a value must fit the type it is cast to.
        const castTo = type.sql === 'text' ? dialect.textType(null) : type.sql;
        const values = f.values.map((v, i) => {
          const why = constantMisfit(dialect, type, v, castTo);
          if (why)
            throw new Uncompilable([
              diagnostic(
                'VG307',
                `row filter ${JSON.stringify(policy.id)}: value ${JSON.stringify(v)} ${why} (column ` +
                  `${JSON.stringify(c.name)} is ${type.sql})`,
                ['filter', 'values', i],
              ),
            ]);
          return `CAST(${dialect.quoteLiteral(v)} AS ${castTo})`;
        });
        // NOT IN on a NULL value is NULL: the row is hidden either way (documented).
        return `${ref(c)} ${f.not ? 'NOT IN' : 'IN'} (${values.join(', ')})`;
      });
      break;
    case 'timeWindow':
      cond = each(f.column, (c) => {
        const type = typeOf(c);
        if (type.family !== 'date' && type.family !== 'timestamp') {
          throw new Uncompilable([
            diagnostic(
              'VG307',
              `row filter ${JSON.stringify(policy.id)}: a time window needs a date or timestamp column (` +
                `${JSON.stringify(c.name)} is ${type.sql})`,
              ['filter', 'column'],
            ),
          ]);
        }
        // A date column takes a timestamp's bound: the date compares as its midnight (no dialect builds another).
        const kind = type.sql === 'timestamptz' ? 'timestamptz' : 'timestamp';
        return (
          `${ref(c)} ${f.direction === 'newer' ? '>=' : '<'} ` +
          `${dialect.timeAgo(Math.min(f.amount, MAX_WINDOW[f.unit]), f.unit, kind)}`
        );
      });
      break;
    case 'minimize': {
      // The same rows for the same user on every query: MD5(key text | user name) decides. A NULL key hides
      // the row. The user name comes from the profile row (= current_user).
      const threshold = Math.round(f.percent * 100);
      cond = each(f.column, (c) => {
        const text = `${asText(c)} || ${dialect.quoteLiteral('|')} || ${p.list('immuta__userid')}`;
        return `MOD(${dialect.hashBucket(text)}, ${MINIMIZE_SCALE}) < ${threshold}`;
      });
      break;
    }
    case 'usingPurpose':
      cond = p.decision(usingPurposeSql(dialect, f.purposes));
      break;
    case 'where':
      cond = compileCustomWhere(f.clause, { dialect, ds, p, policyId: policy.id, path: ['filter', 'clause'] });
      break;
  }
  return policy.exception ? `(${p.decision(criteriaSql(dialect, policy.exception))} OR ${cond})` : `(${cond})`;
}
