// The files of an OpenAFS client configuration: CellServDB (">cell #comment" lines followed by
// "a.b.c.d #host" lines; "[a.b.c.d]" marks a non-voting clone), ThisCell (the local cell) and
// CellAlias. Where they are looked for is afs-config.ts.

export interface CellConfig {
  name: string;
  comment: string;
  /** VL/PT database servers, IPv4 dotted quads. */
  servers: { addr: string; host: string; clone: boolean }[];
}

export class CellConfigError extends Error {
  override readonly name = 'CellConfigError';
  constructor(
    readonly code: 'NO_THISCELL' | 'READ_FAILED' | 'NOT_CONFIGURED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

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

/** A line that was skipped, with where it was and why. */
export interface ConfigWarning {
  file: string;
  line: number;
  message: string;
}

export function warningText(w: ConfigWarning): string {
  return `${w.file}:${w.line}: ${w.message}`;
}

/**
 * Parses CellServDB text leniently, as a cache manager must: a line that cannot be read is skipped
 * with one warning (file:line) and every other cell still counts. Host lines after a bad cell line
 * belong to no cell and are skipped with it. A cell given twice keeps its first entry.
 */
export function parseCellServDB(
  text: string,
  file = 'CellServDB',
): { cells: Map<string, CellConfig & { line: number }>; warnings: ConfigWarning[] } {
  const cells = new Map<string, CellConfig & { line: number }>();
  const warnings: ConfigWarning[] = [];
  let cur: CellConfig | undefined;
  let skipping = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const warn = (message: string) => warnings.push({ file, line: i + 1, message });
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('>')) {
      const m = /^>\s*(\S+)\s*(?:#\s*(.*))?$/.exec(line) ?? /^>\s*(\S+)\s+\S+\s*(?:#\s*(.*))?$/.exec(line);
      const name = m?.[1]?.toLowerCase();
      if (!name || !validCellName(name)) {
        warn(`bad cell name in ${JSON.stringify(line.slice(0, 80))}; that cell's servers are ignored`);
        cur = undefined;
        skipping = true;
        continue;
      }
      skipping = false;
      if (cells.has(name)) {
        warn(`cell ${name} again (first at line ${cells.get(name)!.line}); this entry is ignored`);
        cur = { name, comment: '', servers: [] }; // collects, then is dropped
        continue;
      }
      const entry = { name, comment: m?.[2]?.trim() ?? '', servers: [], line: i + 1 };
      cells.set(name, entry);
      cur = entry;
      continue;
    }
    if (skipping) continue;
    const m = /^(\[)?\s*([0-9.]+)\s*(\])?\s*(?:#\s*(.*))?$/.exec(line);
    if (!cur) {
      warn(`server line before any ">cell" line: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    if (!m || !isIPv4(m[2]!) || Boolean(m[1]) !== Boolean(m[3])) {
      warn(`not a server line ("a.b.c.d #host" or "[a.b.c.d] #host"): ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    cur.servers.push({ addr: m[2]!, host: m[4]?.trim() ?? '', clone: Boolean(m[1]) });
  }
  return { cells, warnings };
}

/**
 * CellAlias lines, "<cell> <alias>" (OpenAFS's order: the real name first). Comments and blank
 * lines are skipped; a line that is not two valid names is skipped with a warning.
 */
export function parseCellAlias(
  text: string,
  file = 'CellAlias',
): { aliases: Map<string, string>; warnings: ConfigWarning[] } {
  const aliases = new Map<string, string>();
  const warnings: ConfigWarning[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [real, alias, extra] = line.split(/\s+/);
    if (
      !real ||
      !alias ||
      extra !== undefined ||
      !validCellName(real.toLowerCase()) ||
      !validCellName(alias.toLowerCase())
    ) {
      warnings.push({
        file,
        line: i + 1,
        message: `not "<cell> <alias>": ${JSON.stringify(line.slice(0, 80))}`,
      });
      continue;
    }
    aliases.set(alias.toLowerCase(), real.toLowerCase());
  }
  return { aliases, warnings };
}

export function parseThisCell(text: string): string {
  const name = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!validCellName(name)) throw new CellConfigError('NO_THISCELL', 'ThisCell names no valid cell');
  return name;
}
