// Declarative RPC definitions: an RPC is its opcode plus the codecs of its IN and OUT parameters.
// Client stubs (encodeRequest/decodeResult) and server dispatch (defineService/decodeCall/encodeResult)
// come from the same definition, so the two sides cannot disagree about a layout.
//
// Split calls (rxgen `split`: FetchData, StoreData and their 64-bit forms) carry raw bulk bytes in
// the middle of the call. Their `args` are what precedes the bulk data and their `result` is what
// follows it; for fetches, `fetchLength` is the length the server writes right before the data
// (a u32 for FetchData, a u64 for FetchData64) — not part of the .xg but of the protocol.

import { RXGEN_CC_MARSHAL, RXGEN_CC_UNMARSHAL, RXGEN_OPCODE, RXGEN_SS_UNMARSHAL } from '../rx/errors.js';
import { type Codec, XdrError, XdrReader, XdrWriter } from '../xdr/codec.js';

/** rxgen's abort codes (`rxgen_consts.h`), for the stubs' users. */
export { RXGEN_CC_MARSHAL, RXGEN_CC_UNMARSHAL, RXGEN_OPCODE, RXGEN_SS_UNMARSHAL };

export type SplitKind = 'fetch' | 'store';

export interface RpcDef<A, R, AIn = A, RIn = R> {
  readonly name: string;
  readonly opcode: number;
  readonly args: Codec<A, AIn>;
  readonly result: Codec<R, RIn>;
  readonly split?: SplitKind;
  /** Fetch splits only: the length prefix the server sends before the raw data. */
  readonly fetchLength?: Codec<number>;
}

// biome-ignore lint/suspicious/noExplicitAny: a constraint that every definition satisfies
export type AnyRpcDef = RpcDef<any, any, any, any>;
export type ArgsOf<D> = D extends RpcDef<infer A, infer _R, infer _AI, infer _RI> ? A : never;
export type ArgsIn<D> = D extends RpcDef<infer _A, infer _R, infer AI, infer _RI> ? AI : never;
export type ResultOf<D> = D extends RpcDef<infer _A, infer R, infer _AI, infer _RI> ? R : never;
export type ResultIn<D> = D extends RpcDef<infer _A, infer _R, infer _AI, infer RI> ? RI : never;

/** An incoming call names an opcode the service does not define: answer with ABORT(RXGEN_OPCODE). */
export class UnknownOpcodeError extends Error {
  override readonly name = 'UnknownOpcodeError';
  readonly code = 'RXGEN_OPCODE';
  readonly abortCode = RXGEN_OPCODE;
  constructor(
    readonly service: string,
    readonly opcode: number,
  ) {
    super(`RXGEN_OPCODE: ${service} has no opcode ${opcode}`);
  }
}

export function defineRpc<A, R, AIn = A, RIn = R>(spec: {
  name: string;
  opcode: number;
  args: Codec<A, AIn>;
  result: Codec<R, RIn>;
  split?: SplitKind;
  fetchLength?: Codec<number>;
}): RpcDef<A, R, AIn, RIn> {
  if (!Number.isInteger(spec.opcode) || spec.opcode < 0 || spec.opcode > 0xffff_ffff) {
    throw new TypeError(`${spec.name}: bad opcode ${spec.opcode}`);
  }
  if ((spec.split === 'fetch') !== (spec.fetchLength !== undefined)) {
    throw new TypeError(`${spec.name}: fetchLength is required for, and only for, fetch splits`);
  }
  return Object.freeze({ ...spec });
}

// ---- client side -------------------------------------------------------------------------------------

/** Opcode and IN parameters into an existing writer (for callers that append bulk data next). */
export function encodeRequestInto<AIn>(
  w: XdrWriter,
  def: RpcDef<unknown, unknown, AIn, unknown>,
  args: AIn,
): void {
  w.u32(def.opcode);
  def.args.encode(w, args);
}

/** The request payload: opcode (u32) then the IN parameters. For store splits, the raw data follows. */
export function encodeRequest<AIn>(def: RpcDef<unknown, unknown, AIn, unknown>, args: AIn): Buffer {
  const w = new XdrWriter(4 + (def.args.fixedSize ?? 252));
  encodeRequestInto(w, def, args);
  return w.finish();
}

/** The OUT parameters from a complete reply payload; leftover bytes are XDR_TRAILING. */
export function decodeResult<R>(def: RpcDef<unknown, R, unknown, unknown>, buf: Buffer): R {
  const r = new XdrReader(buf);
  const v = def.result.decode(r);
  r.expectEnd();
  return v;
}

/** The OUT parameters from a reader, leaving the reader after them (streamed replies). */
export function decodeResultFrom<R>(def: RpcDef<unknown, R, unknown, unknown>, r: XdrReader): R {
  return def.result.decode(r);
}

// ---- server side -------------------------------------------------------------------------------------

export interface Service<D extends Record<string, AnyRpcDef>> {
  readonly name: string;
  readonly rpcs: D;
  readonly byOpcode: ReadonlyMap<number, D[keyof D]>;
}

/** A service: its definitions by name and by opcode (duplicate opcodes are a programming error). */
export function defineService<D extends Record<string, AnyRpcDef>>(name: string, rpcs: D): Service<D> {
  const byOpcode = new Map<number, D[keyof D]>();
  for (const key of Object.keys(rpcs) as (keyof D)[]) {
    const def = rpcs[key];
    const prior = byOpcode.get(def.opcode);
    if (prior) throw new TypeError(`${name}: opcode ${def.opcode} used by ${prior.name} and ${def.name}`);
    byOpcode.set(def.opcode, def);
  }
  return Object.freeze({ name, rpcs, byOpcode });
}

/** Bytes of the opcode word that starts every request. */
export const OPCODE_SIZE = 4;

/**
 * The largest request (opcode + IN parameters) a definition allows, from its codecs; unbounded for
 * store splits, whose raw data follows. A served call that carries more is refused.
 */
export function requestBound(def: AnyRpcDef): number {
  return def.split === 'store' ? Number.POSITIVE_INFINITY : OPCODE_SIZE + def.args.maxSize;
}

/** The largest request any RPC of a service allows (the bound before the opcode is known). */
export function serviceRequestBound<D extends Record<string, AnyRpcDef>>(service: Service<D>): number {
  let max = OPCODE_SIZE;
  for (const def of service.byOpcode.values()) max = Math.max(max, requestBound(def));
  return max;
}

/** The opcode word at the start of a request payload. */
export function readOpcode(buf: Buffer): number {
  return new XdrReader(buf).u32();
}

/** IN parameters (no opcode) from a complete buffer; leftover bytes are XDR_TRAILING. */
export function decodeArgs<A>(def: RpcDef<A, unknown, unknown, unknown>, buf: Buffer): A {
  const r = new XdrReader(buf);
  const v = def.args.decode(r);
  r.expectEnd();
  return v;
}

/** IN parameters from a reader, leaving the reader after them (store splits: the raw data follows). */
export function decodeArgsFrom<A>(def: RpcDef<A, unknown, unknown, unknown>, r: XdrReader): A {
  return def.args.decode(r);
}

export interface DecodedCall<D extends AnyRpcDef> {
  def: D;
  args: ArgsOf<D>;
  /** Store splits: the raw bytes after the IN parameters (a view). Empty otherwise. */
  data: Buffer;
}

/**
 * A whole request payload (opcode + IN parameters [+ raw data for store splits]) for a service.
 * Throws UnknownOpcodeError for an opcode the service lacks, XdrError for undecodable arguments
 * (answer those with RXGEN_SS_UNMARSHAL).
 */
export function decodeCall<D extends Record<string, AnyRpcDef>>(
  service: Service<D>,
  payload: Buffer,
): DecodedCall<D[keyof D]> {
  const r = new XdrReader(payload);
  const opcode = r.u32();
  const def = service.byOpcode.get(opcode);
  if (!def) throw new UnknownOpcodeError(service.name, opcode);
  const args = def.args.decode(r);
  let data: Buffer;
  if (def.split === 'store') {
    data = r.rest();
  } else {
    r.expectEnd();
    data = payload.subarray(payload.length);
  }
  return { def, args, data };
}

/** The reply payload for OUT parameters. For fetch splits this is what follows the raw data. */
export function encodeResult<RIn>(def: RpcDef<unknown, unknown, unknown, RIn>, result: RIn): Buffer {
  const w = new XdrWriter(def.result.fixedSize ?? 256);
  def.result.encode(w, result);
  return w.finish();
}

/** Map an error met while handling an incoming call to the abort code rxgen's server stub would send. */
export function serverAbortCode(err: unknown): number | undefined {
  if (err instanceof UnknownOpcodeError) return RXGEN_OPCODE;
  if (err instanceof XdrError) return RXGEN_SS_UNMARSHAL;
  return undefined;
}
