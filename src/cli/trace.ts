// --verbose and NODE_DEBUG=tsafs: the record layer's diagnostics channels (afs/trace.ts) printed on
// stderr as they happen, one line per event, in NODE_DEBUG's "NAME PID: message" shape.

import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';
import { TRACE_CHANNELS, type TraceEvent } from '../afs/trace.js';

function line(e: TraceEvent): string {
  const counts = `ref=${e.ref} use=${e.use}`;
  return `TSAFS ${process.pid}: ${e.kind} ${e.id} ${e.reason} ${counts}${e.note ? ` ${e.note}` : ''}\n`;
}

/** Subscribes when asked (--verbose) or when NODE_DEBUG names tsafs; returns how to stop. */
export function startTracing(verbose: boolean): () => void {
  if (!verbose && !debuglog('tsafs').enabled) return () => {};
  const onMessage = (m: unknown) => {
    process.stderr.write(line(m as TraceEvent));
  };
  const names = Object.values(TRACE_CHANNELS);
  for (const n of names) diagnosticsChannel.subscribe(n, onMessage);
  return () => {
    for (const n of names) diagnosticsChannel.unsubscribe(n, onMessage);
  };
}
