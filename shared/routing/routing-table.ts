// The one routing table: the CDK stack makes one EventBridge rule per entry, and the local process routes
// with the same entries, so the deployed and local pipelines cannot drift apart. `readsCatalog`: the router
// reads the catalog to decide its fan-out, so the stack gives it the warehouse settings and Data API access.
export const EVENT_SOURCE = 'viewguard.webhooks';

export const ROUTES = [
  {
    category: 'datasource',
    functionName: 'datasource',
    readsCatalog: false,
    types: ['datasource.created', 'datasource.updated', 'datasource.deleted'],
  },
  {
    category: 'policy',
    functionName: 'policy',
    readsCatalog: true,
    types: ['policy.created', 'policy.updated', 'policy.deleted'],
  },
  { category: 'user', functionName: 'user', readsCatalog: false, types: ['user.updated', 'user.deleted'] },
] as const;

export type Route = (typeof ROUTES)[number];
export type EventCategory = Route['category'];
export type EventType = Route['types'][number];

export const EVENT_TYPES: readonly EventType[] = ROUTES.flatMap((r) => r.types);

export function routeFor(type: string): Route | undefined {
  return ROUTES.find((r) => (r.types as readonly string[]).includes(type));
}
