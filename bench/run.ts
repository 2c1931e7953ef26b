// npm run bench: runs every module in bench/cases/ (or those whose name matches an argument),
// prints one table — our figure, the reference measured in this same run, their ratio, the goal —
// and writes bench/results.json with the machine and every number.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cellEnv } from './lib/cell.js';
import { type FixtureFile, FixtureStore } from './lib/fixture.js';
import { machineInfo } from './lib/machine.js';
import { round } from './lib/measure.js';
import { ratioOf, renderTable } from './lib/table.js';
import type { BenchCase, BenchContext, BenchRow } from './types.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(REPO, 'bench', 'results.json');
const CASES_DIR = fileURLToPath(new URL('./cases/', import.meta.url));

interface CaseResult {
  file: string;
  name: string;
  seconds: number;
  rows?: BenchRow[];
  skipped?: string;
  error?: string;
}

function log(m: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

function previousFixtures(): Record<string, FixtureFile> {
  try {
    return JSON.parse(readFileSync(RESULTS, 'utf8')).fixtures ?? {};
  } catch {
    return {};
  }
}

async function loadCases(filters: string[]): Promise<{ file: string; c: BenchCase }[]> {
  const files = readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.js'))
    .sort();
  const out: { file: string; c: BenchCase }[] = [];
  for (const file of files) {
    const mod = (await import(new URL(file, `file://${CASES_DIR}`).href)) as { benchCase?: BenchCase };
    if (!mod.benchCase) continue;
    const key = `${file} ${mod.benchCase.name}`.toLowerCase();
    if (filters.length && !filters.some((f) => key.includes(f.toLowerCase()))) continue;
    out.push({ file: file.replace(/\.js$/, '.ts'), c: mod.benchCase });
  }
  return out;
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const started = new Date();
  const t0 = performance.now();
  const env = cellEnv();
  const haveCell = !('missing' in env);
  if (!haveCell) log(`no cell environment (missing ${env.missing.join(', ')}): cell cases are skipped`);
  const tmpDir = mkdtempSync(join(tmpdir(), 'tsafs-bench-'));
  const runs = Math.max(1, Number(process.env.BENCH_RUNS) || 3);
  const previous = previousFixtures();
  const fixtures = new FixtureStore(haveCell ? env.AFS_FIXTURE : '', previous, log);
  const load0 = loadavg();
  if (load0[0]! > cpus().length)
    log(`load average ${load0[0]!.toFixed(1)} on ${cpus().length} CPUs: absolute figures will be low`);
  const ctx: BenchContext = {
    env: haveCell ? env : (undefined as never),
    runs,
    *rounds(budgetSeconds) {
      const until = performance.now() + budgetSeconds * 1000;
      for (let i = 0; i < runs; i++) {
        if (i > 0 && performance.now() > until) return;
        yield i;
      }
    },
    tmpDir,
    log,
    fixtureFile: (path, size, seed) => fixtures.file(path, size, seed),
  };
  const results: CaseResult[] = [];
  try {
    for (const { file, c } of await loadCases(filters)) {
      const c0 = performance.now();
      const res: CaseResult = { file, name: c.name, seconds: 0 };
      if (c.needsCell && !haveCell) res.skipped = 'no loopback cell';
      else {
        log(`${c.name} ...`);
        try {
          const r = await c.run(ctx);
          res.rows = Array.isArray(r) ? r : [r];
        } catch (e) {
          res.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
          log(`${c.name} FAILED: ${res.error}`);
        }
      }
      res.seconds = Math.round((performance.now() - c0) / 100) / 10;
      results.push(res);
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const machine = await machineInfo(haveCell ? env.AFS_ADDR : undefined);
  const rows = results.flatMap((r) => r.rows ?? []);
  console.log(
    `\ntsafs bench — ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, node ${machine.node}, ` +
      `file server ${machine.openafsFileServer ?? machine.openafsPackages['openafs-fileserver'] ?? '?'}\n`,
  );
  const load1 = loadavg()[0]!;
  console.log(renderTable(rows));
  console.log(
    `\nload average ${load0[0]!.toFixed(1)} at start, ${load1.toFixed(1)} at end (${machine.cpus} CPUs)`,
  );
  for (const r of results) {
    if (r.skipped) console.log(`skipped: ${r.name} (${r.skipped})`);
    if (r.error) console.log(`FAILED: ${r.name}: ${r.error}`);
  }
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  console.log(`\n${results.length} case(s) in ${seconds} s; results in bench/results.json`);

  const doc = {
    started: started.toISOString(),
    seconds,
    runsPerFigure: runs,
    filters,
    machine,
    results: results.map((r) => ({
      ...r,
      rows: r.rows?.map((row) => ({ ...row, ratio: ratioOf(row) })),
    })),
    loadAverage: { start: load0.map((x) => round(x, 2)), end: loadavg().map((x) => round(x, 2)) },
    // Fixtures not used by this run stay recorded, so a filtered run does not forget their hashes.
    fixtures: { ...previous, ...(await fixtures.all()) },
  };
  writeFileSync(RESULTS, `${JSON.stringify(doc, null, 2)}\n`);
  return results.some((r) => r.error) ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
