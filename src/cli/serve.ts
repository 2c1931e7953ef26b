// tsafs serve [--listen host:port] [--root /afs] [--tls-cert f --tls-key f]: WebDAV and a browser
// listing over the cell, acting with the identity tsafs was started with.

import { isLoopback, startDavServer } from '../serve/server.js';
import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { UsageError } from './output.js';

const DEFAULT_LISTEN = '127.0.0.1:8080';

const SERVE_OPTIONS = {
  listen: {
    type: 'string',
    arg: '<host:port>',
    describe: `address to listen on (default ${DEFAULT_LISTEN})`,
  },
  root: { type: 'string', arg: '<afs-path>', describe: 'the AFS directory served as / (default /afs)' },
  'tls-cert': { type: 'string', arg: '<file>', describe: 'PEM certificate: serve HTTPS (with --tls-key)' },
  'tls-key': { type: 'string', arg: '<file>', describe: 'PEM private key for --tls-cert' },
  'allow-remote': {
    type: 'boolean',
    describe: 'listen on a non-loopback address (every request acts with this identity)',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'serve',
  summary: 'serve the cell over WebDAV and HTML',
  usage:
    'usage: tsafs serve [--listen 127.0.0.1:8080] [--root /afs] [--tls-cert <file> --tls-key <file>] [--allow-remote]',
  options: SERVE_OPTIONS,
  examples: [
    'tsafs serve   # /afs at http://127.0.0.1:8080/ (WebDAV, and HTML for browsers)',
    'tsafs serve --root /afs/example.org/user/me --listen 127.0.0.1:9000',
  ],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, SERVE_OPTIONS, this.usage);
    if (positionals.length > 0) throw new UsageError(this.usage);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(values.listen ?? DEFAULT_LISTEN);
    if (!m) throw new UsageError(`--listen wants host:port\n${this.usage}`);
    const host = m[1]!.replace(/^\[|\]$/g, '');
    const port = Number(m[2]);
    if (!!values['tls-cert'] !== !!values['tls-key'])
      throw new UsageError(`--tls-cert and --tls-key go together\n${this.usage}`);
    // Every request acts with this process's identity: off loopback that is lending it to the network.
    if (!isLoopback(host) && !values['allow-remote'])
      throw new UsageError(`refusing to serve ${host} (not loopback) without --allow-remote\n${this.usage}`);
    const root = ctx.afsPath(values.root ?? '/afs');
    const s = await startDavServer(ctx.client, {
      root,
      host,
      port,
      tlsCert: values['tls-cert'],
      tlsKey: values['tls-key'],
    });
    ctx.stderr.write(`tsafs serve: ${root} at ${s.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await s.close();
    return 0;
  },
};
