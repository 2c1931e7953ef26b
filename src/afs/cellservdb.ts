// Cell configuration as OpenAFS keeps it: CellServDB (">cell #comment" lines followed by
// "a.b.c.d #host" lines; "[a.b.c.d]" marks a non-voting clone) and ThisCell (the local cell).

import { readFile } from 'node:fs/promises';

export interface CellConfig {
  name: string;
  comment: string;
  /** VL/PT database servers, IPv4 dotted quads. */
  servers: { addr: string; host: string; clone: boolean }[];
}

export class CellConfigError extends Error {
  override readonly name = 'CellConfigError';
  constructor(
    readonly code: 'BAD_LINE' | 'BAD_CELL_NAME' | 'NO_THISCELL' | 'READ_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const DEFAULT_CELLSERVDB = '/etc/openafs/CellServDB';
export const DEFAULT_THISCELL = '/etc/openafs/ThisCell';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function isIPv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

/** Cell names: printable, no '/', '@' or white space, not starting with '.', at most 64 bytes (as kAFS checks). */
export function validCellName(name: string): boolean {
  return (
    name.length > 0 &&
    Buffer.byteLength(name) <= 64 &&
    !name.startsWith('.') &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
    !/[/@\s\x00-\x1f\x7f]/.test(name)
  );
}

export function parseCellServDB(text: string): Map<string, CellConfig> {
  const cells = new Map<string, CellConfig>();
  let cur: CellConfig | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('>')) {
      const m = /^>\s*(\S+)\s*(?:#\s*(.*))?$/.exec(line);
      const name = m?.[1]?.toLowerCase();
      if (!name || !validCellName(name)) {
        throw new CellConfigError('BAD_CELL_NAME', `CellServDB line ${i + 1}: bad cell name`);
      }
      cur = { name, comment: m?.[2]?.trim() ?? '', servers: [] };
      cells.set(name, cur);
      continue;
    }
    const m = /^(\[)?\s*([0-9.]+)\s*(\])?\s*(?:#\s*(.*))?$/.exec(line);
    if (!m || !cur || !isIPv4(m[2]!) || Boolean(m[1]) !== Boolean(m[3])) {
      throw new CellConfigError('BAD_LINE', `CellServDB line ${i + 1}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    cur.servers.push({ addr: m[2]!, host: m[4]?.trim() ?? '', clone: Boolean(m[1]) });
  }
  return cells;
}

export function parseThisCell(text: string): string {
  const name = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!validCellName(name)) throw new CellConfigError('NO_THISCELL', 'ThisCell names no valid cell');
  return name;
}

export async function loadCellServDB(path = DEFAULT_CELLSERVDB): Promise<Map<string, CellConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CellConfigError('READ_FAILED', `cannot read ${path}`, { cause: e });
  }
  return parseCellServDB(text);
}

export async function loadThisCell(path = DEFAULT_THISCELL): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CellConfigError('READ_FAILED', `cannot read ${path}`, { cause: e });
  }
  return parseThisCell(text);
}
