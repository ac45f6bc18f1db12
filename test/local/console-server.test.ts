/** The console server: the bundled UI, its configuration, and the `/sfn` proxy to Step Functions. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startConsole, type ExecutionsConsole } from '../../local/console/server';
import { closeServer, freePort } from '../../local/services/network';

let upstream: Server;
let server: ExecutionsConsole;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  // A stand-in Step Functions that records what reaches it and answers like AWS.
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const missing = req.headers['x-amz-target'] === 'AWSStepFunctions.DescribeExecution';
      res.writeHead(missing ? 400 : 200, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': 'req-1',
        ...(missing ? { 'x-amzn-errortype': 'ExecutionDoesNotExist' } : {}),
      });
      res.end(missing ? '{"__type":"ExecutionDoesNotExist","message":"gone"}' : '{"stateMachines":[]}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  server = await startConsole({
    port: { port: 0, fixed: false },
    sfnEndpoint: `http://127.0.0.1:${port}`,
    cdnUrl: 'http://127.0.0.1:4701',
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  await closeServer(upstream);
});

const sfn = (target: string, body = '{}') =>
  fetch(`${server.url}/sfn`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
    body,
  });

describe('the executions console server', () => {
  it('serves the page, the bundled app and its configuration', async () => {
    const page = await fetch(server.url);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js"></script>');
    const app = await fetch(`${server.url}/app.js`);
    expect(app.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await app.text()).toContain('AWSStepFunctions.');
    expect(await (await fetch(`${server.url}/config.json`)).json()).toEqual({
      sfnPath: '/sfn',
      cdnUrl: 'http://127.0.0.1:4701',
    });
    expect((await fetch(`${server.url}/app.css`)).status).toBe(200);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
  });

  it('forwards a Step Functions request unchanged and relays the answer, errors included', async () => {
    received.length = 0;
    const listed = await sfn('AWSStepFunctions.ListStateMachines', '{"maxResults":5}');
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ stateMachines: [] });
    expect(received).toHaveLength(1);
    expect(received[0]!.body).toBe('{"maxResults":5}');
    expect(received[0]!.headers).toMatchObject({
      'x-amz-target': 'AWSStepFunctions.ListStateMachines',
      'content-type': 'application/x-amz-json-1.0',
    });
    const missing = await sfn('AWSStepFunctions.DescribeExecution', '{"executionArn":"arn:x"}');
    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-amzn-errortype')).toBe('ExecutionDoesNotExist');
    expect(await missing.json()).toEqual({ __type: 'ExecutionDoesNotExist', message: 'gone' });
  });

  it('forwards only the read operations and StopExecution', async () => {
    received.length = 0;
    const started = await sfn('AWSStepFunctions.StartExecution');
    expect(started.status).toBe(400);
    expect(await started.json()).toMatchObject({ __type: 'UnknownOperationException' });
    expect((await sfn('Other.ListStateMachines')).status).toBe(400);
    expect(received).toHaveLength(0);
    expect((await sfn('AWSStepFunctions.StopExecution')).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('answers only requests addressed to itself (no DNS rebinding)', async () => {
    const { port } = new URL(server.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('says Step Functions is unreachable when it is down', async () => {
    const down = await startConsole({
      port: { port: 0, fixed: false },
      sfnEndpoint: `http://127.0.0.1:${await freePort({ port: 0, fixed: false })}`,
    });
    try {
      const response = await fetch(`${down.url}/sfn`, {
        method: 'POST',
        headers: { 'x-amz-target': 'AWSStepFunctions.ListStateMachines' },
        body: '{}',
      });
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ __type: 'ServiceUnavailable' });
      expect(await (await fetch(`${down.url}/config.json`)).json()).toEqual({ sfnPath: '/sfn' });
    } finally {
      await down.stop();
    }
  });
});
