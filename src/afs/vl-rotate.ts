// Choosing a VL server for each VLDB call: the one that answered last first, then the others.
// Network failures and ubik "no quorum / not sync site" answers move on to the next server (any
// VL server can answer reads); every other abort is the VLDB's answer and ends the rotation.

import { callRpc } from '../rpc/client.js';
import type { AnyRpcDef, ArgsIn, ResultOf } from '../rpc/define.js';
import { AfsError, RXGEN_OPCODE, UBIK_BASE } from '../rpc/errors.js';
import { ipv4ToString } from '../rpc/types.js';
import { addrsByUuid, VL, VL_PORT, VL_SERVICE_ID, type VldbEntry } from '../rpc/vl.js';
import type { CallTimeouts } from '../rx/call.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import type { SecurityClass } from '../rx/security/types.js';

export interface VlRotateOptions {
  security?: SecurityClass;
  timeouts?: Partial<CallTimeouts>;
}

export const DEFAULT_VL_TIMEOUTS: Partial<CallTimeouts> = { deadTime: 6_000, hardDeadline: 30_000 };

/** "host" or "host:port" → [host, port]. */
export function splitHostPort(s: string, defPort: number): [string, number] {
  const i = s.lastIndexOf(':');
  if (i > 0 && /^\d+$/.test(s.slice(i + 1))) return [s.slice(0, i), Number(s.slice(i + 1))];
  return [s, defPort];
}

function shouldTryNext(e: unknown): boolean {
  if (!(e instanceof AfsError) || e.afsCode === undefined) return false;
  const c = e.afsCode;
  // Rx failures (dead, timeout, protocol), and ubik's UNOQUORUM..UNOTSYNC family.
  if (c < 0 && c > -100) return true;
  if (c >= UBIK_BASE && c < UBIK_BASE + 256) return true;
  return false;
}

export class VlRotation {
  private preferred = 0;

  constructor(
    private readonly ep: RxEndpoint,
    private readonly servers: () => readonly string[],
    private readonly opts: VlRotateOptions = {},
  ) {}

  async call<D extends AnyRpcDef>(def: D, args: ArgsIn<D>, signal?: AbortSignal): Promise<ResultOf<D>> {
    const list = this.servers();
    if (list.length === 0) {
      throw new AfsError('EDESTADDRREQ', 'EDESTADDRREQ: the cell has no VL servers', {
        afsName: 'NO_VLSERVERS',
      });
    }
    let last: unknown;
    for (let k = 0; k < list.length; k++) {
      const i = (this.preferred + k) % list.length;
      const [host, port] = splitHostPort(list[i]!, VL_PORT);
      try {
        const r = await callRpc(
          this.ep,
          { host, port, serviceId: VL_SERVICE_ID, security: this.opts.security },
          def,
          args,
          { timeouts: { ...DEFAULT_VL_TIMEOUTS, ...this.opts.timeouts }, signal },
        );
        this.preferred = i;
        return r;
      } catch (e) {
        last = e;
        if (signal?.aborted || !shouldTryNext(e)) throw e;
      }
    }
    throw last;
  }

  /** GetEntryByNameU; a volume id may be given as its decimal string. Falls back to ...N on RXGEN_OPCODE. */
  async getEntry(nameOrId: string, signal?: AbortSignal): Promise<VldbEntry> {
    try {
      return (await this.call(VL.GetEntryByNameU, { volumeName: nameOrId }, signal)).entry;
    } catch (e) {
      if (e instanceof AfsError && e.afsCode === RXGEN_OPCODE) {
        return (await this.call(VL.GetEntryByNameN, { volumeName: nameOrId }, signal)).entry;
      }
      throw e;
    }
  }

  /** GetAddrsU: the addresses a file server registered, with the VLDB's registration counter. */
  async getAddrs(
    uuid: Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ addrs: string[]; uniquifier: number; uuid: Buffer }> {
    const r = await this.call(VL.GetAddrsU, addrsByUuid(uuid), signal);
    const n = Math.max(0, Math.min(r.nentries, r.addrs.length));
    return {
      addrs: r.addrs.slice(0, n).map(ipv4ToString),
      uniquifier: r.uniquifier,
      uuid: Buffer.from(r.uuid),
    };
  }

  /** Whether any VL server answers (VL.Probe). */
  async probe(signal?: AbortSignal): Promise<void> {
    await this.call(VL.Probe, {}, signal);
  }
}
