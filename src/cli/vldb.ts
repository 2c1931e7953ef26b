// tsafs vldb <volume>: the VLDB part of `vos examine`.

import type { AfsClient } from '../client.js';
import { uuidToString } from '../rpc/types.js';
import {
  VLF_BACKEXISTS,
  VLF_ROEXISTS,
  VLF_RWEXISTS,
  VLSF_BACKVOL,
  VLSF_DONTUSE,
  VLSF_NEWREPSITE,
  VLSF_ROVOL,
  VLSF_RWVOL,
  type VldbEntry,
} from '../rpc/vl.js';
import { parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson, UsageError } from './output.js';

export interface VldbSiteView {
  server: string;
  uuid: string | null;
  addresses: string[];
  partition: string;
  type: 'RW' | 'RO' | 'BK' | '?';
  flags: number;
  notes: string[];
}

export interface VldbView {
  name: string;
  rwId: number;
  roId: number;
  bkId: number;
  flags: number;
  exists: string[];
  sites: VldbSiteView[];
}

function siteType(flags: number): VldbSiteView['type'] {
  if (flags & VLSF_RWVOL) return 'RW';
  if (flags & VLSF_ROVOL) return 'RO';
  if (flags & VLSF_BACKVOL) return 'BK';
  return '?';
}

export async function vldbView(client: AfsClient, volume: string, cell?: string): Promise<VldbView> {
  const e: VldbEntry = await client.vldbEntry(volume, cell);
  const vl = await client.vl(cell);
  const sites: VldbSiteView[] = [];
  const addrCache = new Map<string, string[]>();
  for (const s of e.sites) {
    let addresses: string[];
    let uuid: string | null = null;
    if (s.uuid) {
      uuid = uuidToString(s.uuid);
      let a = addrCache.get(uuid);
      if (!a) {
        a = (await vl.getAddrs(s.uuid)).addrs;
        addrCache.set(uuid, a);
      }
      addresses = a;
    } else {
      const n = s.addr ?? 0;
      addresses = [`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`];
    }
    const notes: string[] = [];
    if (s.flags & VLSF_NEWREPSITE) notes.push('New release');
    if (s.flags & VLSF_DONTUSE) notes.push('Not released');
    sites.push({
      server: addresses[0] ?? '(no address)',
      uuid,
      addresses,
      partition: s.partitionName ?? `#${s.partition}`,
      type: siteType(s.flags),
      flags: s.flags,
      notes,
    });
  }
  const exists: string[] = [];
  if (e.flags & VLF_RWEXISTS) exists.push('RW');
  if (e.flags & VLF_ROEXISTS) exists.push('RO');
  if (e.flags & VLF_BACKEXISTS) exists.push('BK');
  return {
    name: e.name,
    rwId: e.volumeIds.rw,
    roId: e.volumeIds.ro,
    bkId: e.volumeIds.bk,
    flags: e.flags,
    exists,
    sites,
  };
}

export async function vldbCommand(
  client: AfsClient,
  args: string[],
  json: boolean,
  cell?: string,
): Promise<void> {
  const [volume] = args;
  if (!volume) throw new UsageError('usage: tsafs vldb <volume> [--json]');
  const v = await vldbView(client, volume, cell);
  if (json) return printJson(v);
  const ids = [
    `RWrite: ${v.rwId}`,
    v.exists.includes('RO') ? `ROnly: ${v.roId}` : '',
    v.exists.includes('BK') ? `Backup: ${v.bkId}` : '',
  ].filter(Boolean);
  const lines = [v.name, `    ${ids.join('    ')}`, `    number of sites -> ${v.sites.length}`];
  for (const s of v.sites) {
    const note = s.notes.length ? ` -- ${s.notes.join(', ')}` : '';
    lines.push(`       server ${s.server} partition ${s.partition} ${s.type} Site${note}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

export const command: Command = {
  name: 'vldb',
  summary: 'the VLDB entry of a volume (like vos examine)',
  usage: 'usage: tsafs vldb <volume> [--json]',
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, this.usage);
    await vldbCommand(ctx.client, positionals, ctx.json, ctx.cell);
    return undefined;
  },
};
