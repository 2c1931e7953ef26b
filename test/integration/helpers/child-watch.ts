// A second process for callback tests: watch a file, report the change, then write it.
import { AfsClient } from '../../../src/client.js';

const [cellServDB, cell, path] = process.argv.slice(2) as [string, string, string];
const c = new AfsClient({ cellServDB, cell, auth: 'anonymous' });
const ac = new AbortController();
const events = c.fs.watch(path, { signal: ac.signal });
const first = events.next(); // subscribes and takes the promise
await c.fs.stat(path);
setTimeout(() => process.stdout.write('watching\n'), 300);
// Aborting ends the loop with AbortError, as node:fs/promises' watch does.
let r = await first.catch(() => ({ done: true }) as const);
for (; !r.done; r = await events.next().catch(() => ({ done: true }) as const)) {
  const text = await c.fs.readFile(path, 'utf8');
  process.stdout.write(`change ${text}\n`);
  if (text === 'from parent') {
    await c.fs.writeFile(path, 'from child');
    process.stdout.write('wrote from child\n');
    ac.abort();
  }
}
await c.close();
