// A child process that uses an AfsClient (VL lookup and a small read) and closes it, then returns
// from main without process.exit(): it must exit on its own because nothing is left to keep it alive.
import { AfsClient } from '../../../src/client.js';

const [cellServDB, cell, volume] = process.argv.slice(2);
const client = new AfsClient({ cellServDB, cell });
await client.start();
const e = await client.vldbEntry(volume ?? 'root.cell');
await client.fetchByFid({ volume: e.volumeIds.rw, vnode: 1, unique: 1 }, () => {});
await client.close();
process.stdout.write('closed\n');
