// datasource.* event → one work message in the view's group: every change to one view stays in order.
import type { WebhookEventOf } from '../events/event-types.js';
import type { WorkMessage } from '../ports/work-queue.js';
import type { DataSourceWorkItem } from './work-item.js';
import { deduplicationId, viewGroupId } from './fifo-group-key.js';

export type DataSourceEvent = WebhookEventOf<'datasource.created' | 'datasource.updated' | 'datasource.deleted'>;

export function dataSourceWorkItem(event: DataSourceEvent): DataSourceWorkItem {
  const origin = { eventId: event.id, eventTime: event.time };
  if (event.type === 'datasource.deleted') {
    return {
      kind: 'datasource',
      ...origin,
      dataSourceId: event.data.id,
      version: event.data.version,
      deleted: true,
      definition: null,
    };
  }
  const ds = event.data.dataSource;
  return { kind: 'datasource', ...origin, dataSourceId: ds.id, version: ds.version, deleted: false, definition: ds };
}

export function routeDataSourceEvent(event: DataSourceEvent): WorkMessage[] {
  const item = dataSourceWorkItem(event);
  return [
    {
      groupId: viewGroupId(item.dataSourceId),
      deduplicationId: deduplicationId(event.id, `datasource:${item.dataSourceId}`),
      body: JSON.stringify(item),
    },
  ];
}
