// Printing for the CLI: text for people, --json for scripts, errors on stderr with stable exit codes.

import { AfsError } from '../rpc/errors.js';

/** Exit codes a script can rely on. */
export const EXIT = {
  OK: 0,
  FAILURE: 1, // the operation failed (the message says why)
  USAGE: 2, // bad command line
  NOT_FOUND: 3, // ENOENT and friends
  PERMISSION: 4, // EACCES / EPERM
  UNREACHABLE: 5, // no server answered (RX_CALL_DEAD, timeouts)
} as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (
    v &&
    typeof v === 'object' &&
    (v as { type?: string }).type === 'Buffer' &&
    Array.isArray((v as { data?: unknown }).data)
  ) {
    return Buffer.from((v as { data: number[] }).data).toString('hex');
  }
  return v;
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, jsonReplacer, 2)}\n`);
}

const NOT_FOUND_CODES = new Set(['ENOENT', 'ENXIO', 'ENODEV']);
const PERMISSION_CODES = new Set([
  'EACCES',
  'EPERM',
  'ERR_TSAFS_TOKEN_EXPIRED', // no usable identity: the same remedy as permission denied
  'ERR_TSAFS_NO_TOKEN',
]);

export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return EXIT.USAGE;
  if (e instanceof AfsError) {
    if (e.afsCode === -1 || e.afsCode === -3 || e.code === 'ETIMEDOUT' || e.code === 'EHOSTUNREACH')
      return EXIT.UNREACHABLE;
  }
  // AfsError and node:fs errors (a local file in get/put) share the Node error codes.
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (NOT_FOUND_CODES.has(code)) return EXIT.NOT_FOUND;
    if (PERMISSION_CODES.has(code)) return EXIT.PERMISSION;
  }
  return EXIT.FAILURE;
}

export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // client.fs gives node:fs's plain message; the error it replaced may say more (an unknown cell:
  // where the configuration was looked for, what to do).
  const cause = e.cause;
  if (e instanceof AfsError && cause instanceof AfsError && cause.code === e.code) {
    const detail = cause.message.replace(/^[A-Z0-9]+: /, '').replace(/, [a-z_]+ '[^']*'$/s, '');
    if (!e.message.includes(detail)) return `${e.message} (${detail})`;
  }
  return e.message;
}
