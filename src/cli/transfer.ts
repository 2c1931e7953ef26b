// Moving bytes between AFS and local files or standard streams, with backpressure and a progress
// bar. Local files named after server-sent entry names are opened without following symlinks.

import { constants, createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

/** Copy an AFS file to a local file (a path as bytes) or, with `to: '-'`, to stdout. */
export async function afsToLocal(
  ctx: CliContext,
  afs: string | Buffer,
  to: string | Buffer,
  size: number,
  o: { noFollow?: boolean; mode?: number } = {},
): Promise<number> {
  const p = ctx.progress(labelOf(afs), size);
  const tally = { n: 0 };
  const src = ctx.client.fs.createReadStream(afs);
  try {
    if (to === '-') await pipeline(src, counter(p, tally), ctx.stdout as Writable, { end: false });
    else {
      const fh = await open(to, o.noFollow ? LOCAL_CREATE_NOFOLLOW : 'w', o.mode ?? 0o644);
      await pipeline(src, counter(p, tally), fh.createWriteStream());
    }
  } finally {
    p.done();
  }
  return tally.n;
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
