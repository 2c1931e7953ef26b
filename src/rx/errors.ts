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
export const RXGEN_OPCODE = -455;
export const RXGEN_SS_UNMARSHAL = -453;
export const RXGEN_CC_UNMARSHAL = -451;

const names: Record<number, string> = {
  [-1]: 'RX_CALL_DEAD',
  [-2]: 'RX_INVALID_OPERATION',
  [-3]: 'RX_CALL_TIMEOUT',
  [-4]: 'RX_EOF',
  [-5]: 'RX_PROTOCOL_ERROR',
  [-6]: 'RX_USER_ABORT',
  [-7]: 'RX_ADDRINUSE',
  [-8]: 'RX_MSGSIZE',
  [-100]: 'RX_RESTARTING',
  [-450]: 'RXGEN_CC_MARSHAL',
  [-451]: 'RXGEN_CC_UNMARSHAL',
  [-452]: 'RXGEN_SS_MARSHAL',
  [-453]: 'RXGEN_SS_UNMARSHAL',
  [-454]: 'RXGEN_DECODE',
  [-455]: 'RXGEN_OPCODE',
  [-456]: 'RXGEN_SS_XDRFREE',
  [-457]: 'RXGEN_CC_XDRFREE',
};

export function rxCodeName(code: number): string | undefined {
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
