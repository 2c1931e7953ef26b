// A small XML writer for multistatus replies and a tolerant reader for PROPFIND/PROPPATCH/LOCK
// bodies: it only needs element names (with namespaces) and text, never a full document model.

export const DAV_NS = 'DAV:';

export function xmlEscape(s: string): string {
  return s
    .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(
      // Characters XML 1.0 cannot carry at all.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is being removed
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g,
      '\ufffd',
    );
}

export interface XmlElement {
  ns: string;
  local: string;
  children: XmlElement[];
  text: string;
  /** The element's source text, for echoing a lock owner back. */
  raw: string;
}

const TAG = /<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
const ATTR = /([^\s=>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The root element of a body, or undefined when the body is empty; throws on mismatched tags. */
export function parseXml(body: string): XmlElement | undefined {
  const text = body.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, '');
  const stack: { el: XmlElement; scope: Map<string, string>; start: number }[] = [];
  let root: XmlElement | undefined;
  let last = 0;
  for (const m of text.matchAll(TAG)) {
    const [whole, close, qname, attrs, selfClose] = m;
    const at = m.index;
    const between = text.slice(last, at);
    if (stack.length > 0) stack[stack.length - 1]!.el.text += decodeEntities(between);
    last = at + whole.length;
    if (close) {
      const top = stack.pop();
      if (!top) throw new Error('unbalanced XML');
      top.el.raw = text.slice(top.start, last);
      continue;
    }
    const scope = new Map(stack.length > 0 ? stack[stack.length - 1]!.scope : []);
    for (const a of (attrs ?? '').matchAll(ATTR)) {
      const name = a[1]!;
      const value = a[2] ?? a[3] ?? '';
      if (name === 'xmlns') scope.set('', value);
      else if (name.startsWith('xmlns:')) scope.set(name.slice(6), value);
    }
    const colon = qname!.indexOf(':');
    const prefix = colon >= 0 ? qname!.slice(0, colon) : '';
    const ns = scope.get(prefix);
    // A prefix must be declared, and not to "" (Namespaces in XML 1.0 allows that only for the default).
    if (prefix && !ns) throw new Error(`undeclared namespace prefix ${prefix}`);
    const el: XmlElement = {
      ns: ns ?? '',
      local: colon >= 0 ? qname!.slice(colon + 1) : qname!,
      children: [],
      text: '',
      raw: whole,
    };
    if (stack.length > 0) stack[stack.length - 1]!.el.children.push(el);
    else if (!root) root = el;
    else throw new Error('more than one root element');
    if (!selfClose) stack.push({ el, scope, start: at });
  }
  if (stack.length > 0) throw new Error('unclosed XML element');
  if (!root && text.trim() !== '') throw new Error('not XML');
  return root;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#')
      return String.fromCodePoint(e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] ?? '';
  });
}

export function child(el: XmlElement | undefined, local: string, ns = DAV_NS): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && c.ns === ns);
}

/** `<x:name xmlns:x="ns"/>` for a property element, whatever its namespace. */
export function emptyElement(ns: string, local: string, inner = ''): string {
  if (ns === DAV_NS) return inner ? `<D:${local}>${inner}</D:${local}>` : `<D:${local}/>`;
  const attr = ns ? ` xmlns:P="${xmlEscape(ns)}"` : ' xmlns=""';
  const q = ns ? `P:${local}` : local;
  return inner ? `<${q}${attr}>${inner}</${q}>` : `<${q}${attr}/>`;
}
