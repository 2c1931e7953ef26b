// Named trace points for every ref/use change, timer arm/fire, destroyer step and cell state change
// (the tsafs counterpart of kAFS's afs_server/afs_cell tracepoints). Events go to
// node:diagnostics_channel and into a bounded per-record ring used by leak reports.
//
// Channels: tsafs:net, tsafs:cell, tsafs:server, tsafs:volume. Each message is a TraceEvent.

import diagnosticsChannel from 'node:diagnostics_channel';

export type RecordKind = 'net' | 'cell' | 'server' | 'volume';

export const TRACE_CHANNELS: Readonly<Record<RecordKind, string>> = {
  net: 'tsafs:net',
  cell: 'tsafs:cell',
  server: 'tsafs:server',
  volume: 'tsafs:volume',
};

/** Reasons, by record kind. Ref/use changes start with get_/put_ or use_/unuse_. */
export type ServerTraceReason =
  | 'alloc'
  | 'use_lookup'
  | 'use_install'
  | 'use_call'
  | 'use_cm_call'
  | 'use_give_up_cb'
  | 'use_probe'
  | 'probe_start'
  | 'probe_done'
  | 'call_failed'
  | 'unuse_call'
  | 'unuse_cm_call'
  | 'unuse_give_up_cb'
  | 'unuse_probe'
  | 'unuse_slist'
  | 'unuse_slist_dup'
  | 'unuse_slist_fail'
  | 'unuse_lookup'
  | 'unuse_create_fail'
  | 'unuse_wait_fail'
  | 'put_wait_fail'
  | 'get_destroyer'
  | 'put_destroyer'
  | 'put_map'
  | 'put_candidate'
  | 'wait_create'
  | 'create_start'
  | 'create_ok'
  | 'create_fail'
  | 'timer_arm'
  | 'timer_cancel'
  | 'see_timer'
  | 'timer_shutdown'
  | 'queue_destroyer'
  | 'see_destroyer'
  | 'destroyer_in_use'
  | 'destroyer_not_expired'
  | 'expired'
  | 'give_up_cb'
  | 'give_up_cb_failed'
  | 'unbind_peers'
  | 'needs_update'
  | 'addr_update'
  | 'update_fail'
  | 'purge'
  | 'free';

export type CellTraceReason =
  | 'alloc'
  | 'use_lookup'
  | 'unuse_lookup'
  | 'use_user'
  | 'unuse_user'
  | 'get_server'
  | 'put_server'
  | 'get_volume'
  | 'put_volume'
  | 'put_remove'
  | 'get_manager'
  | 'put_manager'
  | 'state'
  | 'timer_arm'
  | 'see_timer'
  | 'manage'
  | 'remove_request'
  | 'remove_resurrected'
  | 'purge'
  | 'vl_refresh'
  | 'vl_refresh_fail'
  | 'free';

export type VolumeTraceReason =
  | 'alloc'
  | 'use_lookup'
  | 'use_user'
  | 'unuse_user'
  | 'unuse_lookup'
  | 'get_destroyer'
  | 'put_destroyer'
  | 'put_map'
  | 'put_candidate'
  | 'timer_arm'
  | 'see_timer'
  | 'timer_shutdown'
  | 'queue_destroyer'
  | 'destroyer_in_use'
  | 'expired'
  | 'needs_update'
  | 'update_same'
  | 'update_replace'
  | 'update_fail'
  | 'purge'
  | 'free';

export type NetTraceReason = 'close' | 'close_drained' | 'close_leak';

export type TraceReason = ServerTraceReason | CellTraceReason | VolumeTraceReason | NetTraceReason;

export interface TraceEvent {
  kind: RecordKind;
  /** Stable name of the record: server UUID, cell name, cell:volume id. */
  id: string;
  /** Unique per record instance (a cell re-created with the same name gets a new one). */
  debugId: number;
  reason: TraceReason;
  ref: number;
  use: number;
  at: number;
  note?: string;
}

const channels = {
  net: diagnosticsChannel.channel(TRACE_CHANNELS.net),
  cell: diagnosticsChannel.channel(TRACE_CHANNELS.cell),
  server: diagnosticsChannel.channel(TRACE_CHANNELS.server),
  volume: diagnosticsChannel.channel(TRACE_CHANNELS.volume),
};

export function publishTrace(event: TraceEvent): void {
  const ch = channels[event.kind];
  if (ch.hasSubscribers) ch.publish(event);
}

/** A bounded ring of the most recent events of one record. */
export class TraceRing {
  private readonly buf: TraceEvent[] = [];
  private next = 0;
  constructor(private readonly size: number) {}

  push(e: TraceEvent): void {
    if (this.size <= 0) return;
    if (this.buf.length < this.size) this.buf.push(e);
    else this.buf[this.next] = e;
    this.next = (this.next + 1) % this.size;
  }

  /** Oldest first. */
  toArray(): TraceEvent[] {
    if (this.buf.length < this.size) return this.buf.slice();
    return this.buf.slice(this.next).concat(this.buf.slice(0, this.next));
  }
}
