// Volume Location service (VL, Rx service 52, port 7003): OpenAFS src/vlserver/vldbint.xg, vl_opcodes.h.
// uvldbentry and nvldbentry decode to one friendly VldbEntry; the raw layouts stay exact on the wire
// (uvldbentry 262 words = 1048 bytes, nvldbentry 119 words = 476 bytes).

import {
  array,
  type Codec,
  empty,
  fixedArray,
  i32,
  string,
  struct,
  transform,
  u32,
  wordChars,
  XdrError,
} from '../xdr/codec.js';
import { defineRpc, defineService } from './define.js';
import { type AfsUuid, afsUUID, Capabilities, ipv4ToString } from './types.js';

export const VL_SERVICE_ID = 52;
export const VL_PORT = 7003;

export const VL_MAXNAMELEN = 65;
export const OMAXNSERVERS = 8;
export const NMAXNSERVERS = 13;
export const MAXTYPES = 3;
export const VL_MAXBULKADDRS = 500;

/** Volume types for the ByID calls and the volumeId[] slots. */
export const RWVOL = 0;
export const ROVOL = 1;
export const BACKVOL = 2;

// Entry flags.
export const VLF_RWEXISTS = 0x1000;
export const VLF_ROEXISTS = 0x2000;
export const VLF_BACKEXISTS = 0x4000;
export const VLF_DFSFILESET = 0x8000;
// Per-site flags.
export const VLSF_NEWREPSITE = 0x01;
export const VLSF_ROVOL = 0x02;
export const VLSF_RWVOL = 0x04;
export const VLSF_BACKVOL = 0x08;
/** The site's serverNumber is a real UUID; without it, time_low carries the server's IPv4 address. */
export const VLSF_UUID = 0x10;
export const VLSF_DONTUSE = 0x20;
export const VLSF_RWREPLICA = 0x40;

// ListAddrByAttributes.Mask
export const VLADDR_IPADDR = 0x1;
export const VLADDR_INDEX = 0x2;
export const VLADDR_UUID = 0x4;

/** Partition index → "/vicepa" … "/vicepz", "/vicepaa" … (OpenAFS volutil_PartitionName2_r); null if invalid. */
export function partitionName(index: number): string | null {
  if (!Number.isInteger(index) || index < 0 || index >= 255) return null;
  if (index <= 25) return `/vicep${String.fromCharCode(97 + index)}`;
  const p = index - 26;
  return `/vicep${String.fromCharCode(97 + Math.floor(p / 26))}${String.fromCharCode(97 + (p % 26))}`;
}

export interface VldbSite {
  /** The file server's UUID when VLSF_UUID is set (uvldbentry), else null. */
  uuid: AfsUuid | null;
  /** The file server's IPv4 address (host order) when no UUID is known, else null. */
  addr: number | null;
  /** serverUnique: the server's address-list version (uvldbentry only; 0 otherwise). */
  unique: number;
  partition: number;
  partitionName: string | null;
  flags: number;
}

export interface VldbEntry {
  name: string;
  volumeIds: { rw: number; ro: number; bk: number };
  cloneId: number;
  flags: number;
  matchIndex: number;
  sites: VldbSite[];
}

/** What encoding an entry needs (a fake VL server): partition names are derived, unknowns default to 0. */
export interface VldbSiteIn {
  uuid?: Uint8Array | null;
  addr?: number | null;
  unique?: number;
  partition: number;
  flags: number;
}
export interface VldbEntryIn {
  name: string;
  volumeIds: { rw: number; ro: number; bk: number };
  cloneId?: number;
  flags: number;
  matchIndex?: number;
  sites: readonly VldbSiteIn[];
}

const spares = fixedArray(i32, 8); // spares2..spares9

const uvldbentryWire = struct({
  name: wordChars(VL_MAXNAMELEN),
  nServers: i32,
  serverNumber: fixedArray(afsUUID, NMAXNSERVERS),
  serverUnique: fixedArray(i32, NMAXNSERVERS),
  serverPartition: fixedArray(i32, NMAXNSERVERS),
  serverFlags: fixedArray(i32, NMAXNSERVERS),
  volumeId: fixedArray(u32, MAXTYPES),
  cloneId: u32,
  flags: i32,
  matchindex: i32,
  spares,
});

const nvldbentryWire = struct({
  name: wordChars(VL_MAXNAMELEN),
  nServers: i32,
  serverNumber: fixedArray(u32, NMAXNSERVERS),
  serverPartition: fixedArray(i32, NMAXNSERVERS),
  serverFlags: fixedArray(i32, NMAXNSERVERS),
  volumeId: fixedArray(u32, MAXTYPES),
  cloneId: u32,
  flags: i32,
  matchindex: i32,
  spares,
});

function siteCount(n: number): number {
  if (n < 0 || n > NMAXNSERVERS)
    throw new XdrError('XDR_BAD_VALUE', `nServers ${n} outside 0..${NMAXNSERVERS}`);
  return n;
}

function checkSites(e: VldbEntryIn): void {
  if (e.sites.length > NMAXNSERVERS) {
    throw new XdrError('XDR_TOO_LONG', `${e.sites.length} sites exceed ${NMAXNSERVERS}`);
  }
}

function column<T>(sites: readonly VldbSiteIn[], pick: (s: VldbSiteIn) => T, fill: T): T[] {
  return Array.from({ length: NMAXNSERVERS }, (_, i) => (i < sites.length ? pick(sites[i]!) : fill));
}

const ZERO_UUID = Buffer.alloc(16);

function siteUuidWire(s: VldbSiteIn): Uint8Array {
  if (s.uuid) return s.uuid;
  const b = Buffer.alloc(16);
  b.writeUInt32BE(s.addr ?? 0, 0); // non-UUID sites carry the address in time_low
  return b;
}

/** The fields both VLDB entry forms share, from their wire records. */
function entryFromWire(
  w: { name: string; volumeId: number[]; cloneId: number; flags: number; matchindex: number },
  sites: VldbSite[],
): VldbEntry {
  const [rw, ro, bk] = w.volumeId as [number, number, number];
  return {
    name: w.name,
    volumeIds: { rw, ro, bk },
    cloneId: w.cloneId,
    flags: w.flags,
    matchIndex: w.matchindex,
    sites,
  };
}

export const uvldbentry: Codec<VldbEntry, VldbEntryIn> = transform(
  uvldbentryWire,
  (w): VldbEntry => {
    const n = siteCount(w.nServers);
    const sites: VldbSite[] = [];
    for (let i = 0; i < n; i++) {
      const flags = w.serverFlags[i]!;
      const u = w.serverNumber[i]!;
      const isUuid = (flags & VLSF_UUID) !== 0;
      sites.push({
        uuid: isUuid ? u : null,
        addr: isUuid ? null : u.readUInt32BE(0),
        unique: w.serverUnique[i]!,
        partition: w.serverPartition[i]!,
        partitionName: partitionName(w.serverPartition[i]!),
        flags,
      });
    }
    return entryFromWire(w, sites);
  },
  (e: VldbEntryIn) => {
    checkSites(e);
    return {
      name: e.name,
      nServers: e.sites.length,
      serverNumber: column<Uint8Array>(e.sites, siteUuidWire, ZERO_UUID),
      serverUnique: column(e.sites, (s) => s.unique ?? 0, 0),
      serverPartition: column(e.sites, (s) => s.partition, 0),
      serverFlags: column(e.sites, (s) => s.flags, 0),
      volumeId: [e.volumeIds.rw, e.volumeIds.ro, e.volumeIds.bk],
      cloneId: e.cloneId ?? 0,
      flags: e.flags,
      matchindex: e.matchIndex ?? 0,
      spares: [0, 0, 0, 0, 0, 0, 0, 0],
    };
  },
);

export const nvldbentry: Codec<VldbEntry, VldbEntryIn> = transform(
  nvldbentryWire,
  (w): VldbEntry => {
    const n = siteCount(w.nServers);
    const sites: VldbSite[] = [];
    for (let i = 0; i < n; i++) {
      sites.push({
        uuid: null,
        addr: w.serverNumber[i]!,
        unique: 0,
        partition: w.serverPartition[i]!,
        partitionName: partitionName(w.serverPartition[i]!),
        flags: w.serverFlags[i]!,
      });
    }
    return entryFromWire(w, sites);
  },
  (e: VldbEntryIn) => {
    checkSites(e);
    for (const s of e.sites) {
      if (s.addr === undefined || s.addr === null)
        throw new XdrError('XDR_BAD_VALUE', 'nvldbentry sites need an addr');
    }
    return {
      name: e.name,
      nServers: e.sites.length,
      serverNumber: column(e.sites, (s) => s.addr!, 0),
      serverPartition: column(e.sites, (s) => s.partition, 0),
      serverFlags: column(e.sites, (s) => s.flags, 0),
      volumeId: [e.volumeIds.rw, e.volumeIds.ro, e.volumeIds.bk],
      cloneId: e.cloneId ?? 0,
      flags: e.flags,
      matchindex: e.matchIndex ?? 0,
      spares: [0, 0, 0, 0, 0, 0, 0, 0],
    };
  },
);

export interface ListAddrByAttributes {
  mask: number;
  ipaddr: number;
  index: number;
  spare1: number;
  uuid: AfsUuid;
}
export const ListAddrByAttributes: Codec<
  ListAddrByAttributes,
  Omit<ListAddrByAttributes, 'uuid'> & { uuid: Uint8Array }
> = struct({ mask: i32, ipaddr: u32, index: i32, spare1: i32, uuid: afsUUID });

/** GetAddrsU arguments asking for a file server's addresses by UUID. */
export function addrsByUuid(uuid: Uint8Array): {
  attributes: Omit<ListAddrByAttributes, 'uuid'> & { uuid: Uint8Array };
} {
  return { attributes: { mask: VLADDR_UUID, ipaddr: 0, index: 0, spare1: 0, uuid } };
}

/** Printable form of a site's server for logs and the CLI. */
export function siteServer(s: VldbSite): string {
  return s.addr !== null ? ipv4ToString(s.addr) : `uuid:${s.uuid!.toString('hex')}`;
}

const volumeName = string(VL_MAXNAMELEN);

export const VL = {
  /** VL_ProbeServer (multi): success means alive. */
  Probe: defineRpc({ name: 'VL.Probe', opcode: 514, args: empty, result: empty }),
  GetEntryByNameN: defineRpc({
    name: 'VL.GetEntryByNameN',
    opcode: 519,
    args: struct({ volumeName }),
    result: struct({ entry: nvldbentry }),
  }),
  GetEntryByNameU: defineRpc({
    name: 'VL.GetEntryByNameU',
    opcode: 527,
    args: struct({ volumeName }),
    result: struct({ entry: uvldbentry }),
  }),
  GetEntryByIDN: defineRpc({
    name: 'VL.GetEntryByIDN',
    opcode: 518,
    args: struct({ volumeId: u32, volumeType: i32 }),
    result: struct({ entry: nvldbentry }),
  }),
  /**
   * Opcode 526 exists in vl_opcodes.h and vlprocs.c but is not declared in OpenAFS's vldbint.xg, so
   * OpenAFS vlservers answer RXGEN_OPCODE: look a volume up by ID with GetEntryByNameU on the decimal ID.
   */
  GetEntryByIDU: defineRpc({
    name: 'VL.GetEntryByIDU',
    opcode: 526,
    args: struct({ volumeId: u32, volumeType: i32 }),
    result: struct({ entry: uvldbentry }),
  }),
  GetAddrsU: defineRpc({
    name: 'VL.GetAddrsU',
    opcode: 533,
    args: struct({ attributes: ListAddrByAttributes }),
    // nentries may be smaller than addrs.length: use the minimum.
    result: struct({ uuid: afsUUID, uniquifier: i32, nentries: i32, addrs: array(u32, VL_MAXBULKADDRS) }),
  }),
  /** AuriStor only; OpenAFS answers RXGEN_OPCODE, which still proves the server is up. */
  GetCapabilities: defineRpc({
    name: 'VL.GetCapabilities',
    opcode: 65537,
    args: empty,
    result: struct({ capabilities: Capabilities }),
  }),
};

export const vlService = defineService('VL', VL);
