// Help, completion and the small CLI behaviours around them: every command's --help (and
// `tsafs help <cmd>`) lists every option it accepts, generated from the same table the parser
// uses; -h belongs to a command that defines it (ls -lh); --version; completion scripts that bash
// really runs; ls -h sizes; the password prompt's backspace erases a whole character.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseCommandArgs, parseCommandLine } from '../../src/cli/args.js';
import { allCommands } from '../../src/cli/commands.js';
import { GLOBAL_OPTIONS } from '../../src/cli/help.js';
import { humanSize } from '../../src/cli/ls.js';
import { eraseLastCharacter } from '../../src/cli/secret-input.js';
import { VERSION } from '../../src/version.js';

const run = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..', '..');
const MAIN = join(REPO, 'dist/src/cli/main.js');
const tsafs = (args: string[]) =>
  run(process.execPath, [MAIN, ...args], { env: { ...process.env, TSAFS_DNS: 'off' } });

test('every command: --help and `tsafs help <cmd>` describe every option it accepts, and the global ones', async () => {
  const cmds = await allCommands();
  assert.ok(cmds.length >= 25);
  for (const c of cmds) {
    const { stdout } = await tsafs([c.name, '--help']);
    assert.ok(stdout.startsWith(c.usage), `${c.name}: help starts with its usage`);
    for (const [name, o] of Object.entries(c.options ?? {})) {
      const flag = o.short ? `-${o.short}, --${name}` : `--${name}`;
      const row = stdout.split('\n').find((l) => l.trimStart().startsWith(flag));
      assert.ok(row, `${c.name} --help lists ${flag}`);
      assert.ok(row.includes(o.describe), `${c.name} --help describes --${name}`);
      // ...and the parser accepts exactly what help shows.
      const value = o.type === 'string' ? ['v'] : [];
      assert.doesNotThrow(() => parseCommandArgs([`--${name}`, ...value], c.options!, c.usage));
    }
    assert.throws(() => parseCommandArgs(['--no-such-option'], c.options ?? {}, c.usage));
    for (const g of GLOBAL_OPTIONS) assert.ok(stdout.includes(g.flag), `${c.name} --help shows ${g.flag}`);
    assert.equal((await tsafs(['help', c.name])).stdout, stdout, `tsafs help ${c.name}`);
  }
});

test('every command parses its options with the table its help is made from (no inline option tables)', async () => {
  const dir = join(REPO, 'src/cli');
  for (const f of await readdir(dir)) {
    if (!f.endsWith('.ts') || f === 'args.ts') continue;
    const text = await readFile(join(dir, f), 'utf8');
    assert.doesNotMatch(
      text,
      /parseCommandArgs\(\s*args,\s*\{\s*[a-zA-Z]/,
      `${f} parses an inline option table`,
    );
  }
});

test('-h: help before the command or for commands without their own -h; ls keeps it (ls -lh)', () => {
  assert.equal(parseCommandLine(['-h']).globals.help, true);
  const ls = parseCommandLine(['ls', '-lh', '/afs/x']);
  assert.equal(ls.globals.help, false);
  assert.deepEqual(ls.args, ['-lh', '/afs/x']);
  assert.deepEqual(parseCommandLine(['ls', '-h']).args, ['-h']);
});

test('ls -h, tsafs cat -h, tsafs --version', async () => {
  const catHelp = await tsafs(['cat', '-h']);
  assert.match(catHelp.stdout, /^usage: tsafs cat/);
  assert.equal((await tsafs(['--version'])).stdout, `tsafs ${VERSION}\n`);
  assert.equal(
    VERSION,
    (JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string }).version,
  );
});

test('human sizes as GNU ls -h: powers of 1024, rounded up, one decimal below 10', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [1023, '1023'],
    [1024, '1.0K'],
    [1025, '1.1K'],
    [1536, '1.5K'],
    [10 * 1024, '10K'],
    [10 * 1024 + 1, '11K'],
    [1024 * 1024 - 1, '1.0M'],
    [5 * 1024 ** 3, '5.0G'],
  ];
  for (const [n, s] of cases) assert.equal(humanSize(n), s, String(n));
});

test('backspace in the password prompt erases one whole UTF-8 character', () => {
  for (const tail of ['é', '€', '😀', 'x']) {
    const bytes = [...Buffer.from(`pä${tail}`)];
    eraseLastCharacter(bytes);
    assert.equal(Buffer.from(bytes).toString('utf8'), 'pä');
  }
  const empty: number[] = [];
  eraseLastCharacter(empty);
  assert.deepEqual(empty, []);
});

test('tsafs completion bash: bash completes commands, a command’s options and global options', async () => {
  const script = (await tsafs(['completion', 'bash'])).stdout;
  const complete = async (words: string[]) => {
    const r = await run('bash', [
      '-c',
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tsafs; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    return r.stdout.trim().split('\n');
  };
  assert.deepEqual((await complete(['tsafs', 'l'])).sort(), ['ln', 'login', 'ls', 'lsmount']);
  const lsOpts = await complete(['tsafs', '--cell', 'x', 'ls', '--h']);
  assert.deepEqual(lsOpts.sort(), ['--help', '--human']);
  assert.ok((await complete(['tsafs', 'rm', '-'])).includes('--force'));
  assert.match((await tsafs(['completion', 'zsh'])).stdout, /bashcompinit/);
  await assert.rejects(tsafs(['completion', 'fish']), (e: { code?: number }) => e.code === 2);
});
