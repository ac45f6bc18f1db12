/**
 * `npm start`: the whole pipeline on 127.0.0.1 with fixed ports (SLUICE_PORT_BASE, default 4700), state in
 * SLUICE_DATA_DIR (default .sluice). Ctrl-C stops everything.
 */
import { resolve } from 'node:path';
import { startLocalCloud, type Endpoints } from './cloud';
import { localCredentials } from './services/credentials';

// Lambda runs nodejs22.x, where the SDK has nothing to warn about; locally Node 20 is supported.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const dataDir = process.env.SLUICE_DATA_DIR ?? '.sluice';
const started = Date.now();
const cloud = await startLocalCloud({ dataDir, ports: 'fixed', log: (line) => console.log(line) }).catch(
  (error: unknown) => {
    console.error(`The local cloud did not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

function banner(e: Endpoints): string {
  const row = (label: string, url: string, note = '') => `  ${label.padEnd(17)} ${url.padEnd(24)} ${note}`;
  const cli = `AWS_ACCESS_KEY_ID=${localCredentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${localCredentials.secretAccessKey} AWS_DEFAULT_REGION=${e.region}`;
  // The CLI finds .sluice/endpoints.json by itself; a moved data dir it reads from SLUICE_DATA_DIR.
  const sluice = process.env.SLUICE_DATA_DIR
    ? `SLUICE_DATA_DIR=${process.env.SLUICE_DATA_DIR} npx sluice `
    : 'npx sluice ';
  return [
    '',
    `Sluice local cloud is up in ${((Date.now() - started) / 1000).toFixed(1)} s (data: ${resolve(dataDir)})`,
    '',
    row('API', e.apiUrl, 'HTTP API, Cognito JWT authorizer (GET /health and GET /openapi.json are open)'),
    row('Web app / CDN', e.cdnUrl, 'CloudFront: web app, signed-URL uploads'),
    row('Cognito', e.cognitoEndpoint, `user pool ${e.userPoolId}, app client ${e.userPoolClientId}`),
    row('Step Functions', e.sfnEndpoint, e.stateMachineArn),
    row('Console', e.consoleUrl, 'executions: graph, event history, stop (local only)'),
    row('S3', e.s3Endpoint, `bucket ${e.bucketName}`),
    row(
      'SQS',
      e.sqsEndpoint,
      `queue ${e.queueUrl.split('/').pop()}, DLQ ${e.deadLetterQueueUrl.split('/').pop()}`,
    ),
    row('DynamoDB', e.dynamodbEndpoint, `table ${e.tableName}`),
    row('Secrets Manager', e.secretsManagerEndpoint, 'GetSecretValue only'),
    row('endpoints.json', resolve(dataDir, 'endpoints.json')),
    '',
    'Create a user:   npm run user -- you@example.com "Your-Passw0rd!"   (or open the web app and sign up)',
    `  or sign up:    export ${cli}`,
    `                 aws cognito-idp sign-up --endpoint-url ${e.cognitoEndpoint} --client-id ${e.userPoolClientId} \\`,
    '                   --username you@example.com --password "Your-Passw0rd!" --user-attributes Name=email,Value=you@example.com',
    `                 aws cognito-idp admin-confirm-sign-up --endpoint-url ${e.cognitoEndpoint} --user-pool-id ${e.userPoolId} --username you@example.com`,
    `Sluice CLI:      ${sluice}signup --username you@example.com, then ${sluice}upload sample.ndjson --watch`,
    `AWS CLI:         ${cli} aws --endpoint-url <URL above> …`,
    'Settings:        SLUICE_<SETTING>=value, e.g. SLUICE_MAXREQUESTBYTES=1048576; ports: SLUICE_PORT_BASE=4700',
    'Demo:            npm run demo (in another terminal)        Ctrl-C stops everything.',
    '',
  ].join('\n');
}

console.log(banner(cloud.endpoints));

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the local cloud…');
    cloud.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
