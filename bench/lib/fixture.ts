// Fixture files written by OpenAFS's own client library (afsfix, libafscp), so the bytes tsafs
// and afsio read were produced by an independent implementation. A file that already exists with
// the right size is reused; its sha256 comes from the previous results.json when the FID and data
// version still match, else from `afsfix read` (one libafscp pass over the file).
import type { AFSFid } from '../../src/rpc/types.js';
import { BenchSetupError } from './cell.js';
import { runProcess } from './proc.js';

export interface FixtureFile {
  /** afsfix path, e.g. "tsafs.rw:/bench/big256". */
  path: string;
  size: number;
  fid: AFSFid;
  dataVersion: number;
  sha256: string;
  /** How sha256 was learned: "written", "cached" (previous results.json) or "afsfix read". */
  shaSource: string;
}

/** Absent object: afsfix exits 3 (see fixtures/afsfix.c). */
const AFSFIX_ABSENT = 3;

function fields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(\S+)/g)) out[m[1]!] = m[2]!;
  return out;
}

export class FixtureStore {
  private readonly made = new Map<string, Promise<FixtureFile>>();

  constructor(
    private readonly afsfix: string,
    private readonly previous: Record<string, FixtureFile>,
    private readonly log: (m: string) => void,
  ) {}

  /** Everything made or reused in this run, for results.json. */
  async all(): Promise<Record<string, FixtureFile>> {
    const out: Record<string, FixtureFile> = {};
    for (const [k, p] of this.made) {
      const f = await p.catch(() => undefined);
      if (f) out[k] = f;
    }
    return out;
  }

  file(path: string, size: number, seed: number): Promise<FixtureFile> {
    let p = this.made.get(path);
    if (!p) {
      p = this.ensure(path, size, seed);
      this.made.set(path, p);
    }
    return p;
  }

  /**
   * One afsfix command. Failures other than "absent" are retried for a while: the cell is shared,
   * and right after a restart the demand-attach file server answers VBUSY/VSALVAGING or times out.
   */
  private async afsfixCmd(args: string[]): Promise<{ absent: boolean; out: Record<string, string> }> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await runProcess(this.afsfix, args, { timeoutMs: 300_000 });
      if (r.code === AFSFIX_ABSENT) return { absent: true, out: {} };
      if (r.code === 0) return { absent: false, out: fields(r.stdout.trim().split('\n').pop() ?? '') };
      const why = `afsfix ${args.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`;
      if (Date.now() > deadline) throw new BenchSetupError(why);
      this.log(`${why}; retrying`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }

  private async ensure(path: string, size: number, seed: number): Promise<FixtureFile> {
    const dir = path.slice(0, path.lastIndexOf('/'));
    if (dir && !dir.endsWith(':')) await this.afsfixCmd(['mkdir', dir]);
    let st = await this.afsfixCmd(['stat', path]);
    let sha: string | undefined;
    let shaSource = '';
    if (st.absent || Number(st.out.size) !== size || st.out.type !== 'file') {
      this.log(`writing fixture ${path} (${size} bytes) with afsfix`);
      const w = await this.afsfixCmd(['write', path, String(size), String(seed)]);
      sha = w.out.sha256;
      shaSource = 'written';
      st = await this.afsfixCmd(['stat', path]);
    }
    const fid = parseFid(st.out.fid ?? '');
    const dataVersion = Number(st.out.dv);
    const prev = this.previous[path];
    if (!sha && prev && prev.size === size && prev.dataVersion === dataVersion && sameFid(prev.fid, fid)) {
      sha = prev.sha256;
      shaSource = 'cached';
    }
    if (!sha) {
      this.log(`hashing existing fixture ${path} with afsfix read`);
      sha = (await this.afsfixCmd(['read', path])).out.sha256;
      shaSource = 'afsfix read';
    }
    if (!sha) throw new BenchSetupError(`afsfix gave no sha256 for ${path}`);
    return { path, size, fid, dataVersion, sha256: sha, shaSource };
  }
}

export function parseFid(text: string): AFSFid {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) throw new BenchSetupError(`not a FID: '${text}'`);
  return { volume: Number(m[1]), vnode: Number(m[2]), unique: Number(m[3]) };
}

function sameFid(a: AFSFid, b: AFSFid): boolean {
  return a.volume === b.volume && a.vnode === b.vnode && a.unique === b.unique;
}
