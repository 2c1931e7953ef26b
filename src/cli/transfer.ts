// Moving bytes between AFS and local files or standard streams, with backpressure and a progress
// bar. Local files named after server-sent entry names are opened without following symlinks.

import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AFSFid } from '../rpc/types.js';
import type { CliContext } from './command.js';
import type { Progress } from './progress.js';

/** A pass-through that feeds the progress bar and the byte count. */
function counter(p: Progress, tally: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      tally.n += chunk.length;
      p.add(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Flags for a local file we create from server data: never write through a symlink. */
export const LOCAL_CREATE_NOFOLLOW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** What afsToLocal needs to know of the AFS file (an AfsStats has it). */
export interface AfsSource {
  cell: string;
  fid: AFSFid;
  size: number;
}

/** Write to a stream, waiting when it is full (backpressure), failing once it has failed. */
function writer(out: NodeJS.WritableStream): {
  write(c: Buffer): Promise<void>;
  failed(): Error | undefined;
} {
  let error: Error | undefined;
  out.on('error', (e: Error) => {
    error = e;
  });
  return {
    async write(c) {
      if (error) throw error;
      if (!out.write(c))
        await new Promise<void>((resolve, reject) => {
          const done = (e?: Error) => {
            out.off('drain', done);
            out.off('error', done);
            if (e) reject(e);
            else resolve();
          };
          out.on('drain', done);
          out.on('error', done);
        });
    },
    failed: () => error,
  };
}

/**
 * Copy an AFS file to a local file (a path as bytes) or, with `to: '-'`, to stdout. Whole files
 * go by FID through the client's parallel fetch (several FetchData64 calls in flight), which
 * createReadStream's one-chunk-ahead reads do not match.
 */
export async function afsToLocal(
  ctx: CliContext,
  src: AfsSource,
  label: string | Buffer,
  to: string | Buffer,
  o: { noFollow?: boolean; mode?: number } = {},
): Promise<number> {
  const p = ctx.progress(labelOf(label), src.size);
  const fh =
    to === '-' ? undefined : await open(to, o.noFollow ? LOCAL_CREATE_NOFOLLOW : 'w', o.mode ?? 0o644);
  const out = fh ? fh.createWriteStream() : ctx.stdout;
  const w = writer(out);
  try {
    const r = await ctx.client.fetchByFid(
      src.fid,
      async (c) => {
        p.add(c.length);
        await w.write(c);
      },
      { cell: src.cell },
    );
    if (fh)
      await new Promise<void>((resolve, reject) =>
        out.end(() => {
          const e = w.failed();
          if (e) reject(e);
          else resolve();
        }),
      );
    return r.total;
  } catch (e) {
    if (fh) (out as NodeJS.WritableStream & { destroy(): void }).destroy();
    throw e;
  } finally {
    p.done();
  }
}

/** Copy a local file (or stdin with `from: '-'`) to an AFS file; returns the bytes stored. */
export async function localToAfs(
  ctx: CliContext,
  from: string | Buffer,
  afs: string | Buffer,
  size: number | undefined,
  mode = 0o644,
): Promise<number> {
  const p = ctx.progress(labelOf(from === '-' ? afs : from), size);
  const tally = { n: 0 };
  const src = from === '-' ? ctx.stdin : createReadStream(from, { highWaterMark: 1 << 20 });
  try {
    await pipeline(src, counter(p, tally), ctx.client.fs.createWriteStream(afs, { flags: 'w', mode }));
  } finally {
    p.done();
  }
  return tally.n;
}

function labelOf(p: string | Buffer): string {
  const s = p.toString();
  return s.slice(s.lastIndexOf('/') + 1) || s;
}
