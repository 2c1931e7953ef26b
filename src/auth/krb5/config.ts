// The parts of MIT krb5.conf (profile format) this client needs: default_realm,
// udp_preference_limit, kdc_timeout and each realm's `kdc = host[:port]` lines. KRB5_CONFIG may
// list several files separated by ':'; earlier files win, as in MIT.

import { readFile } from 'node:fs/promises';
import { Krb5Error } from './errors.js';

export interface Krb5RealmConfig {
  kdcs: string[];
}

export interface Krb5Config {
  defaultRealm: string | undefined;
  /** Requests larger than this go to TCP first (MIT default 1465). */
  udpPreferenceLimit: number;
  realms: Map<string, Krb5RealmConfig>;
  /** [domain_realm]: "host" or ".domain" (lower-case) → realm. */
  domainRealm: Map<string, string>;
  /** Files actually read, for error messages. */
  files: string[];
}

type Profile = Map<string, Map<string, Array<string | Profile>>>;

/** Parses profile syntax into section → relation → values (a value is a string or a subtree). */
export function parseProfile(text: string): Profile {
  const sections: Profile = new Map();
  let current: Map<string, Array<string | Profile>> | undefined;
  const stack: Array<Map<string, Array<string | Profile>>> = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]+)\]$/.exec(line);
    if (sec) {
      current = new Map();
      stack.length = 0;
      sections.set(sec[1] as string, current);
      continue;
    }
    if (!current) continue; // relations before any section are ignored, like MIT's parser
    const top =
      stack.length > 0 ? (stack[stack.length - 1] as Map<string, Array<string | Profile>>) : current;
    if (line === '}' || line.startsWith('}')) {
      stack.pop();
      continue;
    }
    const rel = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
    if (!rel) continue;
    const key = rel[1] as string;
    const value = (rel[2] as string).trim();
    const list = top.get(key) ?? [];
    top.set(key, list);
    if (value === '{') {
      const child = new Map<string, Array<string | Profile>>();
      // A subtree is stored as a one-section profile under the empty name.
      const wrapper: Profile = new Map([['', child]]);
      list.push(wrapper);
      stack.push(child);
    } else {
      list.push(value.replace(/^"(.*)"$/, '$1'));
    }
  }
  return sections;
}

function strings(v: Array<string | Profile> | undefined): string[] {
  return (v ?? []).filter((x): x is string => typeof x === 'string');
}

export function parseKrb5Conf(texts: string[], files: string[] = []): Krb5Config {
  const cfg: Krb5Config = {
    defaultRealm: undefined,
    udpPreferenceLimit: 1465,
    realms: new Map(),
    domainRealm: new Map(),
    files,
  };
  for (const text of texts) {
    const p = parseProfile(text);
    const lib = p.get('libdefaults');
    if (lib) {
      const dr = strings(lib.get('default_realm'))[0];
      if (dr && cfg.defaultRealm === undefined) cfg.defaultRealm = dr;
      const upl = strings(lib.get('udp_preference_limit'))[0];
      if (upl && /^\d+$/.test(upl)) cfg.udpPreferenceLimit = Number(upl);
    }
    for (const [name, values] of p.get('domain_realm') ?? []) {
      const realm = strings(values)[0];
      const key = name.toLowerCase();
      if (realm && !cfg.domainRealm.has(key)) cfg.domainRealm.set(key, realm);
    }
    const realms = p.get('realms');
    if (!realms) continue;
    for (const [name, values] of realms) {
      if (cfg.realms.has(name)) continue;
      const kdcs: string[] = [];
      for (const v of values) {
        if (typeof v === 'string') continue;
        kdcs.push(...strings(v.get('')?.get('kdc')));
      }
      cfg.realms.set(name, { kdcs });
    }
  }
  return cfg;
}

/** Reads KRB5_CONFIG (or /etc/krb5.conf). Missing files are skipped; none readable is an error. */
export async function loadKrb5Config(
  pathList = process.env.KRB5_CONFIG ?? '/etc/krb5.conf',
): Promise<Krb5Config> {
  const files = pathList.split(':').filter((f) => f !== '');
  const texts: string[] = [];
  const read: string[] = [];
  for (const f of files) {
    try {
      texts.push(await readFile(f, 'utf8'));
      read.push(f);
    } catch {
      // MIT also skips unreadable entries of a path list.
    }
  }
  if (texts.length === 0)
    throw new Krb5Error('KRB5_CONFIG_NOTFOUND', `no readable krb5.conf in "${pathList}"`);
  return parseKrb5Conf(texts, read);
}

/**
 * The realm [domain_realm] maps a name (a cell name here) to, as MIT looks it up: the exact name
 * first, then ".domain" entries from the longest suffix to the shortest. Undefined: no entry.
 */
export function realmForName(cfg: Krb5Config, name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  const exact = cfg.domainRealm.get(n);
  if (exact) return exact;
  for (let i = n.indexOf('.'); i >= 0; i = n.indexOf('.', i + 1)) {
    const r = cfg.domainRealm.get(n.slice(i));
    if (r) return r;
  }
  return undefined;
}
