// A tsafs endpoint serving the callback service in a child process with a small heap, for the
// flood tests: the parent floods it and asks, over IPC, for its heap, counters and a real VL call.
import { CacheManagerService } from '../../../src/afs/cmservice.js';
import { callRpc } from '../../../src/rpc/client.js';
import { VL, VL_PORT, VL_SERVICE_ID } from '../../../src/rpc/vl.js';
import { RxEndpoint } from '../../../src/rx/endpoint.js';

export type FloodRequest = 'heap' | 'stats' | 'vl' | 'close';

const ep = await RxEndpoint.open({ host: '127.0.0.1' });
new CacheManagerService(ep);
const release = ep.hold();

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 4; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

process.on('message', async (m: FloodRequest) => {
  if (m === 'heap') process.send!({ heap: heap(), rss: process.memoryUsage().rss });
  else if (m === 'stats')
    process.send!({
      packetsIn: ep.stats.packetsIn,
      bytesIn: ep.stats.bytesIn,
      bytesOut: ep.stats.bytesOut,
      serverConns: ep.conns.serverConnCount,
      peers: ep.conns.peerCount,
      evictions: ep.conns.evictions,
      dropReasons: ep.stats.dropReasons,
    });
  else if (m === 'vl') {
    try {
      const r = await callRpc(
        ep,
        { host: process.env.AFS_ADDR!, port: VL_PORT, serviceId: VL_SERVICE_ID },
        VL.GetEntryByNameU,
        { volumeName: process.env.AFS_ROOT_VOLUME ?? 'root.cell' },
        { timeouts: { hardDeadline: 20_000 } },
      );
      process.send!({ vl: r.entry.name });
    } catch (e) {
      process.send!({ vlError: String(e) });
    }
  } else if (m === 'close') {
    release();
    await ep.close();
    process.disconnect();
  }
});
process.send!({ port: ep.address.port });
