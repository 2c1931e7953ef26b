import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AFSDBCacheEntry,
  AFSDBCacheEntry64,
  AFSDBLock,
  CB,
  cacheConfigV1,
  cacheConfigV1Result,
  cbService,
  isVolumeBreak,
  parseCacheConfigV1,
} from '../../src/rpc/cb.js';
import {
  decodeArgs,
  decodeCall,
  decodeResult,
  decodeResultFrom,
  defineRpc,
  defineService,
  encodeRequest,
  encodeResult,
  RXGEN_OPCODE,
  RXGEN_SS_UNMARSHAL,
  readOpcode,
  serverAbortCode,
  UnknownOpcodeError,
} from '../../src/rpc/define.js';
import { AFSFetchVolumeStatus, FS, fsService } from '../../src/rpc/fs.js';
import {
  AFSFetchStatus,
  afsUUID,
  interfaceAddr,
  ipv4FromString,
  ipv4ToString,
  randomAfsUuid,
  storeStatus,
  uuidFromString,
  uuidToRfcString,
  uuidToString,
} from '../../src/rpc/types.js';
import {
  nvldbentry,
  partitionName,
  uvldbentry,
  VL,
  VLF_ROEXISTS,
  VLF_RWEXISTS,
  VLSF_ROVOL,
  VLSF_RWVOL,
  VLSF_UUID,
  vlService,
} from '../../src/rpc/vl.js';
import { decode, encode, u32, XdrError, XdrReader, XdrWriter } from '../../src/xdr/codec.js';

const hex = (b: Buffer) => b.toString('hex');
const words = (w: readonly number[]) => {
  const b = Buffer.alloc(4 * w.length);
  w.forEach((x, i) => {
    b.writeInt32BE(x | 0, 4 * i);
  });
  return b;
};
const xdrErr = (code: string) => (e: unknown) => e instanceof XdrError && e.code === code;
const fid = { volume: 536870918, vnode: 1, unique: 1 };

test('protocol.md §4.1 worked example: GetEntryByNameU("root.cell") payload, byte for byte', () => {
  const payload = encodeRequest(VL.GetEntryByNameU, { volumeName: 'root.cell' });
  assert.equal(hex(payload), '0000020f00000009726f6f742e63656c6c000000');
  assert.equal(payload.length, 48 - 28, 'the 48-byte packet minus its 28-byte Rx header');
  assert.equal(readOpcode(payload), 527);
  assert.deepEqual(decodeCall(vlService, payload).args, { volumeName: 'root.cell' });
});

// An afsUUID as OpenAFS puts it on the wire: u32, two u_short words, then 8 sign-extended char words.
const uuidBytes = Buffer.from('0c1d2e3f4a5b6c7d8e9fa0b1c2d3e4f5', 'hex');
const uuidWords = [0x0c1d2e3f, 0x4a5b, 0x6c7d, -0x72, -0x61, -0x60, -0x4f, -0x3e, -0x2d, -0x1c, -0x0b];

test('afsUUID: 11 words <-> 16 bytes, and its text forms', () => {
  const b = encode(afsUUID, uuidBytes);
  assert.equal(b.length, 44);
  assert.equal(hex(b), hex(words(uuidWords)));
  assert.deepEqual(decode(afsUUID, b), uuidBytes);
  // Zero-extended narrow fields (as Linux kAFS sends them) decode to the same bytes.
  const zext = words(uuidWords.map((w, i) => (i >= 3 ? w & 0xff : w)));
  assert.deepEqual(decode(afsUUID, zext), uuidBytes);
  assert.equal(uuidToString(uuidBytes), '0c1d2e3f-4a5b-6c7d-8e-9f-a0b1c2d3e4f5');
  assert.equal(uuidToRfcString(uuidBytes), '0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5');
  assert.deepEqual(uuidFromString('0c1d2e3f-4a5b-6c7d-8e-9f-a0b1c2d3e4f5'), uuidBytes);
  assert.deepEqual(uuidFromString('0C1D2E3F-4A5B-6C7D-8E9F-A0B1C2D3E4F5'), uuidBytes);
  assert.throws(() => uuidFromString('0c1d2e3f-4a5b'), TypeError);
  assert.throws(() => encode(afsUUID, Buffer.alloc(15)), xdrErr('XDR_BAD_VALUE'));
  const r = randomAfsUuid();
  assert.equal(r.length, 16);
  assert.equal(r[6]! >> 4, 4, 'version 4');
  assert.notDeepEqual(randomAfsUuid(), r);
});

test('uvldbentry is 1048 bytes and decodes a hand-built entry to the friendly VldbEntry', () => {
  // Build the raw words in vldbint.xg order, independently of the encoder.
  const w: number[] = [];
  const name = 'root.cell';
  for (let i = 0; i < 65; i++) w.push(i < name.length ? name.charCodeAt(i) : 0);
  w.push(3); // nServers
  const addrSite = [ipv4FromString('127.1.0.1'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const sites = [uuidWords, uuidWords, addrSite];
  for (let i = 0; i < 13; i++) w.push(...(sites[i] ?? new Array(11).fill(0)));
  w.push(...[5, 5, 0], ...new Array(10).fill(0)); // serverUnique
  w.push(...[0, 1, 27], ...new Array(10).fill(0)); // serverPartition
  const flags = [VLSF_RWVOL | VLSF_UUID, VLSF_ROVOL | VLSF_UUID, VLSF_ROVOL];
  w.push(...flags, ...new Array(10).fill(0)); // serverFlags
  w.push(536870915, 536870916, 536870917); // volumeId rw ro bk
  w.push(0, VLF_RWEXISTS | VLF_ROEXISTS, 1); // cloneId, flags, matchindex
  w.push(...new Array(8).fill(0)); // spares2..9
  const raw = words(w);
  assert.equal(raw.length, 1048);
  assert.equal(uvldbentry.fixedSize, 1048);

  const { entry } = decodeResult(VL.GetEntryByNameU, raw);
  assert.equal(entry.name, 'root.cell');
  assert.deepEqual(entry.volumeIds, { rw: 536870915, ro: 536870916, bk: 536870917 });
  assert.equal(entry.flags, VLF_RWEXISTS | VLF_ROEXISTS);
  assert.equal(entry.matchIndex, 1);
  assert.equal(entry.sites.length, 3);
  assert.deepEqual(entry.sites[0], {
    uuid: uuidBytes,
    addr: null,
    unique: 5,
    partition: 0,
    partitionName: '/vicepa',
    flags: VLSF_RWVOL | VLSF_UUID,
  });
  assert.equal(entry.sites[1]!.partitionName, '/vicepb');
  assert.equal(entry.sites[2]!.uuid, null);
  assert.equal(
    ipv4ToString(entry.sites[2]!.addr!),
    '127.1.0.1',
    'non-UUID sites carry the address in time_low',
  );
  assert.equal(entry.sites[2]!.partitionName, '/vicepab');

  // And back: the encoder reproduces the hand-built words exactly.
  assert.equal(hex(encode(uvldbentry, entry)), hex(raw));
});

test('uvldbentry: an nServers outside 0..13 and truncation are typed errors', () => {
  const e = encode(uvldbentry, { name: 'v', volumeIds: { rw: 1, ro: 0, bk: 0 }, flags: 0, sites: [] });
  const bad = Buffer.from(e);
  bad.writeInt32BE(14, 65 * 4);
  assert.throws(() => decode(uvldbentry, bad), xdrErr('XDR_BAD_VALUE'));
  bad.writeInt32BE(-1, 65 * 4);
  assert.throws(() => decode(uvldbentry, bad), xdrErr('XDR_BAD_VALUE'));
  assert.throws(() => decode(uvldbentry, e.subarray(0, 1047)), xdrErr('XDR_SHORT'));
  const tooMany = Array.from({ length: 14 }, () => ({ addr: 1, partition: 0, flags: 0 }));
  assert.throws(
    () => encode(uvldbentry, { name: 'v', volumeIds: { rw: 1, ro: 0, bk: 0 }, flags: 0, sites: tooMany }),
    xdrErr('XDR_TOO_LONG'),
  );
});

test('nvldbentry is 476 bytes with IPv4 sites', () => {
  const entry = {
    name: 'test.vol',
    volumeIds: { rw: 7, ro: 8, bk: 9 },
    cloneId: 0,
    flags: VLF_RWEXISTS,
    matchIndex: 0,
    sites: [
      { uuid: null, addr: 0x7f010001, unique: 0, partition: 0, partitionName: '/vicepa', flags: VLSF_RWVOL },
    ],
  };
  const b = encode(nvldbentry, entry);
  assert.equal(b.length, 476);
  assert.equal(b.readUInt32BE(66 * 4), 0x7f010001, 'serverNumber[0] right after name[65] and nServers');
  assert.deepEqual(decode(nvldbentry, b), entry);
});

test('partition names follow volutil_PartitionName2_r', () => {
  assert.equal(partitionName(0), '/vicepa');
  assert.equal(partitionName(25), '/vicepz');
  assert.equal(partitionName(26), '/vicepaa');
  assert.equal(partitionName(51), '/vicepaz');
  assert.equal(partitionName(52), '/vicepba');
  assert.equal(partitionName(254), '/vicepiu');
  assert.equal(partitionName(255), null);
  assert.equal(partitionName(-1), null);
});

test('GetAddrsU: request is opcode + 15 words; reply decodes from raw words', () => {
  const req = encodeRequest(VL.GetAddrsU, {
    attributes: { mask: 4, ipaddr: 0, index: 0, spare1: 0, uuid: uuidBytes },
  });
  assert.equal(req.length, 4 + 15 * 4);
  assert.equal(hex(req.subarray(20)), hex(words(uuidWords)));
  const reply = words([...uuidWords, 3, 1, 2, 0x7f010001, 0x7f010002]);
  const r = decodeResult(VL.GetAddrsU, reply);
  assert.deepEqual(r.uuid, uuidBytes);
  assert.equal(r.uniquifier, 3);
  assert.equal(r.nentries, 1);
  assert.deepEqual(r.addrs.map(ipv4ToString), ['127.1.0.1', '127.1.0.2']);
  const hostile = words([...uuidWords, 3, 1, 501]);
  assert.throws(() => decodeResult(VL.GetAddrsU, hostile), xdrErr('XDR_TOO_LONG'));
});

test('AFSFetchStatus is 84 bytes, in afsint.xg word order, and combines the high words', () => {
  // Every word distinct, so a swapped pair of fields cannot go unnoticed.
  const raw = words([
    1, 2, 3, 5, 0x10, 7, 8, 0x7f, 0x19, 0o100644, 11, 12, 13, 1_700_000_000, 1_700_000_001, 15, 16, 4, -1, 1,
    102,
  ]);
  assert.equal(raw.length, 84);
  assert.deepEqual(decode(AFSFetchStatus, raw), {
    interfaceVersion: 1,
    fileType: 2,
    linkCount: 3,
    length: 2 ** 32 + 5,
    dataVersion: (4n << 32n) | 0x10n,
    author: 7,
    owner: 8,
    callerAccess: 0x7f,
    anonymousAccess: 0x19,
    mode: 0o100644,
    parentVnode: 11,
    parentUnique: 12,
    segSize: 13,
    clientModTime: 1_700_000_000,
    serverModTime: 1_700_000_001,
    group: 15,
    syncCounter: 16,
    lockCount: -1,
    errorCode: 102,
  });
  assert.equal(hex(encode(AFSFetchStatus, decode(AFSFetchStatus, raw))), hex(raw));
  const huge = Buffer.from(raw);
  huge.writeUInt32BE(0x20_0000, 19 * 4); // Length_hi past 2^53
  assert.throws(() => decode(AFSFetchStatus, huge), xdrErr('XDR_RANGE'));
  assert.throws(() => decode(AFSFetchStatus, raw.subarray(0, 80)), xdrErr('XDR_SHORT'));
});

test('interfaceAddr is 432 bytes; zero interfaces is what we advertise', () => {
  const b = encode(interfaceAddr, { uuid: uuidBytes, interfaces: [] });
  assert.equal(b.length, 432);
  assert.equal(b.readInt32BE(0), 0);
  assert.deepEqual(decode(interfaceAddr, b), { uuid: uuidBytes, interfaces: [] });
  const two = { uuid: uuidBytes, interfaces: [{ addr: 0x7f000001, netmask: 0xff000000, mtu: 1500 }] };
  const b2 = encode(interfaceAddr, two);
  assert.equal(b2.readUInt32BE(4 + 44), 0x7f000001, 'addr_in[0] after the count and the UUID');
  assert.equal(b2.readUInt32BE(4 + 44 + 128), 0xff000000, 'subnetmask[0]');
  assert.equal(b2.readUInt32BE(4 + 44 + 256), 1500, 'mtu[0]');
  assert.deepEqual(decode(interfaceAddr, b2), two);
  const bad = Buffer.from(b);
  bad.writeInt32BE(33, 0);
  assert.throws(() => decode(interfaceAddr, bad), xdrErr('XDR_BAD_VALUE'));
});

test('FS request and reply sizes match protocol.md §8 (opcode included in requests)', () => {
  assert.equal(encodeRequest(FS.FetchStatus, { fid }).length, 16);
  const status = decode(AFSFetchStatus, Buffer.alloc(84));
  const reply = encodeResult(FS.FetchStatus, {
    status,
    callback: { version: 1, expirationTime: 7200, type: 2 },
    volSync: { spare1: 1, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 },
  });
  assert.equal(reply.length, 120);
  const fd64 = encodeRequest(FS.FetchData64, { fid, pos: 2 ** 32, length: 65536 });
  assert.equal(fd64.length, 32);
  assert.equal(hex(fd64.subarray(0, 4)), '00010001');
  assert.equal(hex(fd64.subarray(16)), '00000001000000000000000000010000');
  const sd64 = encodeRequest(FS.StoreData64, {
    fid,
    storeStatus: storeStatus({ modTime: 1_700_000_000 }),
    pos: 0,
    length: 3,
    fileLength: 3,
  });
  assert.equal(sd64.length, 64);
  assert.equal(encodeRequest(FS.FetchData, { fid, pos: 0, length: 10 }).length, 24);
  assert.equal(
    encodeRequest(FS.StoreData, { fid, storeStatus: storeStatus(), pos: 0, length: 0, fileLength: 0 }).length,
    52,
  );
});

test('32-bit data calls refuse offsets the server would read as negative', () => {
  assert.throws(() => encodeRequest(FS.FetchData, { fid, pos: 2 ** 31, length: 1 }), xdrErr('XDR_RANGE'));
  assert.throws(
    () =>
      encodeRequest(FS.StoreData, {
        fid,
        storeStatus: storeStatus(),
        pos: 0,
        length: 0,
        fileLength: 2 ** 31,
      }),
    xdrErr('XDR_RANGE'),
  );
  assert.doesNotThrow(() => encodeRequest(FS.FetchData, { fid, pos: 2 ** 31 - 1, length: 0 }));
});

test('storeStatus sets exactly the mask bits of the fields given', () => {
  assert.deepEqual(storeStatus({ mode: 0o644, modTime: 5 }), {
    mask: 1 | 8,
    clientModTime: 5,
    owner: 0,
    group: 0,
    mode: 0o644,
    segSize: 0,
  });
  assert.equal(storeStatus({ owner: 1, group: 2, segSize: 3, fsync: true }).mask, 2 | 4 | 16 | 1024);
});

test('a split FetchData64 reply: length prefix, raw data, then the results', () => {
  const data = Buffer.from('hello, afs');
  const out = {
    status: decode(AFSFetchStatus, Buffer.alloc(84)),
    callback: { version: 1, expirationTime: 3600, type: 2 },
    volSync: { spare1: 0, spare2: 0, spare3: 0, spare4: 0, spare5: 0, spare6: 0 },
  };
  const w = new XdrWriter();
  FS.FetchData64.fetchLength!.encode(w, data.length);
  w.raw(data);
  w.raw(encodeResult(FS.FetchData64, out));
  const stream = w.finish();
  assert.equal(
    hex(stream.subarray(0, 8)),
    '000000000000000a',
    'u64 length, high word first, no padding after',
  );
  const r = new XdrReader(stream);
  const n = FS.FetchData64.fetchLength!.decode(r);
  assert.equal(r.raw(n).toString(), 'hello, afs');
  assert.deepEqual(decodeResultFrom(FS.FetchData64, r), out);
  assert.ok(r.atEnd);
  assert.equal(hex(encode(FS.FetchData.fetchLength!, 10)), '0000000a', 'FetchData uses a u32 length');
});

test('a split StoreData64 request decodes on the server with its raw data', () => {
  const args = { fid, storeStatus: storeStatus(), pos: 2 ** 33, length: 3, fileLength: 2 ** 33 + 3 };
  const payload = Buffer.concat([encodeRequest(FS.StoreData64, args), Buffer.from('xyz')]);
  const call = decodeCall(fsService, payload);
  assert.equal(call.def, FS.StoreData64);
  assert.deepEqual(call.args, args);
  assert.equal(call.data.toString(), 'xyz');
});

test('results: trailing bytes and truncation are typed errors', () => {
  const reply = encodeResult(FS.GetTime, { seconds: 1, useconds: 2 });
  assert.deepEqual(decodeResult(FS.GetTime, reply), { seconds: 1, useconds: 2 });
  assert.throws(
    () => decodeResult(FS.GetTime, Buffer.concat([reply, Buffer.alloc(4)])),
    xdrErr('XDR_TRAILING'),
  );
  assert.throws(() => decodeResult(FS.GetTime, reply.subarray(0, 7)), xdrErr('XDR_SHORT'));
  assert.throws(() => decodeArgs(FS.FetchStatus, Buffer.alloc(16)), xdrErr('XDR_TRAILING'));
});

test('services: opcode maps, unknown opcodes, duplicate opcodes, rxgen abort codes', () => {
  assert.equal(cbService.byOpcode.get(65538), CB.TellMeAboutYourself);
  assert.throws(
    () => decodeCall(cbService, encode(u32, 64204)),
    (e: unknown) =>
      e instanceof UnknownOpcodeError && e.code === 'RXGEN_OPCODE' && e.abortCode === RXGEN_OPCODE,
  );
  const x = defineRpc({ name: 'X', opcode: 1, args: u32, result: u32 });
  const y = defineRpc({ name: 'Y', opcode: 1, args: u32, result: u32 });
  assert.throws(() => defineService('dup', { x, y }), TypeError);
  assert.throws(() => defineRpc({ name: 'Z', opcode: 2, args: u32, result: u32, split: 'fetch' }), TypeError);
  try {
    decodeCall(cbService, Buffer.concat([encode(u32, 214), Buffer.alloc(8)]));
    assert.fail('short ProbeUuid args must not decode');
  } catch (e) {
    assert.equal(serverAbortCode(e), RXGEN_SS_UNMARSHAL);
  }
  assert.equal(serverAbortCode(new Error('handler bug')), undefined);
});

test('opcodes agree with afsint.xg, afscbint.xg, vldbint.xg and vl_opcodes.h', () => {
  const ops = (s: { byOpcode: ReadonlyMap<number, { name: string }> }) =>
    Object.fromEntries([...s.byOpcode].map(([op, d]) => [d.name, op]));
  const expectOpcodes = (
    s: { byOpcode: ReadonlyMap<number, { name: string }> },
    prefix: string,
    table: Record<string, number>,
  ) => {
    const got = ops(s);
    for (const [n, op] of Object.entries(table)) assert.equal(got[`${prefix}.${n}`], op, n);
  };
  assert.deepEqual(ops(vlService), {
    'VL.Probe': 514,
    'VL.GetEntryByNameN': 519,
    'VL.GetEntryByNameU': 527,
    'VL.GetEntryByIDN': 518,
    'VL.GetEntryByIDU': 526,
    'VL.GetAddrsU': 533,
    'VL.GetCapabilities': 65537,
  });
  expectOpcodes(fsService, 'FS', {
    FetchData: 130,
    FetchACL: 131,
    FetchStatus: 132,
    StoreData: 133,
    OldStoreACL: 134,
    StoreStatus: 135,
    RemoveFile: 136,
    CreateFile: 137,
    Rename: 138,
    Symlink: 139,
    Link: 140,
    MakeDir: 141,
    RemoveDir: 142,
    GiveUpCallBacks: 147,
    GetVolumeStatus: 149,
    SetVolumeStatus: 150,
    GetTime: 153,
    BulkStatus: 155,
    SetLock: 156,
    ExtendLock: 157,
    ReleaseLock: 158,
    StoreACL: 164,
    InlineBulkStatus: 65536,
    FetchData64: 65537,
    StoreData64: 65538,
    GiveUpAllCallBacks: 65539,
    GetCapabilities: 65540,
  });
  expectOpcodes(cbService, 'CB', {
    CallBack: 204,
    InitCallBackState: 205,
    Probe: 206,
    GetLock: 207,
    GetCE: 208,
    XStatsVersion: 209,
    WhoAreYou: 212,
    InitCallBackState3: 213,
    ProbeUuid: 214,
    GetServerPrefs: 215,
    GetCellServDB: 216,
    GetLocalCell: 217,
    GetCacheConfig: 218,
    GetCE64: 65536,
    GetCellByNum: 65537,
    TellMeAboutYourself: 65538,
  });
});

test('hostile CallBack arguments fail before allocation (AFSCBMAX 50)', () => {
  const call = (w: number[]) => Buffer.concat([encode(u32, 204), words(w)]);
  assert.throws(() => decodeCall(cbService, call([0xffffffff, 0])), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => decodeCall(cbService, call([51, 0])), xdrErr('XDR_TOO_LONG'));
  assert.throws(() => decodeCall(cbService, call([50, 1, 2, 3])), xdrErr('XDR_SHORT'));
  const ok = decodeCall(cbService, call([2, 7, 0, 0, 7, 9, 9, 0]));
  assert.equal(ok.def, CB.CallBack);
  const args = ok.args as { fids: { volume: number; vnode: number; unique: number }[]; callbacks: unknown[] };
  assert.equal(args.fids.length, 2);
  assert.equal(args.callbacks.length, 0, 'the callbacks array may be empty');
  assert.equal(isVolumeBreak(args.fids[0]!), true);
  assert.equal(isVolumeBreak(args.fids[1]!), false);
  assert.equal(isVolumeBreak({ volume: 0, vnode: 0, unique: 0 }), false, 'volume 0 means nothing');
});

test('cmdebug structures: AFSDBLock 96 B, AFSDBCacheEntry 88 B, AFSDBCacheEntry64 92 B, cache config 9 words', () => {
  const lock = {
    waitStates: 0,
    exclLocked: 2,
    readersReading: 1,
    numWaiting: 0,
    spare: 0,
    pidLastReader: 42,
    pidWriter: 0,
    srcIndicator: 7,
  };
  const l = encode(AFSDBLock, { name: 'afs_xvcache', lock });
  assert.equal(l.length, 96);
  assert.equal(l.readUInt32BE(0), 'a'.charCodeAt(0));
  assert.equal(l.readUInt32BE(16 * 4 + 4), 2, 'exclLocked is the second word after name[16]');
  assert.deepEqual(decode(AFSDBLock, l), { name: 'afs_xvcache', lock });
  const ce = {
    addr: 0x1000,
    cell: 1,
    netFid: fid,
    length: 3 * 2 ** 32,
    dataVersion: 4,
    lock,
    callback: 0x7f010001,
    cbExpires: 1_700_000_000,
    refCount: 1,
    opens: 0,
    writers: 0,
    mvstat: 0,
    states: 1,
  };
  const e64 = encode(AFSDBCacheEntry64, ce);
  assert.equal(e64.length, 92);
  assert.equal(hex(e64.subarray(20, 28)), '0000000300000000', 'Length as a hyper after netFid');
  assert.deepEqual(decode(AFSDBCacheEntry64, e64), ce);
  assert.equal(encode(AFSDBCacheEntry, { ...ce, length: 12 }).length, 88);
  assert.throws(() => encode(AFSDBCacheEntry, ce), xdrErr('XDR_RANGE'), '32-bit Length cannot carry 3·2^32');
  const cfg = {
    nChunkFiles: 100,
    nStatCaches: 200,
    nDataCaches: 300,
    nVolumeCaches: 50,
    firstChunkSize: 18,
    otherChunkSize: 18,
    cacheSize: 100000,
    setTime: 0,
    memCache: 1,
  };
  const reply = encodeResult(CB.GetCacheConfig, cacheConfigV1Result(cfg));
  assert.equal(hex(reply.subarray(0, 12)), '000000010000002400000009', 'version 1, 36 bytes, 9 words');
  assert.equal(reply.length, 12 + 36);
  assert.deepEqual(parseCacheConfigV1(decodeResult(CB.GetCacheConfig, reply)), cfg);
  assert.deepEqual(decode(cacheConfigV1, reply), cfg);
});

test('TellMeAboutYourself reply: interfaceAddr then Capabilities', () => {
  const reply = encodeResult(CB.TellMeAboutYourself, {
    addr: { uuid: uuidBytes, interfaces: [] },
    capabilities: [1],
  });
  assert.equal(reply.length, 432 + 8);
  assert.equal(hex(reply.subarray(432)), '0000000100000001');
  assert.throws(
    () => decodeResult(CB.TellMeAboutYourself, Buffer.concat([reply.subarray(0, 432), words([197])])),
    xdrErr('XDR_TOO_LONG'),
  );
});

test('volume status: AFSFetchVolumeStatus is 12 words; GetVolumeStatus reply round-trips', () => {
  const st = {
    vid: 536870915,
    parentId: 536870915,
    online: 1,
    inService: 1,
    blessed: 1,
    needsSalvage: 0,
    type: 0,
    minQuota: 0,
    maxQuota: 5000,
    blocksInUse: 12,
    partBlocksAvail: 1000,
    partMaxBlocks: 2000,
  };
  assert.equal(encode(AFSFetchVolumeStatus, st).length, 48);
  const reply = encodeResult(FS.GetVolumeStatus, { status: st, name: 'root.cell', offlineMsg: '', motd: '' });
  assert.deepEqual(decodeResult(FS.GetVolumeStatus, reply), {
    status: st,
    name: 'root.cell',
    offlineMsg: '',
    motd: '',
  });
});

test('FS names are bytes: non-UTF-8 names survive exactly', () => {
  const name = Buffer.from([0x66, 0xe9, 0xff, 0x00, 0x2e]);
  const payload = encodeRequest(FS.RemoveFile, { dirFid: fid, name });
  const call = decodeCall(fsService, payload);
  assert.deepEqual((call.args as { name: Buffer }).name, name);
  assert.throws(
    () => encodeRequest(FS.RemoveFile, { dirFid: fid, name: 'x'.repeat(257) }),
    xdrErr('XDR_TOO_LONG'),
  );
});
