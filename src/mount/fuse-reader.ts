// The one thread that blocks in read(2) on /dev/fuse. Each request is handed to the main thread
// whole, so the event loop never waits on the device and a program may read its own mount with
// asynchronous calls without deadlocking (the thread pool is never used for the device).

import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { fd, bufferSize } = workerData as { fd: number; bufferSize: number };

const buf = new Uint8Array(bufferSize);
const pause = new Int32Array(new SharedArrayBuffer(4));
let waits = 0;
for (;;) {
  let n: number;
  try {
    n = readSync(fd, buf, 0, bufferSize, null);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // EINTR: a signal; ENOENT: the request was interrupted before we read it.
    if (code === 'EINTR' || code === 'ENOENT' || code === 'EAGAIN') continue;
    // EPERM: not mounted yet (mount(8) is still running); wait a little and read again.
    if (code === 'EPERM' && waits++ < 3000) {
      Atomics.wait(pause, 0, 0, 10);
      continue;
    }
    // ENODEV: unmounted or aborted; EBADF: closed. The session is over either way.
    parentPort!.postMessage({ end: code ?? String(e) });
    break;
  }
  if (n === 0) {
    parentPort!.postMessage({ end: 'EOF' });
    break;
  }
  // A copy of just this request, moved (not cloned) to the main thread.
  const ab = buf.slice(0, n).buffer;
  parentPort!.postMessage({ n, ab }, [ab]);
}
