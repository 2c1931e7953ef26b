// The contract between the bench driver (run.ts) and one benchmark module in bench/cases/.
// A case measures our figure and its reference in the same run; the driver prints and records.

import type { CellEnv } from './lib/cell.js';
import type { FixtureFile } from './lib/fixture.js';

/** One line of the results table. */
export interface BenchRow {
  /** What was measured, e.g. "read 256 MiB by FID, parallel 4". */
  name: string;
  ours: number;
  /** The reference figure from this same run; null when there is none (ratio "n/a"). */
  reference: number | null;
  /** What the reference is, e.g. "afsio read". */
  referenceName?: string;
  unit: string;
  higherIsBetter: boolean;
  /**
   * Goal for the ratio (ratios are oriented so that > 1 means tsafs is better): 1.0 means "at
   * least as good as the reference", 0.5 "within 2x". Goals are reported, never enforced.
   */
  goal?: number;
  /** Settings that matter for reading the figure (security level, jumbogram setting, ...). */
  notes?: string;
  /** Every sample behind the two figures and anything else worth keeping in results.json. */
  details?: Record<string, unknown>;
}

export interface BenchContext {
  /** The cell's environment (scripts/cell env), also exported into process.env. */
  env: CellEnv;
  /** Timed runs per figure (best of N). BENCH_RUNS overrides the default of 3. */
  runs: number;
  /**
   * Run indices 0, 1, ... up to `runs`, stopping early (never before the first) once
   * `budgetSeconds` have passed since the first: keeps the whole bench near five minutes even when
   * the shared machine is loaded. Report how many runs a figure is the best of.
   */
  rounds(budgetSeconds: number): Iterable<number>;
  /** A scratch directory, removed at the end of the run. */
  tmpDir: string;
  /** Progress to stderr (the table goes to stdout). */
  log(message: string): void;
  /** A file written by the C fixture (libafscp), created once and reused across cases and runs. */
  fixtureFile(path: string, size: number, seed: number): Promise<FixtureFile>;
}

/** A benchmark: drop a module exporting `benchCase` into bench/cases/ and the driver runs it. */
export interface BenchCase {
  name: string;
  /** Whether the case needs the loopback cell (the driver skips it when the cell is down). */
  needsCell: boolean;
  run(ctx: BenchContext): Promise<BenchRow | BenchRow[]>;
}
