// TEST-ONLY switches that re-introduce the kAFS faults named in issue 5 / kafs-design.md §2.8, so
// the simulation can show its checks bite. Never set outside tests; not exported from the package.

export interface RecordFaults {
  /** A waiter on a failed creation drops only its ref, leaking its use. */
  waiterDropsOnlyRef: boolean;
  /** The creation failure path leaves the record looking created. */
  failureMarksCreated: boolean;
  /** A candidate that lost the insertion race frees the winner's state instead of its own. */
  loserFreesWinner: boolean;
  /** The end of an RPC drops the last use without arming the GC timer (kAFS unuse_notime). */
  unuseWithoutTimer: boolean;
  /** The destroyer's expiry test as kAFS literally reads: "net live or cell removing → expired". */
  invertedExpiry: boolean;
  /** An address change binds the new peers but leaves the dropped ones mapped to the record. */
  stalePeerMapping: boolean;
}

export const __faults: RecordFaults = {
  waiterDropsOnlyRef: false,
  failureMarksCreated: false,
  loserFreesWinner: false,
  unuseWithoutTimer: false,
  invertedExpiry: false,
  stalePeerMapping: false,
};

export function resetFaults(): void {
  for (const k of Object.keys(__faults) as (keyof RecordFaults)[]) __faults[k] = false;
}
