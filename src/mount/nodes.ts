// The inodes the kernel knows (FUSE node ids), each with its /afs path and the AFS object it
// stood for when last looked up. A node lives while the kernel holds lookups on it (LOOKUP,
// CREATE, MKDIR, READDIRPLUS each add one; FORGET takes them back). Paths are bytes: AFS names
// need not be UTF-8.

import { FUSE_ROOT_ID } from './fuse-abi.js';

export interface FuseNode {
  readonly id: bigint;
  parent: bigint;
  name: Buffer;
  path: Buffer;
  lookups: number;
  /** "cell/volume.vnode.unique" of the object, for callback breaks. */
  fidKey?: string;
  isDir: boolean;
  /** Names looked up in this directory (the kernel may hold dentries for them). */
  readonly children: Map<string, bigint>;
  /** Stops listening for this object's callback breaks. */
  unwatch?: () => void;
}

const SLASH = Buffer.from('/');
const key = (name: Buffer) => name.toString('latin1');

export class NodeTable {
  private readonly nodes = new Map<bigint, FuseNode>();
  private readonly byFid = new Map<string, Set<bigint>>();
  private next = FUSE_ROOT_ID + 1n;

  constructor(rootPath: string) {
    this.nodes.set(FUSE_ROOT_ID, {
      id: FUSE_ROOT_ID,
      parent: FUSE_ROOT_ID,
      name: Buffer.alloc(0),
      path: Buffer.from(rootPath),
      lookups: 1,
      isDir: true,
      children: new Map(),
    });
  }

  get(id: bigint): FuseNode | undefined {
    return this.nodes.get(id);
  }

  get size(): number {
    return this.nodes.size;
  }

  childPath(parent: FuseNode, name: Buffer): Buffer {
    return Buffer.concat([parent.path, SLASH, name]);
  }

  /** The node for `name` in `parent`, made if new; adds one kernel lookup. */
  lookup(parent: FuseNode, name: Buffer, fidKey: string | undefined, isDir: boolean): FuseNode {
    const known = parent.children.get(key(name));
    let n = known === undefined ? undefined : this.nodes.get(known);
    if (n && n.fidKey !== fidKey) {
      // The name now leads to another object: the old node keeps its own life until forgotten.
      this.detach(n);
      n = undefined;
    }
    if (!n) {
      n = {
        id: this.next++,
        parent: parent.id,
        name: Buffer.from(name),
        path: this.childPath(parent, name),
        lookups: 0,
        fidKey,
        isDir,
        children: new Map(),
      };
      this.nodes.set(n.id, n);
      parent.children.set(key(name), n.id);
      if (fidKey) {
        const s = this.byFid.get(fidKey) ?? new Set<bigint>();
        this.byFid.set(fidKey, s);
        s.add(n.id);
      }
    }
    n.lookups++;
    return n;
  }

  /** The kernel dropped `count` lookups; a node with none left is gone. */
  forget(id: bigint, count: number): FuseNode | undefined {
    if (id === FUSE_ROOT_ID) return undefined;
    const n = this.nodes.get(id);
    if (!n) return undefined;
    n.lookups -= count;
    if (n.lookups > 0) return undefined;
    this.detach(n);
    this.nodes.delete(id);
    if (n.fidKey) {
      const s = this.byFid.get(n.fidKey);
      s?.delete(id);
      if (s?.size === 0) this.byFid.delete(n.fidKey);
    }
    n.unwatch?.();
    return n;
  }

  /** The name no longer leads to the node (removed, renamed over). */
  detach(n: FuseNode): void {
    const p = this.nodes.get(n.parent);
    if (p && p.children.get(key(n.name)) === n.id) p.children.delete(key(n.name));
  }

  /** Unlink of `name` in `parent`. */
  removeName(parent: FuseNode, name: Buffer): void {
    const id = parent.children.get(key(name));
    const n = id === undefined ? undefined : this.nodes.get(id);
    if (n) this.detach(n);
  }

  /** After a rename: the node and everything under it get their new paths. */
  move(parent: FuseNode, name: Buffer, newParent: FuseNode, newName: Buffer): void {
    this.removeName(newParent, newName);
    const id = parent.children.get(key(name));
    const n = id === undefined ? undefined : this.nodes.get(id);
    if (!n) return;
    this.detach(n);
    n.parent = newParent.id;
    n.name = Buffer.from(newName);
    newParent.children.set(key(newName), n.id);
    this.repath(n, this.childPath(newParent, newName));
  }

  private repath(n: FuseNode, path: Buffer): void {
    n.path = path;
    for (const [k, cid] of n.children) {
      const c = this.nodes.get(cid);
      if (c) this.repath(c, this.childPath(n, Buffer.from(k, 'latin1')));
    }
  }

  /** The nodes standing for an AFS object. */
  byFidKey(fidKey: string): FuseNode[] {
    const s = this.byFid.get(fidKey);
    return s ? [...s].map((id) => this.nodes.get(id)!).filter(Boolean) : [];
  }

  all(): IterableIterator<FuseNode> {
    return this.nodes.values();
  }
}
