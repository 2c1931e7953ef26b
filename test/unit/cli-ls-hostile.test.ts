// tsafs ls against a server that sends hostile names (issue 9 item 7): on a terminal, control
// characters in names, symlink targets and headers are shown as '?' (GNU ls -q / its pre-8.25
// terminal default); piped output keeps the server's bytes; a listing with duplicate names prints
// each entry instead of failing.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import type { CliContext } from '../../src/cli/command.js';
import { command as ls } from '../../src/cli/ls.js';
import { SILENT } from '../../src/cli/progress.js';
import { AfsClient } from '../../src/client.js';
import { FakeCell } from '../helpers/fake-fileserver.js';

let cell: FakeCell;
let client: AfsClient;
before(async () => {
  cell = await FakeCell.start();
  client = new AfsClient(cell.clientOptions());
  const d = cell.fs.mkdir(cell.root, 'd');
  cell.fs.writeFile(d, 'plain', 'x');
  cell.fs.writeFile(d, '\x1b]0;owned\x07title', 'x');
  cell.fs.writeFile(d, Buffer.from('c1-\u009b31m-red'), 'x');
  cell.fs.writeFile(d, Buffer.from([0x62, 0x9b, 0x0a, 0x7f]), 'x'); // raw CSI byte, newline, DEL
  cell.fs.writeFile(d, 'caf\u00e9', 'x');
  cell.fs.symlink(d, 'link', '\x1b[2Jcleared');
  const dup = cell.fs.writeFile(d, 'twice', 'x');
  cell.fs.addEntry(d, 'twice', dup);
  // The same name for a file and a directory, and an entry whose FID does not exist.
  cell.fs.mkdir(d, 'both');
  cell.fs.writeFile(d, 'both', 'file');
  cell.fs.addEntry(d, 'ghost', { volume: cell.root.volume, vnode: 999, unique: 9 });
  cell.fs.mkdir(d, 'sub\rdir');
});
after(async () => {
  await client.close();
  await cell.close();
});

async function run(
  args: string[],
  tty: boolean,
): Promise<{ out: Buffer; warnings: string[]; code?: number }> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const warnings: string[] = [];
  const ctx: CliContext = {
    json: false,
    cell: cell.name,
    client,
    stdout,
    stderr: new PassThrough(),
    stdin: new PassThrough(),
    afsPath: (p) => p,
    progress: () => SILENT,
    warn: (m) => void warnings.push(m),
  };
  const code = await ls.run(ctx, args);
  return { out: Buffer.concat(chunks), warnings, code };
}

test('on a terminal every control character becomes ?, printable UTF-8 stays', async () => {
  for (const args of [[cell.path('d')], ['-l', cell.path('d')], ['-R', cell.path('d')]]) {
    const { out } = await run(args, true);
    const text = out.toString('utf8');
    // Only the newlines ls itself writes: no ESC, BEL, CR, DEL, C1 control or stray byte.
    const bad = [...text].filter((ch) => {
      const cp = ch.codePointAt(0)!;
      return (cp < 0x20 && cp !== 0x0a) || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffd;
    });
    assert.deepEqual(bad, [], args.join(' '));
    assert.match(text, /(^| )\?\]0;owned\?title$/m);
    assert.match(text, /c1-\?31m-red/);
    assert.match(text, /b\?\?\?/);
    assert.match(text, /café/);
    assert.match(text, /sub\?dir/);
    if (args[0] === '-l') assert.match(text, /link -> \?\[2Jcleared/);
    if (args[0] === '-R') assert.match(text, /\/d\/sub\?dir:/, 'the header of a hostile directory too');
  }
});

test('piped, the names are the server bytes unchanged', async () => {
  const { out } = await run([cell.path('d')], false);
  assert.ok(out.includes(Buffer.from('\x1b]0;owned\x07title\n')));
  assert.ok(out.includes(Buffer.from([0x62, 0x9b, 0x0a, 0x7f, 0x0a])));
  assert.ok(out.includes(Buffer.from('sub\rdir\n')));
});

test('duplicate names in one listing: both entries are listed, plain, long and recursive', async () => {
  for (const args of [
    [cell.path('d')],
    ['-l', cell.path('d')],
    ['-lR', cell.path('d')],
    ['-R', cell.path('d')],
  ]) {
    const { out, warnings, code } = await run(args, false);
    const lines = out.toString('latin1').split('\n');
    assert.equal(lines.filter((l) => l.endsWith('twice')).length, 2, args.join(' '));
    assert.equal(lines.filter((l) => l.endsWith('both')).length, 2, args.join(' '));
    if (args[0]!.includes('R')) {
      // "both" names a directory and a file; by path it leads to one of them (here the file): the
      // directory cannot be listed by that name, which is reported, and the rest is still listed.
      assert.deepEqual(warnings, [
        `cannot list ${cell.path('d', 'both')}: ${warnings[0]!.split(': ').slice(1).join(': ')}`,
      ]);
      assert.match(warnings[0]!, /ENOTDIR/);
      assert.equal(code, 1);
      assert.ok(lines.includes(`${cell.path('d', 'sub\rdir')}:`), 'the other subdirectory is listed');
    } else {
      assert.deepEqual(warnings, []);
      assert.equal(code, undefined);
    }
  }
});
