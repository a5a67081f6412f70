// One valid event of each type: the examples in docs/events.md (a test checks the doc shows exactly these),
// the fixtures of the event tests, and what the local demo can send.
import type { EventType } from '../routing/routing-table.js';
import type { WebhookEventInput } from './event-types.js';

const envelope = {
  specversion: '1.0',
  source: 'https://governance.example.com/webhooks',
  time: '2026-11-27T10:00:00Z',
  datacontenttype: 'application/json',
} as const;

export const EVENT_EXAMPLES = {
  'datasource.created': {
    ...envelope,
    id: 'evt-0001',
    type: 'datasource.created',
    subject: 'ds-orders',
    data: {
      dataSource: {
        id: 'ds-orders',
        name: 'orders',
        version: 1,
        location: { database: 'sales', schema: 'public', table: 'orders' },
        kind: 'table',
        columns: [
          { name: 'order_id', type: 'int8' },
          { name: 'region', type: 'varchar(16)' },
          { name: 'customer_email', type: 'varchar(256)', tags: ['PII.Email'] },
          { name: 'amount', type: 'numeric(12,2)' },
        ],
        tags: ['Sales'],
      },
    },
  },
  'datasource.updated': {
    ...envelope,
    id: 'evt-0002',
    type: 'datasource.updated',
    subject: 'ds-orders',
    data: {
      dataSource: {
        id: 'ds-orders',
        name: 'orders',
        version: 2,
        location: { database: 'sales', schema: 'public', table: 'orders' },
        kind: 'table',
        columns: [
          { name: 'order_id', type: 'int8' },
          { name: 'region', type: 'varchar(16)' },
          { name: 'customer_email', type: 'varchar(256)', tags: ['PII.Email'] },
        ],
        tags: ['Sales'],
      },
    },
  },
  'datasource.deleted': {
    ...envelope,
    id: 'evt-0003',
    type: 'datasource.deleted',
    subject: 'ds-orders',
    data: { id: 'ds-orders', version: 3 },
  },
  'policy.created': {
    ...envelope,
    id: 'evt-0004',
    type: 'policy.created',
    subject: 'pol-mask-email',
    data: {
      policy: {
        id: 'pol-mask-email',
        version: 1,
        name: 'Hash e-mail addresses except for support',
        createdAt: '2026-11-27T09:59:00Z',
        scope: { kind: 'global', tags: ['PII'] },
        type: 'mask',
        target: { kind: 'tag', tag: 'PII.Email' },
        mask: { kind: 'hash' },
        condition: { kind: 'everyoneExcept', except: { groups: ['support'] } },
      },
    },
  },
  'policy.updated': {
    ...envelope,
    id: 'evt-0005',
    type: 'policy.updated',
    subject: 'pol-region-filter',
    data: {
      policy: {
        id: 'pol-region-filter',
        version: 4,
        name: 'Rows of the user’s own region',
        createdAt: '2026-11-20T08:00:00Z',
        scope: { kind: 'local', dataSourceId: 'ds-orders' },
        type: 'rowFilter',
        filter: { kind: 'attributeMatch', column: { kind: 'column', name: 'region' }, attribute: 'region' },
        exception: { groups: ['auditors'] },
      },
    },
  },
  'policy.deleted': {
    ...envelope,
    id: 'evt-0006',
    type: 'policy.deleted',
    subject: 'pol-region-filter',
    data: { id: 'pol-region-filter', version: 5 },
  },
  'user.updated': {
    ...envelope,
    id: 'evt-0007',
    type: 'user.updated',
    subject: 'alice',
    data: {
      user: {
        userId: 'alice',
        version: 7,
        groups: ['analysts'],
        attributes: { region: ['EU', 'US'] },
        projects: ['churn'],
        currentProject: 'churn',
        purposes: ['Fraud Detection'],
        dataSources: ['ds-orders'],
      },
    },
  },
  'user.deleted': {
    ...envelope,
    id: 'evt-0008',
    type: 'user.deleted',
    subject: 'alice',
    data: { userId: 'alice', version: 8 },
  },
} as const satisfies { [T in EventType]: Extract<WebhookEventInput, { type: T }> };
