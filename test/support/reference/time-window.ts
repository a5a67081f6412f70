// Time-window row filters (docs/policies.md): the row is kept when the column is newer than (>=) or older
// than (<) the query time minus `amount` `unit`s, in UTC; months and years keep the day of the month,
// clamped to the month's last day. The query time is known only within an interval, so a row whose answer
// changes inside it is 'maybe'.
import type { RowFilterPolicy } from '../../../shared/policy/policy.js';
import { US_PER_DAY, civilFromDays, daysFromCivil, typed, type RefType } from './values.js';

type TimeWindow = Extract<RowFilterPolicy['filter'], { kind: 'timeWindow' }>;

const MINUTE = 60_000_000n;

function minus(now: bigint, amount: number, unit: TimeWindow['unit']): bigint {
  const n = BigInt(amount);
  switch (unit) {
    case 'minute':
      return now - n * MINUTE;
    case 'hour':
      return now - n * 60n * MINUTE;
    case 'day':
      return now - n * US_PER_DAY;
    case 'week':
      return now - 7n * n * US_PER_DAY;
    case 'month':
    case 'year': {
      const days = Number(now / US_PER_DAY);
      const tod = now - BigInt(days) * US_PER_DAY;
      const [y, m, d] = civilFromDays(days);
      const total = y * 12 + (m - 1) - amount * (unit === 'year' ? 12 : 1);
      const [ny, nm] = [Math.floor(total / 12), (total % 12) + 1];
      const first = daysFromCivil(ny, nm, 1);
      const lastDay = daysFromCivil(nm === 12 ? ny + 1 : ny, nm === 12 ? 1 : nm + 1, 1) - first;
      return BigInt(daysFromCivil(ny, nm, Math.min(d, lastDay))) * US_PER_DAY + tod;
    }
  }
}

export function timeWindowKeeps(
  type: RefType,
  literal: string,
  rule: TimeWindow,
  now: { from: bigint; to: bigint },
  dialect: 'postgres' | 'redshift',
): boolean | 'maybe' {
  const v = typed(type, literal);
  const at = v.kind === 'date' ? BigInt(v.days) * US_PER_DAY : v.kind === 'timestamp' ? v.us : 0n;
  // Redshift's GETDATE() has whole seconds (its page's example): the boundary may be up to a second earlier.
  const from = dialect === 'redshift' ? now.from - 1_000_000n : now.from;
  // docs: a window longer than 5000 years is read as 5000 years.
  const amount = Math.min(rule.amount, rule.unit === 'year' ? 5000 : rule.unit === 'month' ? 60000 : rule.amount);
  const keep = (t: bigint): boolean => {
    const boundary = minus(t, amount, rule.unit);
    return rule.direction === 'newer' ? at >= boundary : at < boundary;
  };
  const [a, b] = [keep(from), keep(now.to)];
  return a === b ? a : 'maybe';
}
