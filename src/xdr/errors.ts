// Typed XDR failures. Decoders raise these before allocating anything for a hostile count or length,
// so a peer can never make us reserve memory it did not actually send.

export type XdrErrorCode =
  /** Fewer bytes remain than the next item needs (truncated input, or a count × element size too big). */
  | 'XDR_SHORT'
  /** A count or length exceeds the declared maximum (rxgen's `<MAX>`), on decode or encode. */
  | 'XDR_TOO_LONG'
  /** A number does not fit the wire type (encode), or a 64-bit value is beyond 2^53 where a number was asked. */
  | 'XDR_RANGE'
  /** Bytes left over after a complete message. */
  | 'XDR_TRAILING'
  /** A value outside its enumeration or otherwise invalid for its field. */
  | 'XDR_BAD_VALUE';

export class XdrError extends Error {
  override readonly name = 'XdrError';
  constructor(
    readonly code: XdrErrorCode,
    message: string,
    /** Byte offset in the buffer being decoded, when decoding. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? `${code}: ${message}` : `${code}: ${message} (at byte ${offset})`);
  }
}
