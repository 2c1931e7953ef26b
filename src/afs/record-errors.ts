// Typed errors of the record layer (net, cells, servers, volumes). Each has a stable `code`.

import type { TraceEvent } from './trace.js';

export class AfsRecordError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The Net was closed: lookups are refused and calls in flight are aborted with this. */
export class NetClosedError extends AfsRecordError {
  constructor() {
    super('ERR_TSAFS_NET_CLOSED', 'the AFS client is closed');
  }
}

/** The cell is being removed (or is gone); no new servers or volumes are looked up in it. */
export class CellRemovedError extends AfsRecordError {
  constructor(readonly cell: string) {
    super('ERR_TSAFS_CELL_REMOVED', `cell ${cell} is being removed`);
  }
}

/** The VLDB knows no file server with this UUID (GetAddrsU gave no addresses). */
export class ServerNotFoundError extends AfsRecordError {
  constructor(readonly uuid: string) {
    super('ERR_TSAFS_SERVER_NOT_FOUND', `VLDB has no addresses for file server ${uuid}`);
  }
}

/** Creating a server record failed (VL lookup or first probe); the next lookup retries. */
export class ServerCreateError extends AfsRecordError {
  constructor(
    readonly uuid: string,
    cause: unknown,
  ) {
    super('ERR_TSAFS_SERVER_CREATE', `creating file server record ${uuid} failed`, { cause });
  }
}

/** The server record was destroyed; pending work for it is cancelled with this. */
export class ServerExpiredError extends AfsRecordError {
  constructor(readonly uuid: string) {
    super('ERR_TSAFS_SERVER_EXPIRED', `file server record ${uuid} expired`);
  }
}

/** The volume's VLDB entry listed no usable file server. */
export class VolumeNoServersError extends AfsRecordError {
  constructor(readonly volume: string) {
    super('ERR_TSAFS_VOLUME_NO_SERVERS', `volume ${volume} has no usable file servers`);
  }
}

/** A call timed out (used for GiveUpAllCallBacks and similar bounded housekeeping calls). */
export class RecordCallTimeoutError extends AfsRecordError {
  constructor(what: string) {
    super('ERR_TSAFS_CALL_TIMEOUT', `${what} timed out`);
  }
}

/** A ref/use count would go negative, or a freed record was used: a bug, never swallowed. */
export class RecordAccountingError extends AfsRecordError {
  constructor(message: string) {
    super('ERR_TSAFS_ACCOUNTING', message);
  }
}

export interface LeakedRecord {
  kind: string;
  id: string;
  ref: number;
  use: number;
  flags: string[];
  history: TraceEvent[];
}

/** close() timed out: these records were still alive. Timers and the socket were released anyway. */
export class RecordLeakError extends AfsRecordError {
  constructor(readonly records: LeakedRecord[]) {
    super(
      'ERR_TSAFS_RECORD_LEAK',
      `close timed out with ${records.length} record(s) alive: ${records
        .map((r) => `${r.kind} ${r.id} ref=${r.ref} use=${r.use} [${r.flags.join(',')}]`)
        .join('; ')}`,
    );
  }
}
