// `tsafs serve`: an HTTP(S) server for the WebDAV handler, on loopback unless told otherwise.

import { readFile } from 'node:fs/promises';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AfsClient } from '../client.js';
import { DavHandler } from './dav.js';

export interface ServeOptions {
  root: string;
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
}

export interface DavServer {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Requests idle this long are dropped, so no connection holds the process forever. */
const REQUEST_TIMEOUT_MS = 300_000;

export async function startDavServer(client: AfsClient, o: ServeOptions): Promise<DavServer> {
  const dav = new DavHandler(client, { root: o.root });
  const tls =
    o.tlsCert && o.tlsKey ? { cert: await readFile(o.tlsCert), key: await readFile(o.tlsKey) } : undefined;
  const server: Server = tls ? createHttps(tls, dav.handle) : createHttp(dav.handle);
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${host}:${a.port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dav.close();
    },
  };
}

/** Whether host is a loopback address (plain HTTP off loopback would carry identities in clear). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
