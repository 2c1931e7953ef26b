// Errors as node:fs/promises gives them: AbortError (code ABORT_ERR) whenever the caller's signal
// ended the call, however far it got (answered from the cache or from the wire); Node's message
// and fields (code, errno, syscall, path, dest) on every failure.

import { AfsError } from '../rpc/errors.js';

/** node's AbortError: name 'AbortError', code 'ABORT_ERR', the signal's reason as cause. */
export class AbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function abortErrorFor(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/** Run `fn` under `signal`: aborted before, during or by the time it settled → AbortError. */
export async function underSignal<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  if (!signal) return fn();
  if (signal.aborted) throw abortErrorFor(signal);
  let value: T;
  try {
    value = await fn();
  } catch (e) {
    if (signal.aborted) throw abortErrorFor(signal);
    throw e;
  }
  if (signal.aborted) throw abortErrorFor(signal);
  return value;
}

/** A failure of a two-path call (rename, link, copyFile, symlink) carrying `dest` as Node's does. */
export function withDest(e: unknown, syscall: string, path: string, dest: string): unknown {
  if (!(e instanceof AfsError)) return e;
  const text = e.message.replace(/, [a-z_]+ '.*$/s, '');
  const err = new AfsError(e.code, `${text}, ${syscall} '${path}' -> '${dest}'`, {
    afsCode: e.afsCode,
    afsName: e.afsName,
    syscall,
    path,
    cause: e,
  });
  return Object.assign(err, { dest });
}

/** An AfsError with Node's code, message shape and fields. */
export function fsError(code: string, text: string, syscall: string, path: string, dest?: string): AfsError {
  const where = dest === undefined ? `'${path}'` : `'${path}' -> '${dest}'`;
  const e = new AfsError(code, `${code}: ${text}, ${syscall} ${where}`, { syscall, path });
  return dest === undefined ? e : Object.assign(e, { dest });
}
