/**
 * Listening on 127.0.0.1 only, with a fallback to a free port when a preferred one is taken, and closing
 * servers without waiting for idle keep-alive connections.
 */
import { createServer, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';

export const host = '127.0.0.1';

/** Listens on 127.0.0.1:`port`; a preferred (not fixed) port that is taken falls back to a free one. */
export async function listen(
  server: Pick<Server, 'listen' | 'once' | 'off' | 'address'>,
  want: { port: number; fixed: boolean },
): Promise<number> {
  const attempt = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
  try {
    await attempt(want.port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || want.fixed || want.port === 0) {
      throw (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? new Error(
            `port ${want.port} on ${host} is in use (another local cloud? set SLUICE_PORT_BASE to move)`,
          )
        : error;
    }
    await attempt(0);
  }
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return address.port;
}

/** A port that is free right now (for servers started by others, e.g. a child process). */
export async function freePort(want: { port: number; fixed: boolean }): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, want);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function closeServer(server: HttpServer): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  server.closeAllConnections();
  await closed;
}
