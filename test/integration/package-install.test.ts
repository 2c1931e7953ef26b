// tsafs as a user gets it: a clone of this repository (its committed HEAD), packed with `npm pack`
// and installed into a fresh project, and installed straight from git (`npm i git+file://...`).
// Both must give `import('tsafs')` → AfsClient and a working `tsafs` binary. npm runs offline
// (from the cache `npm ci` filled): no test talks to anything outside this machine.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './helpers/cell.js';

const run = promisify(execFile);
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];

let work: string;
let clone: string;
let tarball: string;
let version: string;

async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    const r = await run(cmd, args, {
      cwd,
      maxBuffer: 64 << 20,
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_offline: 'true' },
    });
    return r.stdout;
  } catch (e) {
    const x = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(' ')} in ${cwd} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`,
    );
  }
}

async function freshProject(name: string): Promise<string> {
  const dir = join(work, name);
  await sh('mkdir', ['-p', dir], work);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

/** What an installed tsafs gives: its exports and its binary's --version. */
async function checkInstalled(project: string): Promise<void> {
  const probe =
    "const m = await import('tsafs'); console.log(JSON.stringify({ client: typeof m.AfsClient, fs: typeof new m.AfsClient().fs.readFile, version: m.VERSION }));";
  const out = JSON.parse(await sh(process.execPath, ['--input-type=module', '-e', probe], project));
  assert.deepEqual(out, { client: 'function', fs: 'function', version });
  const v = await sh('npx', ['tsafs', '--version'], project);
  assert.equal(v.trim(), `tsafs ${version}`);
  const help = await sh('npx', ['tsafs', '--help'], project);
  assert.match(help, /usage: tsafs <command>/);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'tsafs-pkg-'));
  clone = join(work, 'clone');
  await sh('git', ['clone', '--quiet', REPO_ROOT, clone], work);
  version = (JSON.parse(await readFile(join(clone, 'package.json'), 'utf8')) as { version: string }).version;
  // The clone borrows this tree's dev dependencies (TypeScript) for `prepare`, the build that
  // `npm pack` runs on the clean tree.
  await symlink(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const packed = JSON.parse(
    await sh('npm', ['pack', '--json', '--pack-destination', work, ...NPM_FLAGS], clone),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, packed[0]!.filename);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('the packed tarball holds the built library, LICENSE and README, and nothing for tests or debugging', async () => {
  const list = (await sh('tar', ['tzf', tarball], work)).trim().split('\n');
  for (const f of [
    'package/package.json',
    'package/LICENSE',
    'package/README.md',
    'package/dist/src/index.js',
    'package/dist/src/index.d.ts',
    'package/dist/src/cli/main.js',
  ])
    assert.ok(list.includes(f), `${f} missing from the tarball`);
  assert.deepEqual(
    list.filter((f) => f.endsWith('.map')),
    [],
    'source maps pointing at sources not shipped',
  );
  assert.deepEqual(
    list.filter((f) => /\/dist\/(test|bench|examples)\//.test(f)),
    [],
  );
  assert.deepEqual(
    list.filter(
      (f) => !f.startsWith('package/dist/src/') && !/^package\/(package\.json|LICENSE|README\.md)$/.test(f),
    ),
    [],
  );
  // No compiled file still names a map it would not find.
  const grep = await run('tar', ['xzOf', tarball, '--wildcards', 'package/dist/src/*.js'], {
    maxBuffer: 64 << 20,
  });
  assert.doesNotMatch(grep.stdout, /sourceMappingURL/);
  const meta = JSON.parse((await run('tar', ['xzOf', tarball, 'package/package.json'])).stdout) as Record<
    string,
    unknown
  >;
  assert.equal(meta.license, 'MIT');
  assert.match(String((meta.engines as { node: string }).node), /^>=20\.\d+\.\d+$/);
});

test('npm i <tarball> into a fresh project: import gives AfsClient, npx tsafs --version prints the version', async () => {
  const project = await freshProject('from-tarball');
  await sh('npm', ['i', ...NPM_FLAGS, tarball], project);
  await checkInstalled(project);
});

test('npm i git+file://<clone> into a fresh project builds dist/ on install (prepare)', async () => {
  const project = await freshProject('from-git');
  await sh('npm', ['i', ...NPM_FLAGS, `git+file://${clone}`], project);
  await checkInstalled(project);
});
