// What the node:fs-shaped API needs from the client: the walk, the FS operations, cell records and
// VLDB answers, and a registry of held locks so closing the client releases them.

import type { Cell } from '../afs/cell.js';
import type { FileService } from '../afs/fs-operation.js';
import type { WalkOps } from '../afs/path.js';
import type { VldbEntry } from '../rpc/vl.js';

export interface Releasable {
  release(): Promise<void>;
}

export interface FsContext {
  /** Resolves once the client has started (endpoint open, cells read). */
  ready(): Promise<void>;
  readonly mount: string;
  readonly files: FileService;
  readonly walkOps: WalkOps;
  cell(name: string): Promise<Cell>;
  cellNames(): string[];
  vldb(cell: string, volume: string | number, signal?: AbortSignal): Promise<VldbEntry>;
  /** A file server's registered addresses (VL.GetAddrsU). */
  serverAddrs(cell: string, uuid: Uint8Array, signal?: AbortSignal): Promise<string[]>;
  /** Keep the endpoint ref()ed (a watcher is waiting for breaks); returns the release. */
  hold(): () => void;
  /** Register something to release when the client closes; returns the unregister function. */
  track(r: Releasable): () => void;
}
