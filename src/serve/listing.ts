// The HTML page a browser gets for a collection: entries as links with sizes and times, and the
// directory's ACL and its volume's quota (what `fs listacl` and `fs listquota` would show).

import { rightsToString } from '../afs/acl.js';
import type { AfsClient } from '../client.js';
import { hrefOf, percentEncode } from './paths.js';
import { xmlEscape } from './xml.js';

const esc = xmlEscape;

export async function htmlListing(client: AfsClient, dir: Buffer, names: readonly Buffer[]): Promise<string> {
  const entries = await client.fs.readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const title = esc(
    hrefOf(names, true)
      .split('/')
      .map((s) => decodeURIComponentLoose(s))
      .join('/'),
  );
  const rows: string[] = [];
  if (names.length > 0) rows.push('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  for (const e of entries) {
    const dirLike = e.isDirectory();
    const link = `${percentEncode(e.name)}${dirLike ? '/' : ''}`;
    const shown = `${e.name.toString('utf8')}${dirLike ? '/' : ''}`;
    const size = e.stats && !dirLike ? String(e.stats.size) : '';
    const mtime = e.stats ? e.stats.mtime.toISOString().replace('T', ' ').slice(0, 19) : '';
    rows.push(
      `<tr><td><a href="${esc(link)}"${dirLike ? '' : ' download'}>${esc(shown)}</a></td>` +
        `<td class="n">${size}</td><td>${mtime}</td></tr>`,
    );
  }
  let acl = '';
  let quota = '';
  try {
    const a = await client.fs.getAcl(dir);
    acl = ['<h2>Access list</h2><table>']
      .concat(
        a.positive.map((x) => `<tr><td>${esc(x.name)}</td><td>${rightsToString(x.rights)}</td></tr>`),
        a.negative.map(
          (x) => `<tr><td>${esc(x.name)} (negative)</td><td>${rightsToString(x.rights)}</td></tr>`,
        ),
      )
      .concat('</table>')
      .join('');
  } catch (e) {
    acl = `<p>Access list unavailable: ${esc((e as Error).message)}</p>`;
  }
  try {
    const v = await client.fs.volumeStatus(dir);
    const q = v.maxQuota === 0 ? 'no quota' : `${v.maxQuota} KiB quota`;
    quota = `<p>Volume ${esc(v.name)}: ${v.blocksInUse} KiB used, ${q}, ${v.partBlocksAvail} KiB free on the partition</p>`;
  } catch (e) {
    quota = `<p>Volume status unavailable: ${esc((e as Error).message)}</p>`;
  }
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8">' +
    `<title>${title}</title><style>td{padding:0 1em}.n{text-align:right}</style></head><body>` +
    `<h1>${title}</h1><table><tr><th>Name</th><th>Size</th><th>Modified</th></tr>${rows.join('')}</table>` +
    `${acl}${quota}</body></html>`
  );
}

function decodeURIComponentLoose(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
