// Issue 12, `tsafs serve`: WebDAV over client.fs against the real cell. Debian's litmus suite is
// the referee for the protocol; afsd.fuse (/afs) is the referee for the bytes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { AfsClient } from '../../src/client.js';
import { type DavServer, startDavServer } from '../../src/serve/server.js';
import { cellEnv } from './helpers/cell.js';
import { clientFor, eventually, pattern, type Scratch, scratchDir, sha256 } from './helpers/files.js';

const run = promisify(execFile);

let client: AfsClient;
let dir: Scratch;
let srv: DavServer;

before(async () => {
  client = clientFor(await cellEnv());
  dir = await scratchDir(client, 'serve');
  srv = await startDavServer(client, { root: dir.path, host: '127.0.0.1', port: 0 });
});
after(async () => {
  await srv?.close();
  await dir?.remove();
  await client?.close();
});

/** litmus's per-group summary: "<- summary for `basic': of 16 tests run: 16 passed, 0 failed." */
async function litmus(group: string): Promise<{ run: number; passed: number; out: string }> {
  const r = await run('litmus', [srv.url], {
    env: { ...process.env, TESTS: group },
    cwd: await fsp.mkdtemp('/tmp/serve-litmus-'),
    timeout: 300_000,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const m = /summary for `\w+': of (\d+) tests run: (\d+) passed/.exec(r.stdout);
  assert.ok(m, `no litmus summary:\n${r.stdout}`);
  return { run: Number(m[1]), passed: Number(m[2]), out: r.stdout };
}

describe('litmus', () => {
  for (const group of ['basic', 'copymove']) {
    test(`${group} passes entirely`, async () => {
      const r = await litmus(group);
      assert.equal(r.passed, r.run, r.out);
    });
  }
  test('props: only the dead-property cases fail (AFS keeps none; PROPPATCH is refused with 403)', async () => {
    const r = await litmus('props');
    const fails = [...r.out.matchAll(/\d+\. (\w+)\.+ FAIL/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(fails)].sort(), ['propget', 'propmanyns', 'propset'], r.out);
  });
  test('locks: only owner_modify fails (it PROPPATCHes a dead property under the lock)', async () => {
    const r = await litmus('locks');
    const fails = [...r.out.matchAll(/\d+\. (\w+)\.+ FAIL/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(fails)], ['owner_modify'], r.out);
    assert.equal(r.passed, r.run - fails.length, r.out);
    assert.doesNotMatch(r.out, /WARNING/, r.out);
  });
});

describe('bytes through afsd.fuse', () => {
  test('GET of a file written through /afs is byte-identical, with Range and ETag', async () => {
    const data = pattern(3 * 1024 * 1024 + 7, 12);
    await fsp.writeFile(`${dir.path}/from-fuse.bin`, data);
    const url = `${srv.url}from-fuse.bin`;
    const whole = await eventually(async () => {
      const r = await fetch(url);
      assert.equal(r.status, 200);
      const b = Buffer.from(await r.arrayBuffer());
      assert.equal(b.length, data.length);
      return { b, etag: r.headers.get('etag') };
    });
    assert.equal(sha256(whole.b), sha256(data));
    const part = await fetch(url, { headers: { Range: 'bytes=1000-1999999' } });
    assert.equal(part.status, 206);
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000000)));
    const again = await fetch(url, { headers: { 'If-None-Match': whole.etag ?? '' } });
    assert.equal(again.status, 304);
  });

  test('PUT (streamed, 5 MiB) reads back the same through /afs; a non-UTF-8 name round-trips', async () => {
    const data = pattern(5 * 1024 * 1024 + 3, 13);
    const r = await fetch(`${srv.url}put.bin`, { method: 'PUT', body: data });
    assert.equal(r.status, 201);
    await eventually(async () =>
      assert.equal(sha256(await fsp.readFile(`${dir.path}/put.bin`)), sha256(data)),
    );
    const odd = await fetch(`${srv.url}odd-%FF%FE.txt`, { method: 'PUT', body: 'odd' });
    assert.equal(odd.status, 201);
    const names = await client.fs.readdir(dir.path, { encoding: 'buffer' });
    assert.ok(
      names.some((n) => n.equals(Buffer.from([...Buffer.from('odd-'), 0xff, 0xfe, ...Buffer.from('.txt')]))),
    );
    const pf = await fetch(srv.url, { method: 'PROPFIND', headers: { Depth: '1' } });
    assert.equal(pf.status, 207);
    assert.match(await pf.text(), /<D:href>\/odd-%FF%FE\.txt<\/D:href>/);
    assert.equal(await (await fetch(`${srv.url}odd-%FF%FE.txt`)).text(), 'odd');
  });

  test('paths that would leave the root are refused', async () => {
    // node:http sends the path verbatim (fetch would normalise the dot segments away first).
    const { port } = new URL(srv.url);
    for (const p of ['/%2e%2e/x', '/../x', '/a/../../x', '/a%2Fb', '/a%00b', '/..%2F..%2Fetc', '/%zz']) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: p }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
      assert.equal(status, 400, p);
    }
  });

  test('the HTML listing shows names as links, sizes, the ACL and the volume', async () => {
    await client.fs.writeFile(`${dir.path}/listed.txt`, 'twelve bytes');
    const html = await (await fetch(srv.url)).text();
    assert.match(html, /<a href="listed\.txt" download>listed\.txt<\/a><\/td><td class="n">12<\/td>/);
    assert.match(html, /system:anyuser/);
    assert.match(html, /Volume [\w.]+: \d+ KiB used/);
  });
});
