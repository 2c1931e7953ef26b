// The AFS error model: every abort code a server (or our own Rx layer) can produce becomes an
// AfsError shaped like a node:fs error (code, errno, syscall, path) that also carries the AFS
// number and name, and every code has a rotation policy saying what a caller should do next.
//
// Sources of the tables (facts only): OpenAFS src/rx/rx.h, src/rxgen/rxgen_consts.h,
// src/util/errors.h, src/fsint/afsint.xg, the com_err tables vl_errors.et, uerrors.et,
// rxkad_errs.et, pterror.et, volerr.et; Linux fs/afs/protocol_uae.h, misc.c and rotate.c.

import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import {
  RX_ADDRINUSE,
  RX_CALL_DEAD,
  RX_CALL_TIMEOUT,
  RX_EOF,
  RX_INVALID_OPERATION,
  RX_MSGSIZE,
  RX_PROTOCOL_ERROR,
  RX_RESTARTING,
  RX_USER_ABORT,
  RXGEN_CC_MARSHAL,
  RXGEN_CC_UNMARSHAL,
  RXGEN_CC_XDRFREE,
  RXGEN_DECODE,
  RXGEN_OPCODE,
  RXGEN_SS_MARSHAL,
  RXGEN_SS_UNMARSHAL,
  RXGEN_SS_XDRFREE,
} from '../rx/errors.js';

/** What the caller of a multi-site RPC should do after this code. */
export type RotationPolicy =
  /** Give the error to the user. */
  | 'fail'
  /** This site cannot serve the volume now: try the next site of the volume. */
  | 'next-server'
  /** The VLDB entry is stale (volume gone or moved): refresh it, then retry. */
  | 'refresh-vldb'
  /** Temporarily unavailable: try other sites, then sleep and retry. */
  | 'busy'
  /** The server does not know this RPC: retry with the older RPC if there is one. */
  | 'downgrade'
  /** The address did not answer: try the same server's next address (then the next server). */
  | 'next-address';

export interface AbortInfo {
  /** The abort code as a signed 32-bit number. */
  readonly code: number;
  /** The AFS symbolic name, e.g. 'VNOVOL', 'UAENOENT', 'RX_CALL_DEAD'. */
  readonly name: string;
  /** The Node-style error code users see, e.g. 'ENOENT'. */
  readonly nodeCode: string;
  readonly message: string;
  readonly policy: RotationPolicy;
}

// --- com_err tables -------------------------------------------------------------------------

const COM_ERR_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_';

/**
 * The first code of a com_err error table. OpenAFS's compile_et folds table names to upper case
 * (that is why the `u` and `rxk` tables start at 5376 and 19270400).
 */
export function errorTableBase(tableName: string): number {
  let base = 0;
  for (const ch of tableName.toUpperCase().slice(0, 4)) {
    base = base * 64 + COM_ERR_CHARS.indexOf(ch) + 1;
  }
  return base * 256;
}

export const UAE_BASE = 49733376; // 0x2f6df00
export const VL_BASE = 363520; // table "VL"
export const UBIK_BASE = 5376; // table "u"
export const RXKAD_BASE = 19270400; // table "rxk"
export const PT_BASE = 267264; // table "pt"
export const VOLSER_BASE = 1492325120; // table "vols"

// Well-known single codes that callers test for.
export { RX_CALL_DEAD, RX_CALL_TIMEOUT, RX_INVALID_OPERATION, RX_MSGSIZE, RX_RESTARTING, RXGEN_OPCODE };
export const VSALVAGE = 101;
export const VNOVNODE = 102;
export const VNOVOL = 103;
export const VVOLEXISTS = 104;
export const VNOSERVICE = 105;
export const VOFFLINE = 106;
export const VONLINE = 107;
export const VDISKFULL = 108;
export const VOVERQUOTA = 109;
export const VBUSY = 110;
export const VMOVED = 111;
export const VIO = 112;
export const VSALVAGING = 113;
export const VRESTRICTED = 120;
export const VICECONNBAD = 1234;
export const VICETOKENDEAD = 1235;
export const VL_NOENT = VL_BASE + 4;
export const RXKADEXPIRED = RXKAD_BASE + 9;
export const UAEIO = UAE_BASE + 4;
export const UAENOSPC = UAE_BASE + 27;
export const UAEDQUOT = UAE_BASE + 120;

// --- the table --------------------------------------------------------------------------------

type Row = readonly [name: string, nodeCode: string, policy: RotationPolicy, message: string];

const table = new Map<number, AbortInfo>();

function define(code: number, [name, nodeCode, policy, message]: Row): void {
  table.set(code, Object.freeze({ code, name, nodeCode, policy, message }));
}

function defineRun(base: number, rows: readonly Row[]): void {
  rows.forEach((row, i) => {
    define(base + i, row);
  });
}

// Rx transport codes (rx.h). A dead or timed-out call says nothing about the volume: move on.
define(RX_CALL_DEAD, ['RX_CALL_DEAD', 'ETIMEDOUT', 'next-address', 'server did not answer (call dead)']);
// kAFS treats RX_INVALID_OPERATION like RXGEN_OPCODE (rotate.c): the peer rejects the operation.
define(RX_INVALID_OPERATION, ['RX_INVALID_OPERATION', 'ENOTSUP', 'downgrade', 'invalid Rx operation']);
define(RX_CALL_TIMEOUT, ['RX_CALL_TIMEOUT', 'ETIMEDOUT', 'next-server', 'call timed out']);
define(RX_EOF, ['RX_EOF', 'EIO', 'fail', 'unexpected end of Rx data']);
define(RX_PROTOCOL_ERROR, ['RX_PROTOCOL_ERROR', 'EPROTO', 'next-server', 'Rx protocol error']);
define(RX_USER_ABORT, ['RX_USER_ABORT', 'ECONNABORTED', 'fail', 'call aborted']);
define(RX_ADDRINUSE, ['RX_ADDRINUSE', 'EADDRINUSE', 'fail', 'Rx port already in use']);
define(RX_MSGSIZE, ['RX_MSGSIZE', 'EMSGSIZE', 'busy', 'packet too big for the path']);
define(RX_RESTARTING, ['RX_RESTARTING', 'EAGAIN', 'busy', 'server is restarting']);

// rxgen marshalling codes (rxgen_consts.h); only an unknown opcode has a cure.
define(RXGEN_CC_MARSHAL, ['RXGEN_CC_MARSHAL', 'EPROTO', 'fail', 'client could not marshal the arguments']);
define(RXGEN_CC_UNMARSHAL, ['RXGEN_CC_UNMARSHAL', 'EPROTO', 'fail', 'client could not unmarshal the reply']);
define(RXGEN_SS_MARSHAL, ['RXGEN_SS_MARSHAL', 'EPROTO', 'fail', 'server could not marshal the reply']);
define(RXGEN_SS_UNMARSHAL, [
  'RXGEN_SS_UNMARSHAL',
  'EPROTO',
  'fail',
  'server could not unmarshal the arguments',
]);
define(RXGEN_DECODE, ['RXGEN_DECODE', 'EPROTO', 'fail', 'rxgen decode error']);
define(RXGEN_OPCODE, ['RXGEN_OPCODE', 'ENOTSUP', 'downgrade', 'server does not support this RPC']);
define(RXGEN_SS_XDRFREE, ['RXGEN_SS_XDRFREE', 'EPROTO', 'fail', 'server XDR free error']);
define(RXGEN_CC_XDRFREE, ['RXGEN_CC_XDRFREE', 'EPROTO', 'fail', 'client XDR free error']);

// Volume ("VICE special") codes (errors.h); policies follow afs_analyze.c and kAFS rotate.c.
define(VSALVAGE, ['VSALVAGE', 'EIO', 'next-server', 'volume needs salvage']);
define(VNOVNODE, ['VNOVNODE', 'ENOENT', 'fail', 'no such vnode']);
define(VNOVOL, ['VNOVOL', 'ENOMEDIUM', 'refresh-vldb', 'volume not on this server']);
define(VVOLEXISTS, ['VVOLEXISTS', 'EEXIST', 'next-server', 'volume already exists']);
define(VNOSERVICE, ['VNOSERVICE', 'EIO', 'next-server', 'volume not in service']);
define(VOFFLINE, ['VOFFLINE', 'EIO', 'next-server', 'volume is offline']);
define(VONLINE, ['VONLINE', 'EEXIST', 'next-server', 'volume is already online']);
define(VDISKFULL, ['VDISKFULL', 'ENOSPC', 'fail', 'partition is full']);
define(VOVERQUOTA, ['VOVERQUOTA', 'EDQUOT', 'fail', 'volume quota exceeded']);
define(VBUSY, ['VBUSY', 'EBUSY', 'busy', 'volume temporarily busy']);
define(VMOVED, ['VMOVED', 'ENXIO', 'refresh-vldb', 'volume moved to another server']);
define(VIO, ['VIO', 'EIO', 'fail', 'vnode temporarily inaccessible']);
define(VSALVAGING, ['VSALVAGING', 'EIO', 'busy', 'volume is being salvaged']);
define(VRESTRICTED, ['VRESTRICTED', 'EIO', 'fail', 'volume residency restricted']);
define(VICECONNBAD, ['VICECONNBAD', 'EIO', 'next-address', 'server rejected the connection']);
define(VICETOKENDEAD, ['VICETOKENDEAD', 'EKEYEXPIRED', 'fail', 'token no longer valid']);

// The UAE table: index = position in this list (protocol_uae.h), not the local errno.
const UAE_ERRNOS = [
  'EPERM',
  'ENOENT',
  'ESRCH',
  'EINTR',
  'EIO',
  'ENXIO',
  'E2BIG',
  'ENOEXEC',
  'EBADF',
  'ECHILD',
  'EAGAIN',
  'ENOMEM',
  'EACCES',
  'EFAULT',
  'ENOTBLK',
  'EBUSY',
  'EEXIST',
  'EXDEV',
  'ENODEV',
  'ENOTDIR',
  'EISDIR',
  'EINVAL',
  'ENFILE',
  'EMFILE',
  'ENOTTY',
  'ETXTBSY',
  'EFBIG',
  'ENOSPC',
  'ESPIPE',
  'EROFS',
  'EMLINK',
  'EPIPE',
  'EDOM',
  'ERANGE',
  'EDEADLK',
  'ENAMETOOLONG',
  'ENOLCK',
  'ENOSYS',
  'ENOTEMPTY',
  'ELOOP',
  'EWOULDBLOCK',
  'ENOMSG',
  'EIDRM',
  'ECHRNG',
  'EL2NSYNC',
  'EL3HLT',
  'EL3RST',
  'ELNRNG',
  'EUNATCH',
  'ENOCSI',
  'EL2HLT',
  'EBADE',
  'EBADR',
  'EXFULL',
  'ENOANO',
  'EBADRQC',
  'EBADSLT',
  'EBFONT',
  'ENOSTR',
  'ENODATA',
  'ETIME',
  'ENOSR',
  'ENONET',
  'ENOPKG',
  'EREMOTE',
  'ENOLINK',
  'EADV',
  'ESRMNT',
  'ECOMM',
  'EPROTO',
  'EMULTIHOP',
  'EDOTDOT',
  'EBADMSG',
  'EOVERFLOW',
  'ENOTUNIQ',
  'EBADFD',
  'EREMCHG',
  'ELIBACC',
  'ELIBBAD',
  'ELIBSCN',
  'ELIBMAX',
  'ELIBEXEC',
  'EILSEQ',
  'ERESTART',
  'ESTRPIPE',
  'EUSERS',
  'ENOTSOCK',
  'EDESTADDRREQ',
  'EMSGSIZE',
  'EPROTOTYPE',
  'ENOPROTOOPT',
  'EPROTONOSUPPORT',
  'ESOCKTNOSUPPORT',
  'EOPNOTSUPP',
  'EPFNOSUPPORT',
  'EAFNOSUPPORT',
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'ENETDOWN',
  'ENETUNREACH',
  'ENETRESET',
  'ECONNABORTED',
  'ECONNRESET',
  'ENOBUFS',
  'EISCONN',
  'ENOTCONN',
  'ESHUTDOWN',
  'ETOOMANYREFS',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EHOSTDOWN',
  'EHOSTUNREACH',
  'EALREADY',
  'EINPROGRESS',
  'ESTALE',
  'EUCLEAN',
  'ENOTNAM',
  'ENAVAIL',
  'EISNAM',
  'EREMOTEIO',
  'EDQUOT',
  'ENOMEDIUM',
  'EMEDIUMTYPE',
] as const;

// Linux errno numbers 1..133 (asm-generic/errno*.h); 41 and 58 are aliases with no own name.
const LINUX_ERRNOS: readonly (string | undefined)[] = [
  undefined,
  ...UAE_ERRNOS.slice(0, 40),
  undefined,
  ...UAE_ERRNOS.slice(41, 57),
  undefined,
  ...UAE_ERRNOS.slice(57),
  'ECANCELED',
  'ENOKEY',
  'EKEYEXPIRED',
  'EKEYREVOKED',
  'EKEYREJECTED',
  'EOWNERDEAD',
  'ENOTRECOVERABLE',
  'ERFKILL',
  'EHWPOISON',
];

/** The Node code for a Linux errno name (Node spells the aliases as their primary names). */
function nodeCodeOf(errnoName: string): string {
  if (errnoName === 'EWOULDBLOCK') return 'EAGAIN';
  if (errnoName === 'EOPNOTSUPP') return 'ENOTSUP';
  return errnoName;
}

/** The Linux errno number of a Node code, for errors os.constants.errno does not list. */
function linuxErrnoOf(code: string): number | undefined {
  const linuxName = code === 'ENOTSUP' ? 'EOPNOTSUPP' : code;
  const i = LINUX_ERRNOS.indexOf(linuxName);
  return i > 0 ? i : undefined;
}

// Translated errnos are the answer, not a site problem: all 'fail'.
UAE_ERRNOS.forEach((errnoName, i) => {
  define(UAE_BASE + i, [`UA${errnoName}`, nodeCodeOf(errnoName), 'fail', '']);
});

// VLDB (vl_errors.et). kAFS moves to the next VL server on IO, BADVOLOPER and NOMEM.
defineRun(VL_BASE, [
  ['VL_IDEXIST', 'EEXIST', 'fail', 'volume id entry exists in the VLDB'],
  ['VL_IO', 'EIO', 'next-server', 'VLDB I/O error'],
  ['VL_NAMEEXIST', 'EEXIST', 'fail', 'volume name entry exists in the VLDB'],
  ['VL_CREATEFAIL', 'EIO', 'fail', 'VLDB internal creation failure'],
  ['VL_NOENT', 'ENOENT', 'fail', 'no such volume in the VLDB'],
  ['VL_EMPTY', 'ENOENT', 'fail', 'VLDB is empty'],
  ['VL_ENTDELETED', 'ENOENT', 'fail', 'VLDB entry is deleted'],
  ['VL_BADNAME', 'EINVAL', 'fail', 'illegal volume name'],
  ['VL_BADINDEX', 'EINVAL', 'fail', 'VLDB index out of range'],
  ['VL_BADVOLTYPE', 'EINVAL', 'fail', 'bad volume type'],
  ['VL_BADSERVER', 'EINVAL', 'fail', 'illegal server number'],
  ['VL_BADPARTITION', 'EINVAL', 'fail', 'bad partition number'],
  ['VL_REPSFULL', 'EFBIG', 'fail', 'no room for more replication sites'],
  ['VL_NOREPSERVER', 'ENOENT', 'fail', 'no such replication site'],
  ['VL_DUPREPSERVER', 'EEXIST', 'fail', 'replication site already exists'],
  ['VL_RWNOTFOUND', 'ENOENT', 'fail', 'parent RW entry not found'],
  ['VL_BADREFCOUNT', 'EINVAL', 'fail', 'illegal reference count'],
  ['VL_SIZEEXCEEDED', 'EINVAL', 'fail', 'VLDB attribute size exceeded'],
  ['VL_BADENTRY', 'EINVAL', 'fail', 'bad VLDB entry'],
  ['VL_BADVOLIDBUMP', 'EINVAL', 'fail', 'illegal max volume id increment'],
  ['VL_IDALREADYHASHED', 'EINVAL', 'fail', 'RO/BK id already hashed'],
  ['VL_ENTRYLOCKED', 'EBUSY', 'fail', 'VLDB entry is locked'],
  ['VL_BADVOLOPER', 'EBADRQC', 'next-server', 'bad volume operation code'],
  ['VL_BADRELLOCKTYPE', 'EINVAL', 'fail', 'bad release lock type'],
  ['VL_RERELEASE', 'EIO', 'fail', 'last release was aborted'],
  ['VL_BADSERVERFLAG', 'EINVAL', 'fail', 'invalid replication site flag'],
  ['VL_PERM', 'EACCES', 'fail', 'no permission for this VLDB operation'],
  ['VL_NOMEM', 'ENOMEM', 'next-server', 'VL server out of memory'],
  ['VL_BADVERSION', 'EINVAL', 'fail', 'wrong VLDB version'],
  ['VL_INDEXERANGE', 'EINVAL', 'fail', 'VLDB index out of range'],
  ['VL_MULTIPADDR', 'EINVAL', 'fail', 'servers share an address'],
  ['VL_BADMASK', 'EINVAL', 'fail', 'illegal attribute mask'],
]);

// Ubik (uerrors.et): the database servers among themselves; quorum trouble means another server.
defineRun(UBIK_BASE, [
  ['UNOQUORUM', 'EAGAIN', 'next-server', 'no ubik quorum elected'],
  ['UNOTSYNC', 'EAGAIN', 'next-server', 'not the ubik sync site'],
  ['UNHOSTS', 'EIO', 'fail', 'too many ubik hosts'],
  ['UIOERROR', 'EIO', 'fail', 'ubik database I/O error'],
  ['UINTERNAL', 'EIO', 'fail', 'ubik internal error'],
  ['USYNC', 'EAGAIN', 'next-server', 'ubik synchronization error'],
  ['UNOENT', 'EIO', 'fail', 'ubik database file not found'],
  ['UBADLOCK', 'EIO', 'fail', 'bad ubik lock range'],
  ['UBADLOG', 'EIO', 'fail', 'ubik log read error'],
  ['UBADHOST', 'EIO', 'fail', 'bad ubik host name'],
  ['UBADTYPE', 'EIO', 'fail', 'bad operation for this ubik transaction'],
  ['UTWOENDS', 'EIO', 'fail', 'two commits or aborts of one transaction'],
  ['UDONE', 'EIO', 'fail', 'operation after abort or commit'],
  ['UNOSERVERS', 'EAGAIN', 'next-server', 'no ubik servers appear to be up'],
  ['UEOF', 'EIO', 'fail', 'premature ubik EOF'],
  ['ULOGIO', 'EIO', 'fail', 'ubik log write error'],
  ['UBADFAM', 'EIO', 'fail', 'unsupported address family'],
  ['UBADCELL', 'EIO', 'fail', 'inconsistent cell name'],
  ['UBADSECGRP', 'EIO', 'fail', 'bad security group'],
  ['UBADGROUP', 'EIO', 'fail', 'bad server group'],
  ['UBADUUID', 'EIO', 'fail', 'bad server uuid'],
  ['UNOMEM', 'ENOMEM', 'fail', 'ubik out of memory'],
  ['UNOTMEMBER', 'EIO', 'fail', 'host not in the server group'],
  ['UNBINDINGS', 'EIO', 'fail', 'too many bindings'],
  ['UBADPRINNAME', 'EIO', 'fail', 'inconsistent principal name'],
  ['UPIPE', 'EIO', 'fail', 'ubik pipe I/O error'],
  ['UDEADLOCK', 'EAGAIN', 'next-server', 'aborted to prevent deadlock'],
  ['UEXCEPTION', 'EIO', 'fail', 'rpc runtime exception'],
  ['UTPQFAIL', 'EIO', 'fail', 'vote thread pool failure'],
  ['USKEWED', 'EIO', 'fail', 'clock skew among servers'],
  ['UNOLOCK', 'EAGAIN', 'fail', 'could not obtain the ubik lock'],
  ['UNOACCESS', 'EACCES', 'fail', 'ubik permission denied'],
  ['UNOSPC', 'ENOSPC', 'fail', 'no space on the database device'],
  ['UBADPATH', 'EIO', 'fail', 'invalid database path'],
  ['UBADF', 'EIO', 'fail', 'bad database file descriptor'],
  ['UREINITIALIZE', 'EIO', 'fail', 'ubik reinitialized before initialization'],
  ['UMUTEXINIT', 'EIO', 'fail', 'ubik mutex init failed'],
  ['UMUTEXDESTROY', 'EIO', 'fail', 'ubik mutex destroy failed'],
]);

// rxkad (rxkad_errs.et): a new token is the auth layer's job; rotation cannot help.
defineRun(RXKAD_BASE, [
  ['RXKADINCONSISTENCY', 'EPROTO', 'fail', 'rxkad security object inconsistent'],
  ['RXKADPACKETSHORT', 'EPROTO', 'fail', 'packet too short for the security challenge'],
  ['RXKADLEVELFAIL', 'EKEYREJECTED', 'fail', 'rxkad security level negotiation failed'],
  ['RXKADTICKETLEN', 'EKEYREJECTED', 'fail', 'ticket length out of range'],
  ['RXKADOUTOFSEQUENCE', 'EPROTO', 'fail', 'packet had a bad sequence number'],
  ['RXKADNOAUTH', 'EKEYREJECTED', 'fail', 'caller not authorized'],
  ['RXKADBADKEY', 'EKEYREJECTED', 'fail', 'illegal key'],
  ['RXKADBADTICKET', 'EKEYREJECTED', 'fail', 'bad ticket'],
  ['RXKADUNKNOWNKEY', 'EKEYREJECTED', 'fail', 'ticket has an unknown key version'],
  ['RXKADEXPIRED', 'EKEYEXPIRED', 'fail', 'authentication expired'],
  ['RXKADSEALEDINCON', 'EKEYREJECTED', 'fail', 'sealed data inconsistent'],
  ['RXKADDATALEN', 'EKEYREJECTED', 'fail', 'user data too long'],
  ['RXKADILLEGALLEVEL', 'EKEYREJECTED', 'fail', 'caller may not use encrypted connections'],
]);

// Protection server (pterror.et).
defineRun(PT_BASE, [
  ['PREXIST', 'EEXIST', 'fail', 'name already exists'],
  ['PRIDEXIST', 'EEXIST', 'fail', 'id already exists'],
  ['PRNOIDS', 'ENOSPC', 'fail', 'no id left for this entry'],
  ['PRDBFAIL', 'EIO', 'fail', 'could not read or write the protection database'],
  ['PRNOENT', 'ENOENT', 'fail', 'user or group does not exist'],
  ['PRPERM', 'EACCES', 'fail', 'permission denied'],
  ['PRNOTGROUP', 'EINVAL', 'fail', 'no group specified'],
  ['PRNOTUSER', 'EINVAL', 'fail', 'no user specified'],
  ['PRBADNAM', 'EINVAL', 'fail', 'badly formed name'],
  ['PRBADARG', 'EINVAL', 'fail', 'argument illegal or out of range'],
  ['PRNOMORE', 'EDQUOT', 'fail', 'may not create more groups'],
  ['PRDBBAD', 'EIO', 'fail', 'protection database needs rebuilding'],
  ['PRGROUPEMPTY', 'EINVAL', 'fail', 'cannot make an empty group an owner'],
  ['PRINCONSISTENT', 'EIO', 'fail', 'protection database inconsistent'],
  ['PRDBADDR', 'EIO', 'fail', 'bad database address'],
  ['PRTOOMANY', 'E2BIG', 'fail', 'too many elements in group'],
  ['PRNOMEM', 'ENOMEM', 'fail', 'protection server out of memory'],
]);

// Volume server (volerr.et).
defineRun(VOLSER_BASE, [
  ['VOLSERTRELE_ERROR', 'EIO', 'fail', 'internal error releasing transaction'],
  ['VOLSERNO_OP', 'EIO', 'fail', 'unknown internal error'],
  ['VOLSERREAD_DUMPERROR', 'EIO', 'fail', 'badly formatted dump'],
  ['VOLSERDUMPERROR', 'EIO', 'fail', 'badly formatted dump (2)'],
  ['VOLSERATTACH_ERROR', 'EIO', 'fail', 'could not attach volume'],
  ['VOLSERILLEGAL_PARTITION', 'EINVAL', 'fail', 'illegal partition'],
  ['VOLSERDETACH_ERROR', 'EIO', 'fail', 'could not detach volume'],
  ['VOLSERBAD_ACCESS', 'EACCES', 'fail', 'insufficient privilege for volume operation'],
  ['VOLSERVLDB_ERROR', 'EIO', 'fail', 'error from the VLDB'],
  ['VOLSERBADNAME', 'EINVAL', 'fail', 'bad volume name'],
  ['VOLSERVOLMOVED', 'ENXIO', 'fail', 'volume moved'],
  ['VOLSERBADOP', 'EINVAL', 'fail', 'illegal volume operation'],
  ['VOLSERBADRELEASE', 'EIO', 'fail', 'volume release failed'],
  ['VOLSERVOLBUSY', 'EBUSY', 'fail', 'volume still in use by the volume server'],
  ['VOLSERNO_MEMORY', 'ENOMEM', 'fail', 'volume server out of memory'],
  ['VOLSERNOVOL', 'ENOENT', 'fail', 'no such volume'],
  ['VOLSERMULTIRWVOL', 'EIO', 'fail', 'more than one RW volume'],
  ['VOLSERFAILEDOP', 'EIO', 'fail', 'failed volume server operation'],
]);

/** Every named abort code, as data (the rotation policy included). */
export const ABORT_TABLE: ReadonlyMap<number, AbortInfo> = table;

const systemErrors = getSystemErrorMap();

function errnoNumber(nodeCode: string): number | undefined {
  const n = (osConstants.errno as Record<string, number | undefined>)[nodeCode] ?? linuxErrnoOf(nodeCode);
  return n === undefined ? undefined : -n;
}

function systemMessage(nodeCode: string): string | undefined {
  const n = errnoNumber(nodeCode);
  return n === undefined ? undefined : systemErrors.get(n)?.[1];
}

/**
 * Everything known about an abort code. Codes 1..133 that are not VICE codes are a server's raw
 * Linux errno (a server that did not get our ERRORTRANS capability sends those); anything else
 * unknown becomes EIO with a 'fail' policy.
 */
export function describeAbort(rawCode: number): AbortInfo {
  const code = rawCode | 0; // the wire carries a u32; AFS codes are signed
  const known = table.get(code);
  if (known) return known;
  if (code >= 1 && code < LINUX_ERRNOS.length) {
    const errnoName = LINUX_ERRNOS[code];
    if (errnoName !== undefined) {
      return { code, name: errnoName, nodeCode: nodeCodeOf(errnoName), policy: 'fail', message: '' };
    }
  }
  return { code, name: 'UNKNOWN', nodeCode: 'EIO', policy: 'fail', message: 'unknown abort code' };
}

/** The name of an abort code, or undefined for a code no table names. */
export function abortName(code: number): string | undefined {
  const info = describeAbort(code);
  return info.name === 'UNKNOWN' ? undefined : info.name;
}

export interface AbortContext {
  /** The node:fs-style operation, e.g. 'open', 'readdir'. */
  syscall?: string;
  path?: string;
  /** The RPC that failed, for the message. */
  rpc?: string;
  /** The underlying failure (e.g. the Rx call error). */
  cause?: unknown;
}

/** A failed AFS operation, shaped like a node:fs error. */
export class AfsError extends Error {
  override readonly name = 'AfsError';
  readonly code: string;
  /** Node's negative errno number, when the code has one. */
  readonly errno: number | undefined;
  /** The AFS abort code (signed), or undefined for a purely local failure. */
  readonly afsCode: number | undefined;
  readonly afsName: string | undefined;
  readonly syscall: string | undefined;
  readonly path: string | undefined;

  constructor(
    code: string,
    message: string,
    init: {
      afsCode?: number;
      afsName?: string;
      syscall?: string;
      path?: string;
      cause?: unknown;
    } = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.errno = errnoNumber(code);
    this.afsCode = init.afsCode;
    this.afsName = init.afsName;
    this.syscall = init.syscall;
    this.path = init.path;
  }

  /** The rotation policy for this error's abort code ('fail' for local errors). */
  get policy(): RotationPolicy {
    return this.afsCode === undefined ? 'fail' : describeAbort(this.afsCode).policy;
  }
}

/** Turn an abort code into the error a user sees. */
export function abortToError(code: number, context: AbortContext = {}): AfsError {
  const info = describeAbort(code);
  const text = systemMessage(info.nodeCode) ?? info.message;
  let message = `${info.nodeCode}: ${text || info.name}`;
  if (context.syscall !== undefined) {
    message += `, ${context.syscall}`;
    if (context.path !== undefined) message += ` '${context.path}'`;
  } else if (context.path !== undefined) {
    message += `, '${context.path}'`;
  }
  const via = context.rpc === undefined ? '' : ` from ${context.rpc}`;
  message += ` (AFS ${info.name} ${info.code}${via})`;
  return new AfsError(info.nodeCode, message, {
    afsCode: info.code,
    afsName: info.name,
    syscall: context.syscall,
    path: context.path,
    cause: context.cause,
  });
}

export interface ClassifyOptions {
  /** The volume is a read-only or backup clone: an I/O error on one site may be cured by another. */
  readOnly?: boolean;
}

/** What to do after an abort: the rotation policy (kafs-design §5.3, protocol.md §12). */
export function classifyAbort(code: number, options: ClassifyOptions = {}): RotationPolicy {
  const c = code | 0;
  // kAFS: VIO/UAEIO → next server only for RO/backup volumes (all clones hold the same data).
  if (options.readOnly && (c === VIO || c === UAEIO)) return 'next-server';
  return describeAbort(c).policy;
}

// Local (socket-level) failures: kAFS tries the next address of the same server on these.
const NEXT_ADDRESS_CODES = new Set([
  'ETIMEDOUT',
  'ETIME',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ECONNREFUSED',
  'EADDRNOTAVAIL',
]);

/**
 * The policy for any failure: an abort code inside an AfsError (or an object with a numeric
 * `afsCode`/abort `code`), or a local socket error identified by its Node code.
 */
export function classifyFailure(err: unknown, options: ClassifyOptions = {}): RotationPolicy {
  if (err instanceof AfsError) {
    if (err.afsCode !== undefined) return classifyAbort(err.afsCode, options);
    return NEXT_ADDRESS_CODES.has(err.code) ? 'next-address' : 'fail';
  }
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return classifyAbort(code, options);
    if (typeof code === 'string' && NEXT_ADDRESS_CODES.has(code)) return 'next-address';
  }
  return 'fail';
}
