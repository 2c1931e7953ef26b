// Request paths to AFS paths and back, as bytes: percent-decoding yields exactly the bytes of a
// name (non-UTF-8 names survive), and nothing a client sends can leave the served root.

export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
}

/** The bytes a percent-encoded URL path stands for; malformed escapes are refused, not guessed. */
export function percentDecode(s: string): Buffer {
  const out: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== 0x25) {
      out.push(c);
      continue;
    }
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new UnsafePathError(`malformed percent escape in ${s}`);
    out.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(out);
}

/** Byte-exact percent-encoding of one name, leaving only RFC 3986 unreserved characters bare. */
export function percentEncode(name: Buffer): string {
  let s = '';
  for (const b of name) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
    s += unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return s;
}

/**
 * The names a request path (the URL path, still encoded, query removed) stands for.
 * Refuses `.`/`..`, NUL and `/` inside a name (an encoded %2F), so the result stays under the root.
 */
export function requestNames(urlPath: string): Buffer[] {
  const names: Buffer[] = [];
  for (const seg of urlPath.split('/')) {
    if (seg === '') continue;
    const name = percentDecode(seg);
    if (name.includes(0) || name.includes(0x2f)) throw new UnsafePathError('a name holds NUL or /');
    if (name.equals(Buffer.from('.')) || name.equals(Buffer.from('..')))
      throw new UnsafePathError('. and .. are refused in request paths');
    names.push(name);
  }
  return names;
}

/** The AFS path for names under root, as bytes (the fs layer takes Buffer paths verbatim). */
export function afsPathOf(root: string, names: readonly Buffer[]): Buffer {
  const base = Buffer.from(root.replace(/\/+$/, ''), 'utf8');
  return Buffer.concat([base, ...names.flatMap((n) => [Buffer.from('/'), n])]);
}

/** The href for names (a collection's href ends with /). */
export function hrefOf(names: readonly Buffer[], collection: boolean): string {
  const p = `/${names.map(percentEncode).join('/')}`;
  return collection && names.length > 0 ? `${p}/` : p;
}
