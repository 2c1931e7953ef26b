// The node:fs/promises calling convention put in front of client.fs's methods: each method is an
// own property bound to its client (`const { stat } = client.fs` works), arguments are checked
// and normalised before any RPC (paths, options copied at call time, modes, flags), failures are
// rejections, and a caller's AbortSignal ends the call with AbortError whatever answered.

import { getSystemErrorMap } from 'node:util';
import { AfsError } from '../rpc/errors.js';
import { underSignal } from './errors.js';
import { invalidArgType, validateInteger } from './node-args.js';
import {
  checkBoolean,
  checkEncoding,
  checkSignal,
  flagsOf,
  lengthOf,
  modeOf,
  optionsOf,
  smallMode,
  toPath,
} from './paths.js';

type Args = unknown[];
/** Rewrites the arguments in place (validation throws) and returns the signal to honour. */
type Normalise = (a: Args) => AbortSignal | undefined;

/** Options at index i: copied, checked, given back with its signal. */
function opts(a: Args, i: number, stringKey = 'encoding', check?: (o: Record<string, unknown>) => void) {
  const o = optionsOf<Record<string, unknown>>(a[i], stringKey);
  checkSignal(o.signal);
  checkEncoding(o.encoding);
  check?.(o);
  a[i] = o;
  return o.signal as AbortSignal | undefined;
}

const path =
  (...idx: number[]) =>
  (a: Args) => {
    for (const i of idx) a[i] = toPath(a[i], i === 0 ? (idx.length > 1 ? 'oldPath' : 'path') : 'newPath');
  };

const isHandle = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  'fd' in v &&
  typeof (v as { readFile?: unknown }).readFile === 'function';

function bools(...names: string[]) {
  return (o: Record<string, unknown>) => {
    for (const n of names) checkBoolean(o[n], `options.${n}`);
  };
}

function retries(o: Record<string, unknown>) {
  bools('recursive', 'force')(o);
  if (o.maxRetries !== undefined) validateInteger(o.maxRetries, 'options.maxRetries', 0);
  if (o.retryDelay !== undefined) validateInteger(o.retryDelay, 'options.retryDelay', 0);
}

const SPECS: Record<string, Normalise> = {
  access: (a) => {
    path(0)(a);
    a[1] = smallMode(a[1], 'mode', 0);
    return undefined;
  },
  stat: (a) => statLike(a),
  lstat: (a) => statLike(a),
  statfs: (a) => {
    path(0)(a);
    return opts(a, 1, 'encoding', bools('bigint'));
  },
  readdir: (a) => {
    path(0)(a);
    return opts(a, 1);
  },
  opendir: (a) => {
    path(0)(a);
    return opts(a, 1, 'encoding', (o) => {
      bools('recursive')(o);
      if (o.bufferSize !== undefined) validateInteger(o.bufferSize, 'options.bufferSize', 1, 4294967295);
    });
  },
  mkdir: (a) => {
    path(0)(a);
    if (typeof a[1] === 'number' || typeof a[1] === 'string') a[1] = { mode: a[1] };
    return opts(a, 1, 'mode', (o) => {
      bools('recursive')(o);
      o.mode = modeOf(o.mode, 'mode', 0o777);
    });
  },
  mkdtemp: (a) => {
    if (typeof a[0] !== 'string' && !Buffer.isBuffer(a[0]) && !(a[0] instanceof URL))
      throw invalidArgType('prefix', 'of type string or an instance of Buffer or URL', a[0]);
    a[0] = toPath(a[0], 'prefix');
    return opts(a, 1);
  },
  rmdir: (a) => {
    path(0)(a);
    return opts(a, 1, 'encoding', retries);
  },
  rm: (a) => {
    path(0)(a);
    return opts(a, 1, 'encoding', retries);
  },
  unlink: (a) => {
    path(0)(a);
    return undefined;
  },
  rename: (a) => {
    path(0, 1)(a);
    return undefined;
  },
  link: (a) => {
    path(0, 1)(a);
    return undefined;
  },
  symlink: (a) => {
    a[0] = toPath(a[0], 'target');
    a[1] = toPath(a[1], 'path');
    if (![undefined, null, 'dir', 'file', 'junction'].includes(a[2] as string))
      throw Object.assign(
        new Error(`Symlink type must be one of "dir", "file", or "junction". Received "${String(a[2])}"`),
        { code: 'ERR_FS_INVALID_SYMLINK_TYPE' },
      );
    return undefined;
  },
  readlink: (a) => {
    path(0)(a);
    return opts(a, 1);
  },
  realpath: (a) => {
    path(0)(a);
    return opts(a, 1);
  },
  readFile: (a) => {
    if (!isHandle(a[0])) path(0)(a);
    return opts(a, 1, 'encoding', (o) => {
      if (o.flag !== undefined) flagsOf(o.flag);
    });
  },
  writeFile: (a) => {
    if (!isHandle(a[0])) path(0)(a);
    return opts(a, 2, 'encoding', (o) => {
      if (o.flag !== undefined) flagsOf(o.flag);
      o.mode = modeOf(o.mode, 'mode', 0o666);
    });
  },
  appendFile: (a) => {
    if (!isHandle(a[0])) path(0)(a);
    return opts(a, 2, 'encoding', (o) => {
      if (o.flag !== undefined) flagsOf(o.flag);
      o.mode = modeOf(o.mode, 'mode', 0o666);
    });
  },
  truncate: (a) => {
    path(0)(a);
    a[1] = lengthOf(a[1], 'len');
    return undefined;
  },
  chmod: (a) => {
    path(0)(a);
    a[1] = modeOf(a[1], 'mode', Number.NaN);
    if (Number.isNaN(a[1])) throw invalidArgType('mode', 'of type number', undefined);
    return undefined;
  },
  lchmod: (a) => {
    path(0)(a);
    return undefined;
  },
  chown: (a) => {
    path(0)(a);
    return ids(a);
  },
  lchown: (a) => {
    path(0)(a);
    return ids(a);
  },
  utimes: (a) => {
    path(0)(a);
    return undefined;
  },
  lutimes: (a) => {
    path(0)(a);
    return undefined;
  },
  open: (a) => {
    path(0)(a);
    a[1] = flagsOf(a[1]);
    a[2] = modeOf(a[2], 'mode', 0o666);
    return undefined;
  },
  copyFile: (a) => {
    a[0] = toPath(a[0], 'src');
    a[1] = toPath(a[1], 'dest');
    a[2] = smallMode(a[2], 'mode', 0);
    return undefined;
  },
  cp: (a) => {
    a[0] = toPath(a[0], 'src');
    a[1] = toPath(a[1], 'dest');
    return opts(a, 2, 'encoding', (o) => {
      bools('recursive', 'force', 'errorOnExist', 'dereference', 'preserveTimestamps', 'verbatimSymlinks')(o);
      if (o.filter !== undefined && typeof o.filter !== 'function')
        throw invalidArgType('options.filter', 'of type function', o.filter);
      if (o.dereference && o.verbatimSymlinks)
        throw Object.assign(
          new TypeError("The property 'options.dereference' must be false when verbatimSymlinks is true"),
          {
            code: 'ERR_INCOMPATIBLE_OPTION_PAIR',
          },
        );
    });
  },
};

/** stat/lstat: node:fs reads `bigint` from whatever was passed (map()'s index too). */
function statLike(a: Args): AbortSignal | undefined {
  path(0)(a);
  if (a[1] === null || typeof a[1] !== 'object') a[1] = {};
  return opts(a, 1);
}

function ids(a: Args): undefined {
  validateInteger(a[1], 'uid', -1, 4294967295);
  validateInteger(a[2], 'gid', -1, 4294967295);
  return undefined;
}

/** Methods that take an AbortSignal in their options (the rest ignore one). */
const SIGNALLED = new Set([
  'readFile',
  'writeFile',
  'appendFile',
  'cp',
  'readdir',
  'stat',
  'lstat',
  'mkdir',
  'rm',
  'opendir',
  'readlink',
  'realpath',
  'statfs',
  'mkdtemp',
  'rmdir',
]);

/** The syscall node:fs names in errors of each single-path call. */
const SYSCALL: Record<string, string> = {
  access: 'access',
  stat: 'stat',
  lstat: 'lstat',
  statfs: 'statfs',
  readdir: 'scandir',
  opendir: 'opendir',
  mkdir: 'mkdir',
  rmdir: 'rmdir',
  unlink: 'unlink',
  readlink: 'readlink',
  realpath: 'realpath',
  readFile: 'open',
  writeFile: 'open',
  appendFile: 'open',
  truncate: 'open',
  chmod: 'chmod',
  chown: 'chown',
  lchown: 'lchown',
  utimes: 'utime',
  lutimes: 'lutime',
  open: 'open',
};
/** Syscalls of the walk a call does first: its errors are the call's own to Node users. */
const WALK = new Set([undefined, 'walk', 'stat', 'lstat']);
const systemErrors = getSystemErrorMap();

/** An error as Node reports it for `name(path)`: its syscall, and the path the caller gave. */
function asCallError(e: unknown, name: string, path: unknown): unknown {
  const syscall = SYSCALL[name];
  if (!syscall || !(e instanceof AfsError) || !/^E[A-Z0-9]+$/.test(e.code) || typeof path !== 'string')
    return e;
  const own = e.syscall === syscall || (WALK.has(e.syscall) && name !== 'stat' && name !== 'lstat');
  if (!own || (e.syscall === syscall && e.path === path)) return e;
  const text =
    (e.errno !== undefined && systemErrors.get(e.errno)?.[1]) ||
    e.message.replace(/^[A-Z0-9]+: /, '').replace(/, .*$/s, '');
  return new AfsError(e.code, `${e.code}: ${text}, ${syscall} '${path}'`, {
    afsCode: e.afsCode,
    afsName: e.afsName,
    syscall,
    path,
    cause: e,
  });
}

/** Make every public method of `fs` an own, bound property speaking node:fs/promises' conventions. */
export function installNodeShape(fs: object): void {
  const proto = Object.getPrototypeOf(fs) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const impl = proto[name];
    if (name === 'constructor' || typeof impl !== 'function') continue;
    const bound = (impl as (...a: Args) => unknown).bind(fs);
    const spec = SPECS[name];
    if (!spec) {
      Object.defineProperty(fs, name, { value: bound, writable: true, configurable: true });
      continue;
    }
    const wrapped = {
      // A named function (stack traces, util.inspect) that rejects rather than throws.
      [name]: async (...args: Args) => {
        const a = [...args];
        const signal = spec(a);
        const s = SIGNALLED.has(name) ? signal : undefined;
        return underSignal(s, () => bound(...a) as Promise<unknown>).catch((e: unknown) => {
          throw asCallError(e, name, a[0]);
        });
      },
    }[name]!;
    Object.defineProperty(fs, name, { value: wrapped, writable: true, configurable: true });
  }
}
