// Runs the compiled tests in two phases: everything that leaves the shared cell as it found it,
// then (serially) the tests that change it (quotas, restarts, KDC down). Prints one closing
// "N passed, N failed" line over both phases and exits non-zero on any failure.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

function collect(dir) {
  let out = [];
  let names;
  try {
    names = readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (n.endsWith('.test.js')) out.push(p);
  }
  return out;
}

// tsafs looks unknown cells up in DNS by default, with the machine's nameservers: no test may ask
// them. Tests that use DNS name their loopback nameserver (or set TSAFS_DNS themselves).
process.env.TSAFS_DNS ??= 'off';

const filter = process.argv.slice(2);
const pick = (files) => (filter.length ? files.filter((f) => filter.some((x) => f.includes(x))) : files);
const phases = [
  {
    name: 'parallel',
    files: pick(['unit', 'sim', 'integration'].flatMap((d) => collect(join('dist/test', d)))),
    concurrency: 2,
  },
  { name: 'serial', files: pick(collect('dist/test/serial')), concurrency: 1 },
];

let passed = 0;
let failed = 0;
let skipped = 0;
let todo = 0;
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  process.stdout.write(`\n# phase ${phase.name}: ${phase.files.length} file(s)\n`);
  const stream = run({ files: phase.files, concurrency: phase.concurrency, timeout: 20 * 60_000 });
  stream.on('test:pass', (ev) => {
    if (ev.details?.type === 'suite') return;
    if (ev.skip || ev.todo) skipped++;
    else passed++;
  });
  stream.on('test:fail', (ev) => {
    if (ev.details?.type === 'suite' && ev.details?.error?.failureType === 'subtestsFailed') return;
    // A failing todo is known unfinished work (node:test does not fail the run for it either).
    if (ev.todo) {
      todo++;
      return;
    }
    failed++;
  });
  await new Promise((resolve, reject) => {
    stream.compose(spec).pipe(process.stdout, { end: false });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (todo) process.stdout.write(`(${todo} todo still failing: known unfinished work)\n`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
