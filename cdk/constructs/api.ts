import { Duration, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { corsExposeHeaders, type FunctionName, routes } from '../wiring';
import { waive } from './controls';
import { apiThrottle } from './defaults';
import { logGroup } from './log-groups';

export interface ApiProps {
  functions: Record<FunctionName, lambda.IFunction>;
  /** Cognito issuer and app client: the JWT authorizer accepts their ID and access tokens. */
  issuer: string;
  audience: string[];
  /** The web app's origin (the CDN URL), the only origin browsers may call the API from. */
  webOrigin: string;
}

/** Browser headers for the CloudEvents binary content mode (`ce-<attribute>`), besides auth and type. */
const corsHeaders = [
  'authorization',
  'content-type',
  ...['specversion', 'id', 'source', 'type', 'subject', 'time', 'dataschema'].map((name) => `ce-${name}`),
];

/** One JSON line per request, with the HTTP API's own context variables. */
const accessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    httpMethod: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    sub: '$context.authorizer.claims.sub',
  }),
);

/** The HTTP API: one route per wiring route, behind the Cognito JWT authorizer unless the route says not. */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Sluice: CloudEvents ingestion API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [props.webOrigin],
        allowHeaders: corsHeaders,
        allowMethods: [
          apigw.CorsHttpMethod.GET,
          apigw.CorsHttpMethod.POST,
          apigw.CorsHttpMethod.PUT,
          apigw.CorsHttpMethod.OPTIONS,
        ],
        exposeHeaders: corsExposeHeaders,
        maxAge: Duration.hours(1),
      },
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: apiThrottle,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(logGroup(this, 'AccessLogs')),
        format: accessLogFormat,
      },
    });

    const authorizer = new HttpJwtAuthorizer('CognitoJwt', props.issuer, { jwtAudience: props.audience });
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (name: FunctionName): HttpLambdaIntegration => {
      if (!integrations.has(name)) {
        integrations.set(name, new HttpLambdaIntegration(`${name}-integration`, props.functions[name]));
      }
      return integrations.get(name)!;
    };
    for (const route of routes) {
      const [added] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrationOf(route.function),
        authorizer: route.auth ? authorizer : new apigw.HttpNoneAuthorizer(),
      });
      // API Gateway may invoke the function only for this API's route (SourceArn, which CDK sets) and only from
      // this account (SourceAccount).
      for (const permission of added?.node.findAll().filter((c) => c instanceof lambda.CfnPermission) ?? []) {
        (permission as lambda.CfnPermission).sourceAccount = Stack.of(this).account;
      }
      if (!route.auth && added) {
        waive(
          added,
          'ct-apigateway-pr-5',
          `${route.method} ${route.path} is public by contract: uptime checks and API clients call it before they sign in, and it serves no tenant data (the service status or the OpenAPI document).`,
        );
        NagSuppressions.addResourceSuppressions(added, [
          {
            id: 'AwsSolutions-APIG4',
            reason: `${route.method} ${route.path} is public by contract (the health check and the API's description need no credentials).`,
          },
        ]);
      }
    }
  }

  /** The API's base URL, without a trailing slash. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }
}
