// (c) Cipher throughput from bench/crypto.ts: fcrypt (every crypt-level Rx packet) and DES-PCBC
// (tickets only). There is no reference implementation in the same run, so the ratio is n/a.
import { benchCrypto } from '../crypto.js';
import type { BenchCase } from '../types.js';

export const benchCase: BenchCase = {
  name: 'crypto',
  needsCell: false,
  async run() {
    // 4 MiB keeps DES-PCBC (about 1 MB/s) to a few seconds; fcrypt figures are stable at this size.
    const r = benchCrypto(4 * 1024 * 1024);
    const row = (name: string, mbps: number, notes: string) => ({
      name,
      ours: mbps,
      reference: null,
      unit: 'MB/s',
      higherIsBetter: true,
      notes,
      details: { ...r },
    });
    return [
      row('fcrypt-PCBC encrypt', r.fcryptPcbcEncryptMBps, `one ${r.bytes >> 20} MiB buffer`),
      row('fcrypt-PCBC decrypt', r.fcryptPcbcDecryptMBps, `one ${r.bytes >> 20} MiB buffer`),
      row('fcrypt-PCBC per 1408-byte packet', r.fcryptPacketMBps, 'one PCBC run per packet, as rxkad crypt'),
      row('DES-PCBC', r.desPcbcMBps, 'ticket cipher'),
    ];
  },
};
