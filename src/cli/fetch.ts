// tsafs fetch <volume> <vnode> <unique> [-o file]: read a file by FID (no path walk).

import { createWriteStream } from 'node:fs';
import type { AfsClient } from '../client.js';
import { parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { printJson, UsageError } from './output.js';

function parseId(s: string | undefined, what: string): number {
  if (s === undefined || !/^\d+$/.test(s) || Number(s) > 0xffffffff)
    throw new UsageError(`bad ${what}: ${s ?? '(missing)'}`);
  return Number(s);
}

export async function fetchCommand(
  client: AfsClient,
  args: string[],
  opts: { output?: string; json: boolean; cell?: string },
): Promise<void> {
  if (args.length !== 3) throw new UsageError('usage: tsafs fetch <volume> <vnode> <unique> [-o file]');
  const entry = await client.vldbEntry(args[0]!, opts.cell);
  const fid = {
    volume: /^\d+$/.test(args[0]!) ? Number(args[0]) : entry.volumeIds.rw,
    vnode: parseId(args[1], 'vnode'),
    unique: parseId(args[2], 'unique'),
  };
  const toStdout = !opts.output || opts.output === '-';
  const out = toStdout ? process.stdout : createWriteStream(opts.output!);
  const t0 = process.hrtime.bigint();
  let outError: Error | undefined;
  out.on('error', (e: Error) => {
    outError = e;
  });
  const write = async (c: Buffer): Promise<void> => {
    if (outError) throw outError;
    if (!out.write(c)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  const r = await client.fetchByFid(fid, write, { cell: opts.cell });
  if (!toStdout)
    await new Promise<void>((resolve, reject) =>
      (out as NodeJS.WritableStream).end((e?: Error) => (e ? reject(e) : resolve())),
    );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (opts.json) printJson({ fid, bytes: r.total, seconds: secs });
  else if (!toStdout)
    process.stderr.write(
      `${r.total} bytes in ${secs.toFixed(2)} s (${(r.total / secs / 1e6).toFixed(1)} MB/s)\n`,
    );
}

const OPTIONS = {
  output: {
    type: 'string',
    short: 'o',
    arg: '<file>',
    describe: 'write the data to this local file (default stdout)',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'fetch',
  summary: 'read a file by FID (-o file, default stdout)',
  usage: 'usage: tsafs fetch <volume> <vnode> <unique> [-o file]',
  options: OPTIONS,
  examples: ['tsafs fetch 536870918 2 1 -o out.bin   # volume, vnode, uniquifier'],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, this.usage);
    await fetchCommand(ctx.client, positionals, { output: values.output, json: ctx.json, cell: ctx.cell });
    return undefined;
  },
};
