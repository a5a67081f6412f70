// Every option of the policy model v1 (docs/policies.md "Policies") at its edges, as the sender of a policy
// event sees it: a policy just inside a bound is accepted, with the documented defaults filled in; just
// outside it, the webhook is refused (400, VG504) with the JSON path of the offending field and the reason.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EVENT_EXAMPLES } from '../../shared/events/event-examples.js';
import { parseWebhook } from '../../shared/events/webhook-parser.js';
import { signWebhook } from '../../shared/events/webhook-signature.js';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const now = new Date('2026-11-27T12:00:00Z');
type Json = Record<string, unknown>;

/** Send `policy` as a policy.created webhook; the accepted policy, or the refusal's [path, summary] pairs. */
function send(policy: Json): { policy?: Json; refused?: [string, string][] } {
  const event = { ...EVENT_EXAMPLES['policy.created'], subject: String(policy.id), data: { policy } };
  const body = JSON.stringify(event);
  const r = parseWebhook(body, signWebhook(body, secret, 'msg_1', now), secret, now);
  if (r.ok) return { policy: (r.event.data as { policy: Json }).policy };
  expect(r.status).toBe(400);
  expect(r.diagnostics.every((d) => d.code === 'VG504')).toBe(true);
  return { refused: r.diagnostics.map((d) => [d.path.slice(2).join('.'), d.summary]) };
}

const head = { id: 'p', version: 0, name: 'n', createdAt: '2024-05-01T10:00:00Z', scope: { kind: 'global' } };
const mask = (m: Json, extra: Json = {}): Json => ({
  ...head,
  type: 'mask',
  target: { kind: 'column', name: 'c' },
  mask: m,
  ...extra,
});
const filter = (f: Json, extra: Json = {}): Json => ({ ...head, type: 'rowFilter', filter: f, ...extra });
const col = { kind: 'column', name: 'c' };
const everyoneWho = (who: Json): Json => mask({ kind: 'null' }, { condition: { kind: 'everyoneWho', who } });

const accepted = (policy: Json): Json => {
  const r = send(policy);
  expect(r.refused).toBeUndefined();
  return r.policy!;
};
/** Refused with exactly one problem at `path` whose summary matches `why`. */
const refused = (policy: Json, path: string, why: RegExp | string): void => {
  const r = send(policy);
  expect(r.refused?.map(([p]) => p)).toEqual([path]);
  expect(r.refused![0]![1]).toMatch(why);
};

describe('policy events at the edges of the model', () => {
  it('common fields: non-empty id and name (one character is enough), a version from 0', () => {
    expect(accepted({ ...mask({ kind: 'hash' }), id: 'a', name: 'ab', version: 0 })).toMatchObject({ id: 'a' });
    refused({ ...mask({ kind: 'hash' }), name: '' }, 'name', />=1/);
    refused({ ...mask({ kind: 'hash' }), version: -1 }, 'version', />=0/);
    refused({ ...mask({ kind: 'hash' }), scope: { kind: 'local', dataSourceId: '' } }, 'scope.dataSourceId', />=1/);
    expect(accepted({ ...mask({ kind: 'hash' }), scope: { kind: 'local', dataSourceId: 'ds-x' } })).toMatchObject({
      scope: { kind: 'local', dataSourceId: 'ds-x' },
    });
  });

  it('every kind of every union is accepted as written, explicit defaults included', () => {
    const who = { groups: ['g'], attributes: {}, purposes: [], match: 'any' };
    const sub = (access: Json): Json => ({ ...head, type: 'subscription', access });
    for (const access of [
      { kind: 'anyone' },
      { kind: 'usersWith', who },
      { kind: 'approved' },
      { kind: 'usingPurpose', purposes: ['p'] },
    ])
      expect(accepted(sub(access)).access).toEqual(access);
    for (const condition of [
      { kind: 'everyone' },
      { kind: 'everyoneExcept', except: who },
      { kind: 'everyoneWho', who, otherwise: { kind: 'clear' } },
      { kind: 'everyoneWho', who, otherwise: { kind: 'constant', value: 'x' } },
    ])
      expect(accepted(mask({ kind: 'null' }, { condition })).condition).toEqual(condition);
    for (const f of [
      { kind: 'attributeMatch', column: col, attribute: 'a' },
      { kind: 'groupMatch', column: { kind: 'tag', tag: 'T.U' } },
      { kind: 'never' },
    ])
      expect(accepted(filter(f)).filter).toEqual(f);
    refused(filter({ kind: 'always' }), 'filter.kind', /attributeMatch/);
  });

  it('createdAt is an ISO 8601 date and time, with Z or an offset', () => {
    for (const createdAt of ['2024-05-01T10:00:00Z', '2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.5-05:30'])
      expect(accepted({ ...mask({ kind: 'hash' }), createdAt }).createdAt).toBe(createdAt);
    for (const createdAt of ['yesterday', '2024-05-01', '2024-05-01 10:00:00Z'])
      refused({ ...mask({ kind: 'hash' }), createdAt }, 'createdAt', /datetime/);
  });

  it('user criteria: groups, attributes or purposes alone or together; match defaults to any; none refused', () => {
    const cases: [Json, Json][] = [
      [{ groups: ['g'] }, { groups: ['g'], attributes: {}, purposes: [], match: 'any' }],
      [{ attributes: { k: ['a', 'b'] } }, { groups: [], attributes: { k: ['a', 'b'] }, purposes: [], match: 'any' }],
      [{ purposes: ['p', 'q'] }, { groups: [], attributes: {}, purposes: ['p', 'q'], match: 'any' }],
      [
        { groups: ['g', 'h'], attributes: { k: ['a'] }, match: 'all' },
        { groups: ['g', 'h'], attributes: { k: ['a'] }, purposes: [], match: 'all' },
      ],
    ];
    for (const [who, parsed] of cases) {
      expect((accepted(everyoneWho(who)).condition as Json).who).toEqual(parsed);
    }
    refused(everyoneWho({}), 'condition.who', 'name at least one group, attribute or purpose');
    refused(everyoneWho({ groups: [] }), 'condition.who', 'name at least one group, attribute or purpose');
    refused(everyoneWho({ attributes: { k: [] } }), 'condition.who.attributes.k', />=1/);
    refused(everyoneWho({ groups: [''] }), 'condition.who.groups.0', />=1/);
    refused(everyoneWho({ groups: ['g'], match: 'some' }), 'condition.who.match', /any|all/);
  });

  it('mask condition defaults to everyone; everyoneWho defaults otherwise to the clear value', () => {
    expect(accepted(mask({ kind: 'hash' })).condition).toEqual({ kind: 'everyone' });
    expect(accepted(everyoneWho({ groups: ['g'] })).condition).toMatchObject({ otherwise: { kind: 'clear' } });
    refused(mask({ kind: 'hash' }, { where: '' }), 'where', />=1/);
    expect(accepted(mask({ kind: 'hash' }, { where: 'c' })).where).toBe('c');
  });

  it('regex masks: a valid pattern of 1 to 1000 characters, a literal replacement, global and case defaults', () => {
    const regex = (r: Json) => mask({ kind: 'regex', pattern: 'a', replacement: 'x', ...r });
    expect(accepted(regex({})).mask).toEqual({
      kind: 'regex',
      pattern: 'a',
      replacement: 'x',
      global: true,
      caseInsensitive: false,
    });
    expect(accepted(regex({ pattern: 'a'.repeat(1000), replacement: '' })).mask).toMatchObject({ replacement: '' });
    refused(regex({ pattern: 'a'.repeat(1001) }), 'mask.pattern', /<=1000/);
    refused(regex({ pattern: '' }), 'mask.pattern', />=1/);
    refused(regex({ pattern: '(a' }), 'mask.pattern', 'not a valid regular expression');
    refused(regex({ replacement: 'a\\1' }), 'mask.replacement', 'the replacement is literal text: no \\ or $');
    refused(regex({ replacement: '$1' }), 'mask.replacement', 'the replacement is literal text: no \\ or $');
  });

  it('round masks: a bucket up to 1e15 written as a plain decimal of at most 10 fraction digits, every unit', () => {
    const round = (r: Json) => mask({ kind: 'round', ...r });
    for (const bucket of [1e15, 10, 0.25, 1234.5, 0.1234567891])
      expect(accepted(round({ bucket })).mask).toEqual({ kind: 'round', bucket });
    const plain = 'a plain decimal with at most 10 fraction digits';
    for (const bucket of [1e-7, 0.12345678912, 1e-11]) refused(round({ bucket }), 'mask.bucket', plain);
    refused(round({ bucket: 1e15 + 2 }), 'mask.bucket', /<=1000000000000000$/);
    for (const unit of ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute'])
      expect(accepted(round({ unit })).mask).toEqual({ kind: 'round', unit });
    refused(round({ unit: 'second' }), 'mask.unit', /minute/);
  });

  it('partial masks: keep first or last, 0 to 1000 characters, one mask character other than \\ and $', () => {
    const partial = (r: Json) => mask({ kind: 'partial', keep: 'last', count: 4, ...r });
    expect(accepted(partial({})).mask).toEqual({
      kind: 'partial',
      keep: 'last',
      count: 4,
      maskChar: '*',
      preserveFormat: false,
    });
    for (const keep of ['first', 'last']) expect(accepted(partial({ keep })).mask).toMatchObject({ keep });
    for (const count of [0, 1000]) expect(accepted(partial({ count })).mask).toMatchObject({ count });
    for (const maskChar of ['#', 'é', '😀']) expect(accepted(partial({ maskChar })).mask).toMatchObject({ maskChar });
    refused(partial({ count: 1001 }), 'mask.count', /<=1000/);
    refused(partial({ count: -1 }), 'mask.count', />=0/);
    const one = 'one character other than \\ and $';
    for (const maskChar of ['', '##', '\\', '$', 'a$', '$a']) refused(partial({ maskChar }), 'mask.maskChar', one);
  });

  it('subscriptions: usingPurpose names one or more purposes', () => {
    const sub = (access: Json): Json => ({ ...head, type: 'subscription', access });
    expect(accepted(sub({ kind: 'usingPurpose', purposes: ['a', 'b'] })).access).toEqual({
      kind: 'usingPurpose',
      purposes: ['a', 'b'],
    });
    refused(sub({ kind: 'usingPurpose', purposes: [] }), 'access.purposes', />=1/);
  });

  it('row filters: values, time windows, minimization, purposes and clauses at their edges', () => {
    expect(accepted(filter({ kind: 'values', column: col, values: ['a', 'b'] })).filter).toEqual({
      kind: 'values',
      column: col,
      values: ['a', 'b'],
      not: false,
    });
    refused(filter({ kind: 'values', column: col, values: [] }), 'filter.values', />=1/);
    const window = (w: Json) =>
      filter({ kind: 'timeWindow', column: col, direction: 'newer', amount: 1, unit: 'day', ...w });
    for (const amount of [1, 2, 100000]) expect(accepted(window({ amount })).filter).toMatchObject({ amount });
    refused(window({ amount: 0 }), 'filter.amount', />=1/);
    refused(window({ amount: 100001 }), 'filter.amount', /<=100000/);
    for (const direction of ['newer', 'older'])
      expect(accepted(window({ direction })).filter).toMatchObject({ direction });
    for (const unit of ['minute', 'hour', 'day', 'week', 'month', 'year'])
      expect(accepted(window({ unit })).filter).toMatchObject({ unit });
    refused(window({ unit: 'quarter' }), 'filter.unit', /year/);
    const minimize = (percent: number) => filter({ kind: 'minimize', column: col, percent });
    for (const percent of [0.01, 50, 100]) expect(accepted(minimize(percent)).filter).toMatchObject({ percent });
    refused(minimize(100.01), 'filter.percent', /<=100\b/);
    refused(filter({ kind: 'usingPurpose', purposes: [] }), 'filter.purposes', />=1/);
    expect(accepted(filter({ kind: 'usingPurpose', purposes: ['a', 'b'] })).filter).toMatchObject({
      purposes: ['a', 'b'],
    });
    for (const clause of ['c', 'c'.repeat(4000)])
      expect(accepted(filter({ kind: 'where', clause })).filter).toMatchObject({ clause });
    refused(filter({ kind: 'where', clause: 'c'.repeat(4001) }), 'filter.clause', /<=4000/);
  });
});
