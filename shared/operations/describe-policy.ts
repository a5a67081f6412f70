// One-line, human-readable forms of policy parts for the operator tools' tables (explain, plan). Words only:
// the JSON of a policy is what `--json` prints.
import type {
  ColumnTarget,
  MaskCondition,
  MaskFunction,
  RowFilterRule,
  SubscriptionAccess,
  UserCriteria,
} from '../policy/policy.js';

const q = JSON.stringify;

export function describeTarget(t: ColumnTarget): string {
  return t.kind === 'column' ? `column ${t.name}` : `columns tagged ${t.tag}`;
}

export function describeCriteria(c: UserCriteria): string {
  const parts = [
    ...c.groups.map((g) => `group ${q(g)}`),
    ...Object.entries(c.attributes).flatMap(([k, vs]) => vs.map((v) => `${k}=${q(v)}`)),
    ...c.purposes.map((p) => `purpose ${q(p)}`),
  ];
  return parts.join(c.match === 'all' ? ' and ' : ' or ');
}

export function describeMask(fn: MaskFunction | { kind: 'clear' }): string {
  switch (fn.kind) {
    case 'clear':
    case 'hash':
    case 'null':
      return fn.kind;
    case 'constant':
      return `constant ${q(fn.value)}`;
    case 'regex':
      return (
        `regex ${q(fn.pattern)} → ${q(fn.replacement)}${fn.global ? ' (all)' : ' (first)'}` +
        `${fn.caseInsensitive ? ' (i)' : ''}`
      );
    case 'round': {
      const to = [fn.bucket !== undefined ? `to ${fn.bucket}` : '', fn.unit !== undefined ? `to the ${fn.unit}` : ''];
      return `round ${to.filter(Boolean).join(' / ')}`;
    }
    case 'partial':
      return `partial: keep ${fn.keep} ${fn.count}${fn.preserveFormat ? ', keep separators' : ''}`;
  }
}

export function describeCondition(c: MaskCondition): string {
  switch (c.kind) {
    case 'everyone':
      return 'for everyone';
    case 'everyoneExcept':
      return `for everyone except ${describeCriteria(c.except)}`;
    case 'everyoneWho':
      return `for ${describeCriteria(c.who)}; others: ${describeMask(c.otherwise)}`;
  }
}

export function describeAccess(a: SubscriptionAccess | null): string {
  if (a === null) return 'approved users only (no subscription policy)';
  switch (a.kind) {
    case 'anyone':
      return 'anyone with a profile';
    case 'usersWith':
      return `users with ${describeCriteria(a.who)}`;
    case 'approved':
      return 'individually approved users';
    case 'usingPurpose':
      return `users acting under ${a.purposes.map((p) => q(p)).join(' or ')}`;
  }
}

export function describeFilter(f: RowFilterRule): string {
  switch (f.kind) {
    case 'never':
      return 'no rows';
    case 'attributeMatch':
      return `${describeTarget(f.column)} in the user's ${q(f.attribute)} values`;
    case 'groupMatch':
      return `${describeTarget(f.column)} in the user's groups`;
    case 'values':
      return `${describeTarget(f.column)} ${f.not ? 'not in' : 'in'} (${f.values.map((v) => q(v)).join(', ')})`;
    case 'timeWindow':
      return `${describeTarget(f.column)} ${f.direction} than ${f.amount} ${f.unit}(s)`;
    case 'minimize':
      return `${f.percent} % of rows by ${describeTarget(f.column)}`;
    case 'usingPurpose':
      return `users acting under ${f.purposes.map((p) => q(p)).join(' or ')}`;
    case 'where':
      return `where ${f.clause}`;
  }
}
