// watch() as node:fs/promises has it: argument validation on the first next() (watch(file, 1)
// rejects instead of hanging), 'rename' with the entry's name for entries appearing in or leaving
// a watched directory, 'change' with the file's own name for a file, AbortError when the signal
// aborts. The changes come from a second client (the file server breaks the watcher's callback).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AfsClient } from '../../src/client.js';
import { cellEnv } from './helpers/cell.js';
import { adminClient, type Scratch, scratchDir } from './helpers/files.js';

let a: AfsClient;
let b: AfsClient;
let dir: Scratch;

before(async () => {
  const env = await cellEnv();
  a = adminClient(env);
  b = adminClient(env);
  dir = await scratchDir(a, 'fs-watch');
});
after(async () => {
  await dir?.remove();
  await a?.close();
  await b?.close();
});

test('watch validates its arguments on the first next()', async () => {
  await a.fs.writeFile(`${dir.path}/f`, 'x');
  await assert.rejects(a.fs.watch(`${dir.path}/f`, 1 as never).next(), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(a.fs.watch(123 as never).next(), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(a.fs.watch(`${dir.path}/f`, { encoding: 'bogus' as never }).next(), {
    code: 'ERR_INVALID_ARG_VALUE',
  });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(a.fs.watch(`${dir.path}/f`, { signal: ac.signal }).next(), { name: 'AbortError' });
});

test("a directory's new and removed entries are 'rename' events named by the entry", async () => {
  const d = `${dir.path}/d`;
  await a.fs.mkdir(d);
  await a.fs.writeFile(`${d}/old`, '1');
  const ac = new AbortController();
  const events = a.fs.watch(d, { signal: ac.signal });
  const first = events.next();
  await new Promise((r) => setTimeout(r, 500)); // the watcher holds its callback promise
  await b.fs.writeFile(`${d}/new`, '2');
  const ev1 = await first;
  assert.deepEqual([ev1.value?.eventType, ev1.value?.filename], ['rename', 'new']);
  const second = events.next();
  await b.fs.unlink(`${d}/old`);
  const ev2 = await second;
  assert.deepEqual([ev2.value?.eventType, ev2.value?.filename], ['rename', 'old']);
  const third = events.next();
  ac.abort();
  await assert.rejects(third, { name: 'AbortError' });
});

test("a file's change is a 'change' event with its own name", async () => {
  const f = `${dir.path}/watched.txt`;
  await a.fs.writeFile(f, 'one');
  const ac = new AbortController();
  const events = a.fs.watch(f, { signal: ac.signal });
  const first = events.next();
  await new Promise((r) => setTimeout(r, 500));
  await b.fs.writeFile(f, 'two');
  const ev = await first;
  assert.deepEqual([ev.value?.eventType, ev.value?.filename], ['change', 'watched.txt']);
  ac.abort();
  await events.return(undefined);
});
