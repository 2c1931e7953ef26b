// Where the OpenAFS client configuration is found and how it is merged, each rule on temporary
// files: the directory search (/etc/openafs, /usr/vice/etc, then $AFSCONF, ~/.AFSCONF), $AFSCELL,
// CellServDB.local + CellServDB.dist, CellAlias, lenient parsing with one warning per bad line, and
// "nothing configured" naming every place looked at.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { describeSearch, loadAfsConfig } from '../../src/afs/afs-config.js';
import { parseCellAlias, parseCellServDB, warningText } from '../../src/afs/cellservdb.js';
import { describeError } from '../../src/cli/output.js';
import { AfsClient } from '../../src/client.js';

let root: string;
let etc: string; // stands for /etc/openafs
let vice: string; // stands for /usr/vice/etc
let home: string;
const env = (extra: Record<string, string> = {}) => ({ HOME: home, ...extra });

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsafs-conf-'));
  etc = join(root, 'etc-openafs');
  vice = join(root, 'usr-vice-etc');
  home = join(root, 'home');
  await mkdir(home);
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function dir(path: string, files: Record<string, string>): Promise<string> {
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(path, name), text);
  return path;
}

const csdb = (cell: string, addr: string) => `>${cell} #${cell}\n${addr} #vl.${cell}\n`;

test('the first directory with a configuration is used; /usr/vice/etc when /etc/openafs has none', async () => {
  await rm(etc, { recursive: true, force: true });
  await dir(vice, { CellServDB: csdb('vice.test', '10.0.0.1'), ThisCell: 'vice.test\n' });
  const cfg = await loadAfsConfig({ dirs: [etc, vice], env: env() });
  assert.equal(cfg.dir, vice);
  assert.equal(cfg.thisCell, 'vice.test');
  assert.equal(cfg.thisCellFrom, join(vice, 'ThisCell'));
  assert.deepEqual([...cfg.cells.keys()], ['vice.test']);
  assert.equal(cfg.cells.get('vice.test')!.from, `${join(vice, 'CellServDB')}:1`);
  assert.ok(cfg.looked.some((l) => l.path === join(etc, 'CellServDB') && !l.found));

  await dir(etc, { CellServDB: csdb('etc.test', '10.0.0.2'), ThisCell: 'etc.test' });
  const first = await loadAfsConfig({ dirs: [etc, vice], env: env() });
  assert.equal(first.dir, etc);
  assert.deepEqual([...first.cells.keys()], ['etc.test']);
  await rm(etc, { recursive: true, force: true });
  await rm(vice, { recursive: true, force: true });
});

test('$AFSCONF, then ~/.AFSCONF, name the directory only when no default directory has a configuration', async () => {
  const conf = await dir(join(root, 'afsconf'), { CellServDB: csdb('env.test', '10.0.0.3') });
  const homeConf = await dir(join(root, 'homeconf'), { CellServDB: csdb('home.test', '10.0.0.4') });
  await writeFile(join(home, '.AFSCONF'), `${homeConf}\n`);
  try {
    const byEnv = await loadAfsConfig({ dirs: [etc, vice], env: env({ AFSCONF: conf }) });
    assert.equal(byEnv.dir, conf);
    assert.deepEqual([...byEnv.cells.keys()], ['env.test']);
    const byHome = await loadAfsConfig({ dirs: [etc, vice], env: env() });
    assert.equal(byHome.dir, homeConf);
    assert.deepEqual([...byHome.cells.keys()], ['home.test']);
    // A default directory with a configuration wins over both (OpenAFS falls back, never overrides).
    await dir(etc, { CellServDB: csdb('etc.test', '10.0.0.2') });
    const local = await loadAfsConfig({ dirs: [etc, vice], env: env({ AFSCONF: conf }) });
    assert.equal(local.dir, etc);
  } finally {
    await rm(join(home, '.AFSCONF'), { force: true });
    await rm(etc, { recursive: true, force: true });
  }
});

test('$AFSCELL names the local cell over ThisCell', async () => {
  await dir(etc, { CellServDB: csdb('a.test', '10.0.0.1'), ThisCell: 'a.test' });
  const cfg = await loadAfsConfig({ dirs: [etc], env: env({ AFSCELL: 'B.Test' }) });
  assert.equal(cfg.thisCell, 'b.test');
  assert.equal(cfg.thisCellFrom, '$AFSCELL');
  // thisCell: false turns both off.
  assert.equal(
    (await loadAfsConfig({ dirs: [etc], thisCell: false, env: env({ AFSCELL: 'b.test' }) })).thisCell,
    undefined,
  );
});

test('CellServDB.local then CellServDB.dist: both read, a cell in both keeps its .local entry, CellServDB is not used', async () => {
  await dir(etc, {
    'CellServDB.local': csdb('mine.test', '10.1.0.1') + csdb('both.test', '10.1.0.9'),
    'CellServDB.dist': csdb('both.test', '10.2.0.9') + csdb('world.test', '10.2.0.1'),
    CellServDB: csdb('stale.test', '10.3.0.1'),
  });
  const cfg = await loadAfsConfig({ dirs: [etc], env: env() });
  assert.deepEqual([...cfg.cells.keys()].sort(), ['both.test', 'mine.test', 'world.test']);
  assert.deepEqual(
    cfg.cells.get('both.test')!.servers.map((s) => s.addr),
    ['10.1.0.9'],
  );
  assert.match(cfg.cells.get('world.test')!.from, /CellServDB\.dist:3$/);
  const stale = cfg.looked.find((l) => l.path === join(etc, 'CellServDB'))!;
  assert.deepEqual([stale.found, stale.used], [true, false]);
  // Only one of the two present: it alone.
  await dir(etc, {
    'CellServDB.dist': csdb('world.test', '10.2.0.1'),
    CellServDB: csdb('stale.test', '10.3.0.1'),
  });
  assert.deepEqual([...(await loadAfsConfig({ dirs: [etc], env: env() })).cells.keys()], ['world.test']);
  await rm(etc, { recursive: true, force: true });
});

test('a malformed line is skipped with one warning naming file and line; every other cell still counts', () => {
  const text = [
    '>good.test #fine',
    '10.0.0.1 #vl1',
    '10.0.0.999 #not an address',
    'garbage',
    '>bad/name.test',
    '10.0.0.5 #belongs to the bad cell',
    '>other.test',
    '[10.0.0.2] #clone',
    '[10.0.0.3 #unbalanced',
  ].join('\n');
  const r = parseCellServDB(text, '/x/CellServDB');
  assert.deepEqual([...r.cells.keys()], ['good.test', 'other.test']);
  assert.deepEqual(
    r.cells.get('good.test')!.servers.map((s) => s.addr),
    ['10.0.0.1'],
  );
  assert.deepEqual(r.cells.get('other.test')!.servers, [{ addr: '10.0.0.2', host: 'clone', clone: true }]);
  assert.deepEqual(
    r.warnings.map((w) => `${w.file}:${w.line}`),
    ['/x/CellServDB:3', '/x/CellServDB:4', '/x/CellServDB:5', '/x/CellServDB:9'],
  );
  assert.match(warningText(r.warnings[2]!), /^\/x\/CellServDB:5: bad cell name/);
  // A host line before any cell, and a cell given twice.
  const r2 = parseCellServDB('10.0.0.1\n>a.test\n10.0.0.2\n>a.test\n10.0.0.3\n', 'f');
  assert.deepEqual(
    r2.warnings.map((w) => w.line),
    [1, 4],
  );
  assert.deepEqual(
    r2.cells.get('a.test')!.servers.map((s) => s.addr),
    ['10.0.0.2'],
  );
});

test('CellAlias: "<cell> <alias>" lines; a bad line is skipped with a warning', async () => {
  const r = parseCellAlias('# comment\nexample.org ex\n\nonly-one-word\nexample.net  net  extra\n', 'CA');
  assert.deepEqual([...r.aliases], [['ex', 'example.org']]);
  assert.deepEqual(
    r.warnings.map((w) => w.line),
    [4, 5],
  );
  await dir(etc, { CellServDB: csdb('example.org', '10.0.0.1'), CellAlias: 'example.org ex\n' });
  const cfg = await loadAfsConfig({ dirs: [etc], env: env() });
  assert.equal(cfg.aliases.get('ex'), 'example.org');
  await rm(etc, { recursive: true, force: true });
});

test('nothing configured: errors name every place looked at and what to do', async () => {
  const saved = { AFSCELL: process.env.AFSCELL, AFSCONF: process.env.AFSCONF, HOME: process.env.HOME };
  delete process.env.AFSCELL;
  delete process.env.AFSCONF;
  process.env.HOME = home;
  const c = new AfsClient({ configDirs: [etc, vice], auth: 'anonymous', dns: false });
  try {
    await assert.rejects(c.vldbEntry('root.cell'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'EDESTADDRREQ');
      for (const p of [
        join(etc, 'CellServDB'),
        join(etc, 'ThisCell'),
        join(vice, 'CellServDB.dist'),
        join(home, '.AFSCONF'),
      ])
        assert.ok(e.message.includes(p), `${e.message} names ${p}`);
      assert.match(e.message, /AFSCELL unset, AFSCONF unset/);
      assert.match(e.message, /--cell|AFSCELL|ThisCell/);
      return true;
    });
    await assert.rejects(c.fs.readdir('/afs/some.test/x'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ENOENT');
      // client.fs speaks node:fs's plain message; the walk's error, its cause, says why.
      const why = (e.cause as Error).message;
      assert.match(why, /unknown cell 'some\.test'.*DNS discovery is off.*add it to CellServDB/);
      assert.ok(why.includes(join(vice, 'CellServDB')));
      assert.match(describeError(e), /no such file or directory.*unknown cell 'some\.test'/);
      return true;
    });
    assert.match(describeSearch(c.config!), /\(absent\)/);
  } finally {
    await c.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
