// The custom bus, its archive (for replays), and one rule per entry of the routing table — the same table the
// local router uses, so the two cannot drift. Each rule target retries and then dead-letters into its own queue:
// EventBridge's default (24 h / 185 attempts, then dropped) would lose events silently.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE, ROUTES, type EventCategory } from '../../shared/routing/routing-table.js';

export interface EventRoutingProps {
  routers: Record<EventCategory, lambda.IFunction>;
  removalPolicy: RemovalPolicy;
  archiveRetention: Duration;
}

export interface RouteWiring {
  category: EventCategory;
  rule: events.Rule;
  deadLetterQueue: sqs.Queue;
}

export const TARGET_RETRY_ATTEMPTS = 10;
export const TARGET_MAX_EVENT_AGE = Duration.hours(6);

export class EventRouting extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly routes: RouteWiring[];

  constructor(scope: Construct, id: string, props: EventRoutingProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'viewguard: verified webhooks' });
    this.archive = this.bus.archive('Archive', {
      description: 'every verified webhook, for replay (replays are safe: stale versions are skipped)',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention,
    });
    this.archive.applyRemovalPolicy(props.removalPolicy);
    this.routes = ROUTES.map((route) => {
      const name = route.category[0]!.toUpperCase() + route.category.slice(1);
      const deadLetterQueue = new sqs.Queue(this, `${name}TargetDlq`, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
        removalPolicy: props.removalPolicy,
      });
      const rule = new events.Rule(this, `${name}Rule`, {
        eventBus: this.bus,
        description: `viewguard: ${route.types.join(', ')} → ${route.functionName}`,
        eventPattern: { source: [EVENT_SOURCE], detailType: [...route.types] },
      });
      rule.addTarget(
        new targets.LambdaFunction(props.routers[route.category], {
          deadLetterQueue,
          retryAttempts: TARGET_RETRY_ATTEMPTS,
          maxEventAge: TARGET_MAX_EVENT_AGE,
        }),
      );
      return { category: route.category, rule, deadLetterQueue };
    });
  }
}
