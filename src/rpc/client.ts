// Running RPC definitions over Rx: plain calls, split fetches (raw data streamed to a sink) and
// split stores (raw data streamed from a source), and serving a service from the same definitions.
// Every failure surfaces as an AfsError carrying the abort code and its name. No reply is taken in
// beyond the largest its definition allows (a split fetch's raw data: beyond the length asked).

import type { CallTimeouts, RxCall } from '../rx/call.js';
import type { RxEndpoint } from '../rx/endpoint.js';
import { RX_PROTOCOL_ERROR, RxCallError } from '../rx/errors.js';
import type { RxPeer } from '../rx/peer.js';
import type { SecurityClass } from '../rx/security/types.js';
import { XdrError, XdrReader, XdrWriter } from '../xdr/codec.js';
import {
  type AnyRpcDef,
  type ArgsIn,
  type ArgsOf,
  decodeCall,
  decodeResult,
  encodeRequest,
  encodeRequestInto,
  encodeResult,
  OPCODE_SIZE,
  type ResultIn,
  type ResultOf,
  RXGEN_CC_MARSHAL,
  RXGEN_CC_UNMARSHAL,
  RXGEN_OPCODE,
  RXGEN_SS_UNMARSHAL,
  readOpcode,
  requestBound,
  type Service,
  serverAbortCode,
  serviceRequestBound,
} from './define.js';
import { AfsError, abortToError } from './errors.js';

export interface RpcTarget {
  host: string;
  port: number;
  serviceId: number;
  security?: SecurityClass;
}

export interface RpcOptions {
  timeouts?: Partial<CallTimeouts>;
  signal?: AbortSignal;
  /** For error messages: the node:fs operation and path. */
  syscall?: string;
  path?: string;
}

/** Turn whatever a call threw into the typed error users see. */
export function rpcError(e: unknown, rpc: string, opts: RpcOptions = {}): Error {
  if (e instanceof AfsError) return e;
  if (e instanceof RxCallError) {
    if (e.failure === 'closed') {
      return new AfsError('ERR_TSAFS_CLOSED', `the client was closed while ${rpc} was in flight`, {
        syscall: opts.syscall,
        path: opts.path,
        cause: e,
      });
    }
    return abortToError(e.code, { rpc, syscall: opts.syscall, path: opts.path, cause: e });
  }
  if (e instanceof XdrError) {
    return abortToError(RXGEN_CC_UNMARSHAL, { rpc, syscall: opts.syscall, path: opts.path, cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * The peer's whole side of the call after `head`, refused as soon as it grows past `max` bytes
 * (XDR_TOO_LONG, so the call is aborted with RXGEN_CC_UNMARSHAL as an rxgen stub would): a hostile
 * server cannot make us hold more than its definition allows.
 */
async function readReply(call: RxCall, max: number, rpc: string, head?: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = head && head.length > 0 ? [head] : [];
  let total = head?.length ?? 0;
  for (;;) {
    if (total > max) {
      throw new XdrError(
        'XDR_TOO_LONG',
        `${rpc} reply of more than ${max} bytes, the most its definition allows`,
      );
    }
    const c = await call.read();
    if (c === null) break;
    total += c.length;
    chunks.push(c);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function start(ep: RxEndpoint, t: RpcTarget, name: string, opts: RpcOptions): RxCall {
  return ep.call({
    host: t.host,
    port: t.port,
    serviceId: t.serviceId,
    security: t.security,
    timeouts: opts.timeouts,
    signal: opts.signal,
    label: name,
  });
}

/** One ordinary RPC: request, whole reply, decoded result. */
export async function callRpc<D extends AnyRpcDef>(
  ep: RxEndpoint,
  t: RpcTarget,
  def: D,
  args: ArgsIn<D>,
  opts: RpcOptions = {},
): Promise<ResultOf<D>> {
  let request: Buffer;
  try {
    request = encodeRequest(def, args);
  } catch (e) {
    throw abortToError(RXGEN_CC_MARSHAL, { rpc: def.name, syscall: opts.syscall, path: opts.path, cause: e });
  }
  let call: RxCall | undefined;
  try {
    call = start(ep, t, def.name, opts);
    await call.end(request);
    const reply = await readReply(call, def.result.maxSize, def.name);
    return decodeResult(def, reply) as ResultOf<D>;
  } catch (e) {
    if (e instanceof XdrError && call?.state === 'active') call.abort(RXGEN_CC_UNMARSHAL, e);
    throw rpcError(e, def.name, opts);
  }
}

export interface FetchOutcome<R> {
  /** The length the server announced before the data. */
  length: number;
  result: R;
}

/**
 * A split fetch (FetchData / FetchData64): the raw data goes to `sink` chunk by chunk as it
 * arrives (awaited: backpressure), then the OUT parameters are decoded.
 */
export async function fetchRpc<D extends AnyRpcDef>(
  ep: RxEndpoint,
  t: RpcTarget,
  def: D,
  args: ArgsIn<D>,
  sink: (chunk: Buffer) => void | Promise<void>,
  opts: RpcOptions & { maxLength: number },
): Promise<FetchOutcome<ResultOf<D>>> {
  if (def.split !== 'fetch' || !def.fetchLength) throw new TypeError(`${def.name} is not a split fetch`);
  let call: RxCall | undefined;
  try {
    call = start(ep, t, def.name, opts);
    await call.end(encodeRequest(def, args));
    const lenBytes = await call.readExact(def.fetchLength.fixedSize ?? 4);
    const length = def.fetchLength.decode(new XdrReader(lenBytes));
    if (length > opts.maxLength) {
      // A server must not send more than asked (afs_fetchstore.c): refuse before reading it.
      call.abort(RX_PROTOCOL_ERROR);
      throw new AfsError(
        'EPROTO',
        `${def.name}: server announced ${length} bytes, more than the ${opts.maxLength} asked`,
        {
          afsCode: RX_PROTOCOL_ERROR,
          afsName: 'RX_PROTOCOL_ERROR',
          syscall: opts.syscall,
          path: opts.path,
        },
      );
    }
    let left = length;
    while (left > 0) {
      const chunk = await call.read();
      if (chunk === null)
        throw new RxCallError(
          'local-abort',
          RX_PROTOCOL_ERROR,
          `${def.name}: reply ended ${left} bytes early`,
        );
      if (chunk.length <= left) {
        left -= chunk.length;
        await sink(chunk);
      } else {
        await sink(chunk.subarray(0, left));
        const tail = await readReply(call, def.result.maxSize, def.name, chunk.subarray(left));
        return { length, result: decodeResult(def, tail) as ResultOf<D> };
      }
    }
    const tail = await readReply(call, def.result.maxSize, def.name);
    return { length, result: decodeResult(def, tail) as ResultOf<D> };
  } catch (e) {
    if (call?.state === 'active')
      call.abort(e instanceof XdrError ? RXGEN_CC_UNMARSHAL : RX_PROTOCOL_ERROR, e);
    throw rpcError(e, def.name, opts);
  }
}

/**
 * A split store (StoreData / StoreData64): IN parameters, then exactly `length` raw bytes from
 * `source`, then the OUT parameters.
 */
export async function storeRpc<D extends AnyRpcDef>(
  ep: RxEndpoint,
  t: RpcTarget,
  def: D,
  args: ArgsIn<D>,
  source: Buffer | AsyncIterable<Buffer>,
  length: number,
  opts: RpcOptions = {},
): Promise<ResultOf<D>> {
  if (def.split !== 'store') throw new TypeError(`${def.name} is not a split store`);
  let call: RxCall | undefined;
  try {
    call = start(ep, t, def.name, opts);
    const w = new XdrWriter(128);
    encodeRequestInto(w, def, args);
    const head = w.finish();
    if (Buffer.isBuffer(source)) {
      if (source.length !== length)
        throw new RangeError(`${def.name}: ${source.length} bytes given for a length of ${length}`);
      await call.write(head);
      await call.end(source);
    } else {
      await call.write(head);
      let sent = 0;
      for await (const chunk of source) {
        if (sent + chunk.length > length)
          throw new RangeError(`${def.name}: source gave more than ${length} bytes`);
        sent += chunk.length;
        await call.write(chunk);
      }
      if (sent !== length) throw new RangeError(`${def.name}: source gave ${sent} of ${length} bytes`);
      await call.end();
    }
    const reply = await readReply(call, def.result.maxSize, def.name);
    return decodeResult(def, reply) as ResultOf<D>;
  } catch (e) {
    if (call?.state === 'active')
      call.abort(e instanceof XdrError ? RXGEN_CC_UNMARSHAL : RX_PROTOCOL_ERROR, e);
    throw rpcError(e, def.name, opts);
  }
}

/** Thrown by a service handler to answer with ABORT(code) instead of a reply. */
export class RpcAbort extends Error {
  override readonly name = 'RpcAbort';
  constructor(
    readonly abortCode: number,
    message?: string,
  ) {
    super(message ?? `abort ${abortCode}`);
  }
}

export interface IncomingCall<D extends AnyRpcDef = AnyRpcDef> {
  def: D;
  args: ArgsOf<D>;
  peer: RxPeer;
  call: RxCall;
}

export type Handlers<S extends { rpcs: Record<string, AnyRpcDef> }> = {
  [K in keyof S['rpcs']]?: (
    inc: IncomingCall<S['rpcs'][K]>,
  ) => ResultIn<S['rpcs'][K]> | Promise<ResultIn<S['rpcs'][K]>>;
};

/**
 * Serve a service on an endpoint from its definitions. Unknown opcodes and opcodes without a
 * handler get RXGEN_OPCODE; undecodable arguments get RXGEN_SS_UNMARSHAL; a handler that throws
 * RpcAbort sends that code.
 */
export function serveRpc<D extends Record<string, AnyRpcDef>>(
  ep: RxEndpoint,
  serviceId: number,
  service: Service<D>,
  handlers: Handlers<Service<D>>,
  onError?: (e: unknown, peer: RxPeer) => void,
): void {
  const byName = new Map<string, string>();
  for (const key of Object.keys(service.rpcs)) byName.set(service.rpcs[key]!.name, key);
  // Requests are bounded by their definitions as they arrive: first by the service's largest,
  // then by the RPC's own once the opcode is read; more is aborted with RXGEN_SS_UNMARSHAL.
  const limits = { maxRequest: serviceRequestBound(service), abortCode: RXGEN_SS_UNMARSHAL };
  ep.serve(
    serviceId,
    (call, peer) => {
      void (async () => {
        try {
          const head = await call.readExact(OPCODE_SIZE).catch((e: unknown) => {
            // A live call whose request ended early: undecodable, as rxgen's stub would say.
            throw call.state === 'active' ? new XdrError('XDR_SHORT', 'request without an opcode') : e;
          });
          const def = service.byOpcode.get(readOpcode(head));
          if (def) call.limitReceive(requestBound(def), RXGEN_SS_UNMARSHAL);
          const d = decodeCall(service, Buffer.concat([head, await call.readAll()]));
          const key = byName.get(d.def.name);
          const h = key === undefined ? undefined : (handlers as Record<string, Function | undefined>)[key];
          if (!h) {
            call.abort(RXGEN_OPCODE);
            return;
          }
          const result = await h({ def: d.def, args: d.args, peer, call });
          if (call.state === 'active') await call.end(encodeResult(d.def, result));
        } catch (e) {
          const code = e instanceof RpcAbort ? e.abortCode : serverAbortCode(e);
          if (call.state === 'active') call.abort(code ?? RX_PROTOCOL_ERROR, e);
          if (code === undefined && !(e instanceof RxCallError)) onError?.(e, peer);
        }
      })();
    },
    limits,
  );
}
