// The one routing table: the CDK stack makes one EventBridge rule per entry, and the local process routes
// with the same entries, so the deployed and local pipelines cannot drift apart.
export const EVENT_SOURCE = 'viewguard.webhooks';

export const ROUTES = [
  { category: 'datasource', functionName: 'datasource', types: ['datasource.created', 'datasource.updated', 'datasource.deleted'] },
  { category: 'policy', functionName: 'policy', types: ['policy.created', 'policy.updated', 'policy.deleted'] },
  { category: 'user', functionName: 'user', types: ['user.updated', 'user.deleted'] },
] as const;

export type Route = (typeof ROUTES)[number];
export type EventCategory = Route['category'];
export type EventType = Route['types'][number];

export const EVENT_TYPES: readonly EventType[] = ROUTES.flatMap((r) => r.types);

export function routeFor(type: string): Route | undefined {
  return ROUTES.find((r) => (r.types as readonly string[]).includes(type));
}
