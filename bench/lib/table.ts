// The printed results table: our figure, the reference from the same run, their ratio, the goal.
import type { BenchRow } from '../types.js';

/** Oriented so that > 1 means tsafs is better, whichever way the unit runs. */
export function ratioOf(r: BenchRow): number | null {
  if (r.reference === null || r.reference === 0 || r.ours === 0) return null;
  return r.higherIsBetter ? r.ours / r.reference : r.reference / r.ours;
}

function goalText(r: BenchRow, ratio: number | null): string {
  if (r.goal === undefined) return '';
  const target = r.goal >= 0.75 ? `≥ ${r.goal.toFixed(1)}x` : `within ${(1 / r.goal).toFixed(0)}x`;
  if (ratio === null) return target;
  return `${target} ${ratio >= r.goal ? 'met' : 'not met'}`;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Numeric columns: #, tsafs, ref figure, ratio. */
const RIGHT = new Set([0, 2, 4, 6]);

export function renderTable(rows: BenchRow[]): string {
  const head = ['#', 'benchmark', 'tsafs', 'reference', 'ref figure', 'unit', 'ratio', 'goal'];
  const body = rows.map((r) => {
    const ratio = ratioOf(r);
    return [
      String(rows.indexOf(r) + 1),
      r.name,
      fmt(r.ours),
      r.referenceName ?? '-',
      r.reference === null ? '-' : fmt(r.reference),
      r.unit,
      ratio === null ? 'n/a' : `${ratio.toFixed(2)}x`,
      goalText(r, ratio),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (RIGHT.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const b of body) out.push(line(b));
  const notes = rows.map((r, i) => (r.notes ? `  [${i + 1}] ${r.name}: ${r.notes}` : '')).filter(Boolean);
  if (notes.length) out.push('', 'notes (ratio > 1 means tsafs is better; goals are not gates):', ...notes);
  return out.join('\n');
}
