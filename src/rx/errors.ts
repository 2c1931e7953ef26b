// Typed Rx call failures. The RPC layer turns abort codes into AFS/Node errors; this layer only
// says how a call ended and with which code.

export const RX_CALL_DEAD = -1;
export const RX_INVALID_OPERATION = -2;
export const RX_CALL_TIMEOUT = -3;
export const RX_EOF = -4;
export const RX_PROTOCOL_ERROR = -5;
export const RX_USER_ABORT = -6;
export const RX_ADDRINUSE = -7;
export const RX_MSGSIZE = -8;
export const RX_RESTARTING = -100;
// rxgen's stub codes (rxgen_consts.h), defined here because Rx names them in its errors.
export const RXGEN_CC_MARSHAL = -450;
export const RXGEN_CC_UNMARSHAL = -451;
export const RXGEN_SS_MARSHAL = -452;
export const RXGEN_SS_UNMARSHAL = -453;
export const RXGEN_DECODE = -454;
export const RXGEN_OPCODE = -455;
export const RXGEN_SS_XDRFREE = -456;
export const RXGEN_CC_XDRFREE = -457;

const names: Record<number, string> = {
  [RX_CALL_DEAD]: 'RX_CALL_DEAD',
  [RX_INVALID_OPERATION]: 'RX_INVALID_OPERATION',
  [RX_CALL_TIMEOUT]: 'RX_CALL_TIMEOUT',
  [RX_EOF]: 'RX_EOF',
  [RX_PROTOCOL_ERROR]: 'RX_PROTOCOL_ERROR',
  [RX_USER_ABORT]: 'RX_USER_ABORT',
  [RX_ADDRINUSE]: 'RX_ADDRINUSE',
  [RX_MSGSIZE]: 'RX_MSGSIZE',
  [RX_RESTARTING]: 'RX_RESTARTING',
  [RXGEN_CC_MARSHAL]: 'RXGEN_CC_MARSHAL',
  [RXGEN_CC_UNMARSHAL]: 'RXGEN_CC_UNMARSHAL',
  [RXGEN_SS_MARSHAL]: 'RXGEN_SS_MARSHAL',
  [RXGEN_SS_UNMARSHAL]: 'RXGEN_SS_UNMARSHAL',
  [RXGEN_DECODE]: 'RXGEN_DECODE',
  [RXGEN_OPCODE]: 'RXGEN_OPCODE',
  [RXGEN_SS_XDRFREE]: 'RXGEN_SS_XDRFREE',
  [RXGEN_CC_XDRFREE]: 'RXGEN_CC_XDRFREE',
};

function rxCodeName(code: number): string | undefined {
  return names[code];
}

/** How a call ended badly. */
export type RxFailure =
  | 'remote-abort' // the peer sent ABORT(code)
  | 'local-abort' // we aborted (AbortSignal, close, protocol violation)
  | 'dead' // peer silent for the dead time (RX_CALL_DEAD)
  | 'timeout' // hard or idle deadline passed (RX_CALL_TIMEOUT)
  | 'closed'; // the endpoint closed under the call

export class RxCallError extends Error {
  override readonly name = 'RxCallError';
  constructor(
    readonly failure: RxFailure,
    /** The abort code: the peer's, or the one we sent/would send. */
    readonly code: number,
    message?: string,
    options?: { cause?: unknown },
  ) {
    super(message ?? `Rx call failed: ${failure} (${rxCodeName(code) ?? code})`, options);
  }
  get codeName(): string {
    return rxCodeName(this.code) ?? String(this.code);
  }
}
