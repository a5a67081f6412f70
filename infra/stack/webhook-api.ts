// POST /webhooks → ingest Lambda. API Gateway only throttles and checks that the Standard Webhooks headers are
// present; the signature is verified in the ingest Lambda over the raw body (REQUEST authorizers never see the
// body). API Gateway REST accepts payloads up to 10 MB, so the body limit is enforced by ingest (VG506 → 413).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FrontDoorConfig } from './front-door-config.js';
import { FrontDoor, restApiFrontDoorProps, WEBHOOK_PATH } from './front-door.js';

export interface WebhookApiProps {
  ingest: lambda.IFunction;
  rateLimit: number;
  burstLimit: number;
  removalPolicy: RemovalPolicy;
  /** Endpoint type, resource policy, WAF, custom domain, stage (infra/stack/front-door.ts). */
  frontDoor: FrontDoorConfig;
  /** The environment's resource prefix (`viewguard-<env>`). */
  namePrefix: string;
}

export class WebhookApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly webhookUrl: string;
  readonly frontDoor: FrontDoor;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${props.namePrefix}-webhooks`,
      description: 'viewguard: signed governance webhooks in',
      ...restApiFrontDoorProps(this, props.frontDoor),
      // The role API Gateway logs with is one setting per account and region (AWS::ApiGateway::Account): when
      // several environments share them, exactly one stack should own it (apiCloudWatchRole).
      cloudWatchRole: props.frontDoor.apiCloudWatchRole,
      ...(props.frontDoor.apiCloudWatchRole ? { cloudWatchRoleRemovalPolicy: props.removalPolicy } : {}),
      deployOptions: {
        stageName: props.frontDoor.stageName,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false, // a trace would log bodies and signature headers
        metricsEnabled: true,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    // Validation never rewrites the body (the HMAC needs it byte-for-byte); the model only turns away what is not
    // a JSON object before a Lambda runs. The real schema check (coded diagnostics) is in ingest.
    const validator = this.api.addRequestValidator('HeadersAndBody', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const envelope = this.api.addModel('Envelope', {
      contentType: 'application/json',
      modelName: 'CloudEventsEnvelope',
      schema: { schema: apigateway.JsonSchemaVersion.DRAFT4, type: apigateway.JsonSchemaType.OBJECT },
    });
    this.api.root.addResource(WEBHOOK_PATH).addMethod('POST', new apigateway.LambdaIntegration(props.ingest), {
      requestValidator: validator,
      requestModels: { 'application/json': envelope },
      requestParameters: {
        'method.request.header.webhook-id': true,
        'method.request.header.webhook-timestamp': true,
        'method.request.header.webhook-signature': true,
      },
    });
    this.frontDoor = new FrontDoor(this, 'FrontDoor', {
      api: this.api,
      config: props.frontDoor,
      namePrefix: props.namePrefix,
      removalPolicy: props.removalPolicy,
    });
    this.webhookUrl = this.frontDoor.webhookUrl;
  }
}
