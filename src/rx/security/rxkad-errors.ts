// The rxkad error table "RXK" (OpenAFS rxkad_errs.et), base 19270400. These codes travel in
// Rx ABORT packets, so a server's rejection arrives as the same number we throw locally.

export const RXKAD_ERROR_BASE = 19270400;

export const RXKADINCONSISTENCY = 19270400;
export const RXKADPACKETSHORT = 19270401;
export const RXKADLEVELFAIL = 19270402;
export const RXKADTICKETLEN = 19270403;
export const RXKADOUTOFSEQUENCE = 19270404;
export const RXKADNOAUTH = 19270405;
export const RXKADBADKEY = 19270406;
export const RXKADBADTICKET = 19270407;
export const RXKADUNKNOWNKEY = 19270408;
export const RXKADEXPIRED = 19270409;
export const RXKADSEALEDINCON = 19270410;
export const RXKADDATALEN = 19270411;
export const RXKADILLEGALLEVEL = 19270412;

const TABLE: readonly (readonly [string, string])[] = [
  ['RXKADINCONSISTENCY', 'security module structure inconsistent'],
  ['RXKADPACKETSHORT', 'packet too short for security challenge'],
  ['RXKADLEVELFAIL', 'security level negotiation failed'],
  ['RXKADTICKETLEN', 'ticket length too long or too short'],
  ['RXKADOUTOFSEQUENCE', 'packet had bad sequence number'],
  ['RXKADNOAUTH', 'caller not authorized'],
  ['RXKADBADKEY', 'illegal key: bad parity or weak'],
  ['RXKADBADTICKET', 'security object was passed a bad ticket'],
  ['RXKADUNKNOWNKEY', 'ticket contained unknown key version number'],
  ['RXKADEXPIRED', 'authentication expired'],
  ['RXKADSEALEDINCON', 'sealed data inconsistent'],
  ['RXKADDATALEN', 'user data too long'],
  ['RXKADILLEGALLEVEL', 'caller not authorized to use encrypted connections'],
];

/** Symbolic name of an RXK code, or undefined when the number is outside the table. */
export function rxkadErrorName(code: number): string | undefined {
  return TABLE[code - RXKAD_ERROR_BASE]?.[0];
}

export function isRxkadCode(code: number): boolean {
  return rxkadErrorName(code) !== undefined;
}

/** A failure of the rxkad security class; `code` is the wire number, `rxkadName` its symbol. */
export class RxkadError extends Error {
  readonly code: number;
  readonly rxkadName: string;

  constructor(code: number, detail?: string) {
    const entry = TABLE[code - RXKAD_ERROR_BASE];
    const name = entry?.[0] ?? `RXK(${code})`;
    super(`${name} (${code}): ${entry?.[1] ?? 'unknown rxkad error'}${detail ? ` — ${detail}` : ''}`);
    this.name = 'RxkadError';
    this.code = code;
    this.rxkadName = name;
  }
}
