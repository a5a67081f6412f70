// Data sources, policies and users for the fault tests, turned into work messages by the REAL routers
// (shared/routing/route-*.ts), and recorded in the SentHistory the oracle compares against. Every id and
// name carries a per-test prefix so that one warehouse serves every test of a file.
import type { LocalWarehouse } from '../../../infra/local/local-warehouse.js';
import type { WebhookEvent } from '../../../shared/events/event-types.js';
import { routeDataSourceEvent, type DataSourceEvent } from '../../../shared/routing/route-datasource.js';
import { routePolicyEvent, type PolicyEvent } from '../../../shared/routing/route-policy.js';
import { routeUserEvent, type UserEvent } from '../../../shared/routing/route-user.js';
import { DataSourceSchema, type DataSource } from '../../../shared/policy/data-source.js';
import { PolicySchema, type Policy, type PolicyInput } from '../../../shared/policy/policy.js';
import type { WorkMessage } from '../../../shared/ports/work-queue.js';
import { postgres } from '../../../shared/sql/postgres-dialect.js';
import { stmt } from '../../../shared/sql/statement.js';
import type { SentHistory } from './oracle.js';

/** Omit over each member of the union (a plain Omit collapses the policy types). */
type WithoutHeader<T> = T extends unknown ? Omit<T, 'name' | 'createdAt'> : never;

let eventSeq = 0;
const envelope = (type: string, subject: string, data: unknown): WebhookEvent =>
  ({
    specversion: '1.0',
    id: `evt-${++eventSeq}-${process.pid}`,
    source: 'urn:fault-test',
    type,
    subject,
    time: new Date().toISOString(),
    data,
  }) as unknown as WebhookEvent;

export class Objects {
  constructor(
    readonly prefix: string,
    private readonly wh: LocalWarehouse,
    readonly sent: SentHistory,
  ) {}

  id(name: string): string {
    return `${this.prefix}-${name}`;
  }
  /** View and role names: identifiers, so underscores. */
  name(name: string): string {
    return `${this.prefix}_${name}`.replace(/-/g, '_');
  }

  /** orders: id, region (tag <prefix>.Geo), email (tag <prefix>.PII), amount; `table` may name a missing one. */
  orders(version: number, options: { name?: string; table?: string; withAmount?: boolean } = {}): DataSource {
    const columns = [
      { name: 'id', type: 'int4' },
      { name: 'region', type: 'varchar(8)', tags: [`${this.tag()}.Geo`] },
      { name: 'email', type: 'varchar(32)', tags: [`${this.tag()}.PII`] },
      ...(options.withAmount === false ? [] : [{ name: 'amount', type: 'int4' }]),
    ];
    return DataSourceSchema.parse({
      id: this.id(options.name ?? 'orders'),
      name: this.name(options.name ?? 'orders'),
      version,
      location: { database: 'postgres', schema: 'raw', table: options.table ?? 'orders' },
      kind: 'table',
      columns,
      tags: [this.tag()],
    });
  }

  /** items: id, sku — a second view, in its own FIFO group. */
  items(version: number): DataSource {
    return DataSourceSchema.parse({
      id: this.id('items'),
      name: this.name('items'),
      version,
      location: { database: 'postgres', schema: 'raw', table: 'items' },
      kind: 'table',
      columns: [
        { name: 'id', type: 'int4' },
        { name: 'sku', type: version % 2 === 1 ? 'varchar(16)' : 'varchar(20)' },
      ],
      tags: [this.tag()],
    });
  }

  tag(): string {
    return `T${this.prefix.replace(/[^A-Za-z0-9]/g, '')}`;
  }

  subscriptionAnyone(version: number): Policy {
    return this.policy({
      id: this.id('sub'),
      version,
      type: 'subscription',
      scope: { kind: 'global', tags: [this.tag()] },
      access: { kind: 'anyone' },
    });
  }
  /** v odd: PII nulled; v even: PII constant 'xx' — every version changes the view. */
  piiMask(version: number): Policy {
    return this.policy({
      id: this.id('mask'),
      version,
      type: 'mask',
      scope: { kind: 'global', tags: [this.tag()] },
      target: { kind: 'tag', tag: `${this.tag()}.PII` },
      mask: version % 2 === 1 ? { kind: 'null' } : { kind: 'constant', value: 'xx' },
    });
  }
  regionFilter(version: number, id = 'rf'): Policy {
    return this.policy({
      id: this.id(id),
      version,
      type: 'rowFilter',
      scope: { kind: 'global', tags: [this.tag()] },
      filter: { kind: 'attributeMatch', column: { kind: 'tag', tag: `${this.tag()}.Geo` }, attribute: 'region' },
    });
  }
  policy(p: WithoutHeader<PolicyInput>): Policy {
    return PolicySchema.parse({ name: String(p.id), createdAt: '2026-01-01T00:00:00Z', ...p });
  }

  // ------------------------------------------------------------------ events → messages (real routers)

  /** The webhook event of a data source version (recorded as sent). */
  dataSourceEvent(ds: DataSource): WebhookEvent {
    this.sent.dataSource(ds.id, ds.version, ds);
    return envelope(ds.version === 1 ? 'datasource.created' : 'datasource.updated', ds.id, { dataSource: ds });
  }
  policyEvent(p: Policy): WebhookEvent {
    this.sent.policy(p.id, p.version, p);
    return envelope('policy.updated', p.id, { policy: p });
  }
  userEvent(name: string, version: number, attributes: Record<string, string[]> = {}): WebhookEvent {
    const userId = this.name(name);
    this.sent.user(userId, version);
    return envelope('user.updated', userId, { user: { userId, version, groups: [], attributes, dataSources: [] } });
  }

  dataSourceMessages(ds: DataSource): WorkMessage[] {
    return routeDataSourceEvent(this.dataSourceEvent(ds) as DataSourceEvent);
  }
  /** The policy router reads the catalog for the fan-out, like the policy Lambda. */
  async policyMessages(p: Policy): Promise<WorkMessage[]> {
    return routePolicyEvent(this.policyEvent(p) as PolicyEvent, this.wh.system, postgres);
  }
  userMessages(name: string, version: number, attributes: Record<string, string[]> = {}): WorkMessage[] {
    return routeUserEvent(this.userEvent(name, version, attributes) as UserEvent);
  }

  /** A login role per user name (the oracle reads the views as them). */
  async createRoles(...names: string[]): Promise<string[]> {
    const roles = names.map((n) => this.name(n));
    await this.wh.admin(roles.map((r) => stmt(`CREATE ROLE ${postgres.quoteIdent(r)} LOGIN`)));
    return roles;
  }
}
