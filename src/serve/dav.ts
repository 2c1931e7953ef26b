// WebDAV (RFC 4918 classes 1 and 2) over client.fs, on node:http. No WebDAV library: the npm ones
// either want a whole-file or synchronous backend or pull in many dependencies (see the commit
// message); the methods are few and map one to one onto client.fs.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { AfsClient } from '../client.js';
import type { AfsStats } from '../fs/stats.js';
import { htmlListing } from './listing.js';
import {
  type DavLock,
  DEFAULT_LOCK_SECONDS,
  type IfList,
  ifTokens,
  LockTable,
  MAX_LOCK_SECONDS,
  parseIf,
  trimSlash,
} from './locks.js';
import { afsPathOf, hrefOf, requestNames, UnsafePathError } from './paths.js';
import { child, DAV_NS, emptyElement, parseXml, type XmlElement, xmlEscape } from './xml.js';

/** Request bodies that are XML (PROPFIND, PROPPATCH, LOCK) are small; anything larger is refused. */
const MAX_XML_BODY = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const ERRNO_STATUS: Readonly<Record<string, number>> = {
  ENOENT: 404,
  ENOTDIR: 409,
  EISDIR: 405,
  EEXIST: 412,
  EACCES: 403,
  EPERM: 403,
  EROFS: 403,
  ENOTEMPTY: 409,
  EDQUOT: 507,
  ENOSPC: 507,
  EFBIG: 507,
  EXDEV: 502,
  EWOULDBLOCK: 423,
  EAGAIN: 423,
  ENAMETOOLONG: 414,
  EINVAL: 400,
};

/** One header's value (Node types headers it does not know as string | string[]). */
function hdr(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  if (e instanceof UnsafePathError) return 400;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? (ERRNO_STATUS[code] ?? 500) : 500;
}

interface Target {
  names: Buffer[];
  path: Buffer;
}

export interface DavOptions {
  /** The AFS directory served as "/" (e.g. /afs). */
  root: string;
}

export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  423: 'Locked',
  424: 'Failed Dependency',
  507: 'Insufficient Storage',
};

export function etagOf(st: AfsStats): string {
  // The data version names the content; the FID keeps a replaced file from sharing an old tag.
  return `"${st.fid.vnode}.${st.fid.unique}.${st.dataVersion}"`;
}

export class DavHandler {
  readonly locks = new LockTable();

  constructor(
    private readonly client: AfsClient,
    private readonly opts: DavOptions,
  ) {}

  /** The request listener for http(s).createServer. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.#dispatch(req, res).catch((e: unknown) => {
      const status = statusOf(e);
      if (res.headersSent) {
        res.destroy(e instanceof Error ? e : undefined);
        return;
      }
      req.resume();
      const msg = e instanceof Error ? e.message : String(e);
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${msg}\n`);
    });
  };

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0]!;
    const t = this.#target(url);
    switch (req.method) {
      case 'OPTIONS':
        req.resume();
        res
          .writeHead(200, {
            DAV: '1, 2',
            'MS-Author-Via': 'DAV',
            Allow: 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK',
            'Content-Length': '0',
          })
          .end();
        return;
      case 'GET':
      case 'HEAD':
        return this.#get(req, res, t);
      case 'PUT':
        return this.#put(req, res, t);
      case 'MKCOL':
        return this.#mkcol(req, res, t);
      case 'DELETE':
        return this.#delete(req, res, t);
      case 'COPY':
      case 'MOVE':
        return this.#copyMove(req, res, t, req.method === 'MOVE');
      case 'PROPFIND':
        return this.#propfind(req, res, t);
      case 'PROPPATCH':
        return this.#proppatch(req, res, t);
      case 'LOCK':
        return this.#lock(req, res, t);
      case 'UNLOCK':
        return this.#unlock(req, res, t);
      default:
        req.resume();
        res
          .writeHead(405, {
            Allow: 'OPTIONS, GET, HEAD, PUT, DELETE, MKCOL, COPY, MOVE, PROPFIND, PROPPATCH, LOCK, UNLOCK',
          })
          .end();
    }
  }

  #target(urlPath: string): Target {
    const names = requestNames(urlPath);
    return { names, path: afsPathOf(this.opts.root, names) };
  }

  async #statOrNull(p: Buffer): Promise<AfsStats | undefined> {
    try {
      return await this.client.fs.stat(p);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /**
   * 412 when the If header is false for the resource (etag: its current tag, if it exists), then
   * 423 unless the request carries a token of every lock covering href (RFC 4918 §7, §10.4).
   */
  #checkLocks(req: IncomingMessage, href: string, deep = false, etag?: string): void {
    let lists: IfList[] | undefined;
    try {
      lists = parseIf(hdr(req, 'if'));
    } catch {
      throw new HttpError(400, 'unreadable If header');
    }
    if (lists && !lists.some((l) => this.#listHolds(l, href, etag)))
      throw new HttpError(412, 'the If header does not hold');
    const held = this.locks.covering(href, deep);
    if (held.length === 0) return;
    const tokens = new Set(ifTokens(hdr(req, 'if')));
    if (held.some((l) => !tokens.has(l.token) && (l.exclusive || !held.some((o) => tokens.has(o.token)))))
      throw new HttpError(423, `${href} is locked`);
  }

  #listHolds(list: IfList, href: string, etag: string | undefined): boolean {
    let target = href;
    if (list.tag !== undefined) {
      try {
        target = hrefOf(requestNames(new URL(list.tag, 'http://x').pathname), false);
      } catch {
        return false;
      }
    }
    const own = trimSlash(target) === trimSlash(href);
    return list.conditions.every((c) => {
      let holds: boolean;
      if (c.token !== undefined) {
        const l = this.locks.get(c.token);
        holds = l !== undefined && this.locks.covering(target).includes(l);
      } else holds = !own || (etag !== undefined && c.etag === etag);
      return holds !== c.not;
    });
  }

  // ---------------------------------------------------------------- GET / HEAD

  async #get(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    req.resume();
    const st = await this.client.fs.stat(t.path);
    if (st.isDirectory()) {
      const html = await htmlListing(this.client, t.path, t.names);
      const body = Buffer.from(html, 'utf8');
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const etag = etagOf(st);
    const headers: Record<string, string | number> = {
      ETag: etag,
      'Last-Modified': st.mtime.toUTCString(),
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
    };
    const inm = req.headers['if-none-match'];
    if (inm && (inm.trim() === '*' || inm.split(',').some((x) => x.trim().replace(/^W\//, '') === etag))) {
      res.writeHead(304, headers).end();
      return;
    }
    const size = st.size;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    if (range && (!ifRange || ifRange === etag)) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] || m[2])) {
        if (m[1]) {
          start = Number(m[1]);
          end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
        } else {
          start = Math.max(0, size - Number(m[2]));
        }
        if (start >= size || start > end) {
          res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
          return;
        }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
      // Multiple ranges are answered with the whole entity, which RFC 9110 allows.
    }
    headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || size === 0) {
      res.end();
      return;
    }
    await pipeline(this.client.fs.createReadStream(t.path, { start, end }), res);
  }

  // ---------------------------------------------------------------- PUT / MKCOL / DELETE

  async #put(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    if (t.names.length === 0) throw new HttpError(405, 'the root is a collection');
    const href = hrefOf(t.names, false);
    const before = await this.#statOrNull(t.path);
    this.#checkLocks(req, href, false, before && etagOf(before));
    if (before?.isDirectory()) throw new HttpError(405, 'PUT onto a collection');
    if (!before) await this.#parentMustExist(t);
    // Streamed: pipeline's backpressure keeps at most the stream buffers of this request in memory.
    await pipeline(req, this.client.fs.createWriteStream(t.path));
    const st = await this.client.fs.stat(t.path);
    res.writeHead(before ? 204 : 201, { ETag: etagOf(st), 'Content-Length': 0 }).end();
  }

  async #parentMustExist(t: Target): Promise<void> {
    const parent = afsPathOf(this.opts.root, t.names.slice(0, -1));
    const p = await this.#statOrNull(parent);
    if (!p?.isDirectory()) throw new HttpError(409, 'the parent collection does not exist');
  }

  async #mkcol(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    req.resume();
    if (hasBody) throw new HttpError(415, 'MKCOL with a body is not supported');
    if (t.names.length === 0 || (await this.#statOrNull(t.path))) throw new HttpError(405, 'it exists');
    this.#checkLocks(req, hrefOf(t.names, true));
    await this.#parentMustExist(t);
    await this.client.fs.mkdir(t.path);
    res.writeHead(201, { 'Content-Length': 0 }).end();
  }

  async #delete(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    req.resume();
    if (t.names.length === 0) throw new HttpError(403, 'the root is not deleted');
    const st = await this.client.fs.lstat(t.path);
    const href = hrefOf(t.names, st.isDirectory());
    this.#checkLocks(req, href, true);
    // rm goes by FID and refuses names that would not name one entry (tree.ts).
    await this.client.fs.rm(t.path, { recursive: true });
    await this.locks.forget(href);
    res.writeHead(204).end();
  }

  // ---------------------------------------------------------------- COPY / MOVE

  async #copyMove(req: IncomingMessage, res: ServerResponse, t: Target, move: boolean): Promise<void> {
    req.resume();
    const dest = hdr(req, 'destination');
    if (!dest) throw new HttpError(400, 'no Destination header');
    let destPath: string;
    try {
      const u = new URL(dest, `http://${req.headers.host ?? 'localhost'}`);
      if (req.headers.host && u.host !== req.headers.host)
        throw new HttpError(502, 'Destination on another server');
      destPath = u.pathname;
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError(400, 'bad Destination');
    }
    const d = this.#target(destPath);
    if (t.names.length === 0 || d.names.length === 0)
      throw new HttpError(403, 'the root is not copied or moved');
    const src = await this.client.fs.lstat(t.path);
    const srcHref = hrefOf(t.names, src.isDirectory());
    const dstHref = hrefOf(d.names, src.isDirectory());
    if (trimSlash(srcHref) === trimSlash(dstHref))
      throw new HttpError(403, 'source and destination are the same');
    if (src.isDirectory() && trimSlash(dstHref).startsWith(`${trimSlash(srcHref)}/`))
      throw new HttpError(403, 'destination inside the source');
    const depth = (hdr(req, 'depth') ?? 'infinity').toLowerCase();
    if (move && depth !== 'infinity') throw new HttpError(400, 'MOVE of a collection needs Depth: infinity');
    if (move) this.#checkLocks(req, srcHref, true);
    this.#checkLocks(req, dstHref, true);
    await this.#parentMustExist(d);
    const existing = await this.#statOrNull(d.path);
    if (existing) {
      if ((hdr(req, 'overwrite') ?? 'T').toUpperCase() === 'F')
        throw new HttpError(412, 'destination exists');
      await this.client.fs.rm(d.path, { recursive: true });
      await this.locks.forget(dstHref);
    }
    if (move) {
      await this.client.fs.rename(t.path, d.path).catch(async (e: unknown) => {
        if ((e as { code?: unknown }).code !== 'EXDEV') throw e;
        // Across volumes: copy, then remove the source.
        await this.client.fs.cp(t.path, d.path, { recursive: true });
        await this.client.fs.rm(t.path, { recursive: true });
      });
      await this.locks.forget(srcHref);
    } else if (src.isDirectory() && depth === '0') {
      await this.client.fs.mkdir(d.path);
    } else {
      await this.client.fs.cp(t.path, d.path, { recursive: true });
    }
    res.writeHead(existing ? 204 : 201, { 'Content-Length': 0 }).end();
  }

  // ---------------------------------------------------------------- PROPFIND / PROPPATCH

  async #propfind(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const body = await readXmlBody(req);
    const depth = (hdr(req, 'depth') ?? 'infinity').toLowerCase();
    if (depth !== '0' && depth !== '1') throw new HttpError(403, 'PROPFIND with Depth: infinity is refused');
    let want: 'all' | 'names' | XmlElement[] = 'all';
    if (body) {
      if (body.local !== 'propfind' || body.ns !== DAV_NS) throw new HttpError(400, 'not a propfind body');
      if (child(body, 'propname')) want = 'names';
      else if (child(body, 'prop')) want = child(body, 'prop')!.children;
    }
    const st = await this.client.fs.stat(t.path);
    const parts = [this.#response(hrefOf(t.names, st.isDirectory()), st, t.names.at(-1), want)];
    if (depth === '1' && st.isDirectory()) {
      const entries = await this.client.fs.readdir(t.path, { withFileTypes: true, encoding: 'buffer' });
      for (const e of entries) {
        const names = [...t.names, e.name];
        // Entries the bulk status could not give (e.g. a mount point's target) are stat'ed by path.
        const est = e.stats ?? (await this.#statOrNull(afsPathOf(this.opts.root, names)));
        if (!est) continue;
        parts.push(this.#response(hrefOf(names, est.isDirectory()), est, e.name, want));
      }
    }
    sendMultistatus(res, parts);
  }

  #liveProps(href: string, st: AfsStats, name: Buffer | undefined): Map<string, string> {
    const m = new Map<string, string>();
    const dir = st.isDirectory();
    m.set('resourcetype', dir ? '<D:collection/>' : '');
    m.set('displayname', xmlEscape(name ? name.toString('utf8') : '/'));
    m.set('creationdate', st.birthtime.toISOString());
    m.set('getlastmodified', st.mtime.toUTCString());
    if (!dir) {
      m.set('getcontentlength', String(st.size));
      m.set('getetag', xmlEscape(etagOf(st)));
      m.set('getcontenttype', 'application/octet-stream');
    }
    m.set(
      'supportedlock',
      '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
        '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>',
    );
    m.set('lockdiscovery', this.locks.covering(href).map(activeLock).join(''));
    return m;
  }

  #response(
    href: string,
    st: AfsStats,
    name: Buffer | undefined,
    want: 'all' | 'names' | XmlElement[],
  ): string {
    const live = this.#liveProps(href, st, name);
    let ok = '';
    let missing = '';
    if (want === 'all' || want === 'names') {
      for (const [k, v] of live) ok += want === 'names' ? `<D:${k}/>` : emptyElement(DAV_NS, k, v);
    } else {
      for (const p of want) {
        const v = p.ns === DAV_NS ? live.get(p.local) : undefined;
        if (v !== undefined) ok += emptyElement(DAV_NS, p.local, v);
        else missing += emptyElement(p.ns, p.local);
      }
    }
    let out = `<D:response><D:href>${xmlEscape(href)}</D:href>`;
    if (ok) out += `<D:propstat><D:prop>${ok}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`;
    if (missing)
      out += `<D:propstat><D:prop>${missing}</D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>`;
    return `${out}</D:response>`;
  }

  async #proppatch(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const body = await readXmlBody(req);
    if (body?.local !== 'propertyupdate' || body.ns !== DAV_NS)
      throw new HttpError(400, 'not a propertyupdate');
    const st = await this.client.fs.stat(t.path);
    const href = hrefOf(t.names, st.isDirectory());
    this.#checkLocks(req, href);
    // AFS has no place for dead properties, and live ones are computed: every change is refused.
    const props = body.children
      .filter((c) => c.ns === DAV_NS && (c.local === 'set' || c.local === 'remove'))
      .flatMap((c) => child(c, 'prop')?.children ?? []);
    const refused = props.map((p) => emptyElement(p.ns, p.local)).join('');
    sendMultistatus(res, [
      `<D:response><D:href>${xmlEscape(href)}</D:href><D:propstat><D:prop>${refused}</D:prop>` +
        '<D:status>HTTP/1.1 403 Forbidden</D:status>' +
        '<D:responsedescription>AFS keeps no dead properties</D:responsedescription></D:propstat></D:response>',
    ]);
  }

  // ---------------------------------------------------------------- LOCK / UNLOCK

  async #lock(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const body = await readXmlBody(req);
    const seconds = lockSeconds(hdr(req, 'timeout'));
    if (!body) {
      // A refresh: the If header names the lock.
      const l = ifTokens(hdr(req, 'if'))
        .map((tok) => this.locks.get(tok))
        .find((x) => x !== undefined);
      if (!l) throw new HttpError(412, 'no lock to refresh');
      this.locks.refresh(l, seconds);
      sendLock(res, 200, l);
      return;
    }
    if (body.local !== 'lockinfo' || body.ns !== DAV_NS) throw new HttpError(400, 'not a lockinfo');
    const exclusive = child(child(body, 'lockscope'), 'exclusive') !== undefined;
    const owner = child(body, 'owner');
    const depthInfinity = (hdr(req, 'depth') ?? 'infinity').toLowerCase() === 'infinity';
    if (t.names.length === 0) throw new HttpError(403, 'the root is not locked');
    let st = await this.#statOrNull(t.path);
    const href = hrefOf(t.names, st?.isDirectory() ?? false);
    const held = this.locks.covering(href, depthInfinity);
    if (held.some((l) => l.exclusive || exclusive)) throw new HttpError(423, `${href} is locked`);
    let created = false;
    if (!st) {
      // Locking an unmapped URL creates an empty resource (RFC 4918 §9.10.4).
      await this.#parentMustExist(t);
      await this.client.fs.writeFile(t.path, Buffer.alloc(0), { flag: 'wx' });
      st = await this.client.fs.stat(t.path);
      created = true;
    }
    // An exclusive lock on a file is also an AFS lock, so other AFS clients that lock see it.
    const afs = exclusive && st.isFile() ? await this.client.fs.lock(t.path, { exclusive: true }) : undefined;
    const l: DavLock = {
      token: this.locks.newToken(),
      href,
      depthInfinity,
      exclusive,
      owner: owner ? ownerXml(owner) : '',
      timeoutSeconds: seconds,
      expires: Date.now() + seconds * 1000,
      afs,
    };
    this.locks.add(l);
    res.setHeader('Lock-Token', `<${l.token}>`);
    sendLock(res, created ? 201 : 200, l);
  }

  async #unlock(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    req.resume();
    const token = /<([^>]*)>/.exec(hdr(req, 'lock-token') ?? '')?.[1];
    if (!token) throw new HttpError(400, 'no Lock-Token header');
    const l = this.locks.get(token);
    const st = await this.#statOrNull(t.path);
    const href = hrefOf(t.names, st?.isDirectory() ?? false);
    if (!l || !this.locks.covering(href).includes(l))
      throw new HttpError(409, 'that lock does not cover this resource');
    await this.locks.remove(token);
    res.writeHead(204).end();
  }

  async close(): Promise<void> {
    await this.locks.close();
  }
}

/** The lock owner as sent, re-rooted in the D: prefix the reply declares. */
function ownerXml(owner: XmlElement): string {
  if (owner.children.length === 0) return `<D:owner>${xmlEscape(owner.text)}</D:owner>`;
  const inner = owner.raw.replace(/^<[^>]*>/, '').replace(/<\/[^>]*>$/, '');
  return `<D:owner>${inner}</D:owner>`;
}

function lockSeconds(header: string | undefined): number {
  for (const part of (header ?? '').split(',')) {
    const m = /^\s*Second-(\d+)\s*$/i.exec(part);
    if (m) return Math.min(Math.max(1, Number(m[1])), MAX_LOCK_SECONDS);
  }
  return DEFAULT_LOCK_SECONDS;
}

function activeLock(l: DavLock): string {
  return (
    `<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:${l.exclusive ? 'exclusive' : 'shared'}/></D:lockscope>` +
    `<D:depth>${l.depthInfinity ? 'infinity' : '0'}</D:depth>${l.owner}` +
    `<D:timeout>Second-${l.timeoutSeconds}</D:timeout><D:locktoken><D:href>${xmlEscape(l.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${xmlEscape(l.href)}</D:href></D:lockroot></D:activelock>`
  );
}

function sendLock(res: ServerResponse, status: number, l: DavLock): void {
  const body = Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?>\n<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLock(l)}</D:lockdiscovery></D:prop>`,
  );
  res
    .writeHead(status, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': body.length })
    .end(body);
}

function sendMultistatus(res: ServerResponse, parts: string[]): void {
  const body = Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${parts.join('')}</D:multistatus>`,
  );
  res
    .writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8', 'Content-Length': body.length })
    .end(body);
}

async function readXmlBody(req: IncomingMessage): Promise<XmlElement | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_XML_BODY) throw new HttpError(413, 'XML body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return parseXml(text);
  } catch (e) {
    throw new HttpError(400, `unreadable XML body: ${(e as Error).message}`);
  }
}
