# The cell's second file server (sourced by scripts/cell after cell-common.sh, not run).
# A bosserver + dafs at ADDR2 in its own mount and UTS namespace: its own /etc/openafs (copies of
# the cell's config and keys), /var/lib/openafs/{local,db}, /var/log/openafs, its own /vicepb, and
# an empty cover over /vicepa, since two file servers attaching one partition lose data. Its
# volumes: REP_VOLUME (RW on server 1, RO sites on both, a 64 MiB file of known content) and
# SOLO2_VOLUME (RW, only on server 2), so clients can be shown failing over and failing cleanly.
# shellcheck shell=bash

ADDR2=127.1.0.2
FSHOST2=afsfs2.$CELL
S2DIR=$STATEDIR/server2 # its config, local state and partition; a cell reset wipes it with the VLDB
S2LOGDIR=$LOGDIR/server2
S2VICEP=/vicepb
# Server 2's processes carry this instead of MARK, so nothing done to server 1 touches them.
MARK2=TSAFS_CELL_OWNER=scripts-cell-server2

REP_VOLUME=tsafs.rep
REP_FILE=big64
REP_SIZE=$((64 << 20))
REP_SEED=64
REP_SHA=$STATEDIR/rep.sha256 # what afsfix (libafscp) wrote, for tests to compare against
SOLO2_VOLUME=tsafs.solo2

DAFS_CMDS=("/usr/lib/openafs/dafileserver -rxbind -L -cb 200000" "/usr/lib/openafs/davolserver -rxbind"
  /usr/lib/openafs/salvageserver /usr/lib/openafs/dasalvager)

s2_pids() { MARK=$MARK2 owned_pids "${1:-}"; }
s2_kill_all() { MARK=$MARK2 kill_owned; }
s2_bos_running() { [ -n "$(s2_pids /bosserver)" ]; }
s2_dafs_running() { bos status "$ADDR2" dafs -localauth 2>/dev/null | grep -q 'currently running normally'; }
s2_registered() { vos listaddrs -noresolve -localauth 2>/dev/null | grep -qx "$ADDR2"; }
s2_partition_up() { vos listpart "$ADDR2" -localauth 2>/dev/null | grep -q "$S2VICEP"; }

# Signal server 2's processes whose executable path contains one of the given names.
s2_signal() {
  local sig=$1 name pids=""
  shift
  for name in "$@"; do pids+=" $(s2_pids "$name" | tr '\n' ' ')"; done
  # shellcheck disable=SC2086
  [ -z "${pids// /}" ] || kill "-$sig" $pids 2>/dev/null || true
}

s2_write_config() {
  mkdir -p "$S2DIR/etc/server" "$S2DIR/local" "$S2DIR/db" "$S2DIR/cover" "$S2DIR/vicepb" "$S2LOGDIR" "$S2VICEP"
  chmod 700 "$S2DIR/local" "$S2DIR/db"
  # On the root file system a partition is attached only with AlwaysAttach; the cover has none.
  touch "$S2DIR/vicepb/AlwaysAttach"
  rm -f "$S2DIR/cover/AlwaysAttach"
  echo "f $ADDR2" >"$S2DIR/local/NetInfo"
  grep -qE "^$ADDR2[[:space:]]+$FSHOST2\b" /etc/hosts || printf '%s\t%s\n' "$ADDR2" "$FSHOST2" >>/etc/hosts
  # Like server 1's BosConfig: no weekly restarts. The dafs bnode is added by bos create.
  [ -f "$S2DIR/etc/BosConfig" ] || printf 'restrictmode 0\nrestarttime 16 0 0 0 0\ncheckbintime 16 0 0 0 0\n' \
    >"$S2DIR/etc/BosConfig"
  s2_sync_config
}

# Copies of the cell's configuration and keys; scripts/kdc adds keys to KeyFileExt after server 1
# is up, so this runs again at the end of every start. The servers notice a changed KeyFile.
s2_sync_config() {
  [ -d "$S2DIR/etc/server" ] || return 0
  local f
  for f in ThisCell CellServDB KeyFile KeyFileExt krb.conf; do
    [ -f "$SERVERDIR/$f" ] || continue
    cmp -s "$SERVERDIR/$f" "$S2DIR/etc/server/$f" || cp -p "$SERVERDIR/$f" "$S2DIR/etc/server/$f"
  done
  for f in ThisCell CellServDB; do
    cmp -s "$CONFDIR/$f" "$S2DIR/etc/$f" || cp -p "$CONFDIR/$f" "$S2DIR/etc/$f"
  done
}

# Start server 2's bosserver unless it runs; bosserver then starts dafs itself (BosConfig).
s2_spawn() {
  s2_bos_running && return 0
  # A hard-killed bosserver leaves its children (volserver, salvageserver) holding their ports.
  s2_kill_all
  rm -f "$S2DIR/local/fssync.sock" "$S2DIR/local/salvsync.sock"
  s2_write_config
  log "starting server 2 on $ADDR2 (own mount + UTS namespace, hostname $FSHOST2)"
  # The namespace lives as long as its processes: a killed session leaves no mounts behind.
  env "$MARK2" setsid unshare --mount --uts --propagation private sh -ec "
    mount --bind '$S2DIR/etc' $CONFDIR
    mount --bind '$S2DIR/local' $LOCALDIR
    mount --bind '$S2DIR/db' $DBDIR
    mount --bind '$S2LOGDIR' $LOGDIR
    mount --bind '$S2DIR/cover' $VICEP
    mount --bind '$S2DIR/vicepb' $S2VICEP
    umount -l $MOUNT 2>/dev/null || true
    hostname $FSHOST2
    exec /usr/sbin/bosserver -rxbind -nofork" </dev/null >>"$S2LOGDIR/bosserver.out" 2>&1 9>&- &
}

# Wait until server 2's file server runs, is in the VLDB and has its partition.
s2_wait() {
  wait_for 60 "server 2's bosserver" bos status "$ADDR2" -localauth
  # (bos status exits 0 for an unknown instance too)
  if ! bos status "$ADDR2" dafs -localauth 2>/dev/null | grep -q 'Instance dafs'; then
    log "creating the dafs instance on $ADDR2"
    bos create "$ADDR2" dafs dafs "${DAFS_CMDS[@]}" -localauth >/dev/null
  fi
  s2_dafs_running || bos start "$ADDR2" dafs -localauth >/dev/null
  wait_for 120 "server 2's file server" s2_dafs_running
  wait_for 120 "server 2's address in the VLDB" s2_registered
  wait_for 60 "server 2's $S2VICEP partition" s2_partition_up
}

# After a crash the demand-attach server salvages a volume on first use: wait until server 2
# lists its volumes on-line, so a test starting next finds it serving.
s2_volumes_online() {
  local out
  out=$(vos listvol "$ADDR2" b -localauth 2>/dev/null) || return 1
  echo "$out" | grep -q "$REP_VOLUME.readonly .*On-line" && echo "$out" | grep -q "$SOLO2_VOLUME .*On-line"
}

# Volumes, the known file and mount points; each step checks before it changes.
s2_setup_volumes() {
  local changed_cell=0 changed_rep=0 out rc=0
  if ! vol_exists $REP_VOLUME; then
    log "creating volume $REP_VOLUME"
    vos create "$ADDR" a $REP_VOLUME -maxquota 0 -localauth >/dev/null
  fi
  local ex
  ex=$(vos examine $REP_VOLUME -localauth -noresolve 2>/dev/null || true)
  echo "$ex" | grep -qE "server $ADDR partition /vicepa RO Site" ||
    vos addsite "$ADDR" a $REP_VOLUME -localauth >/dev/null
  echo "$ex" | grep -qE "server $ADDR2 partition $S2VICEP RO Site" ||
    vos addsite "$ADDR2" b $REP_VOLUME -localauth >/dev/null
  if ! vol_exists $SOLO2_VOLUME; then
    log "creating volume $SOLO2_VOLUME on $ADDR2"
    vos create "$ADDR2" b $SOLO2_VOLUME -maxquota 0 -localauth >/dev/null
  fi

  out=$(fix setacl "$CELL:$REP_VOLUME:/" system:anyuser rl system:administrators rlidwka)
  [ "$out" = unchanged ] || changed_rep=1
  fix stat "$CELL:$REP_VOLUME:/$REP_FILE" >/dev/null || rc=$?
  if [ $rc -eq 3 ] || [ ! -s "$REP_SHA" ]; then
    log "writing the $((REP_SIZE >> 20)) MiB file $REP_VOLUME:/$REP_FILE"
    out=$(fix write "$CELL:$REP_VOLUME:/$REP_FILE" $REP_SIZE $REP_SEED)
    sed -n 's/.*sha256=\([0-9a-f]\{64\}\).*/\1/p' <<<"$out" >"$REP_SHA"
    [ -s "$REP_SHA" ] || die "afsfix write printed no sha256: $out"
    changed_rep=1
  fi
  fix setacl "$CELL:$SOLO2_VOLUME:/" system:anyuser rlidwk system:administrators rlidwka >/dev/null

  out=$(fix mkmount "$CELL:root.cell:/rep" "#$REP_VOLUME.")
  [ "$out" = exists ] || changed_cell=1
  out=$(fix mkmount "$CELL:root.cell:/solo2" "#$SOLO2_VOLUME.")
  [ "$out" = exists ] || changed_cell=1

  if [ "$changed_rep" = 1 ] || ! ro_released $REP_VOLUME; then release $REP_VOLUME; fi
  if [ "$changed_cell" = 1 ] || ! ro_released root.cell; then release root.cell; fi
}

s2_start() {
  s2_spawn
  s2_wait
  wait_for 120 "server 2's volumes on-line" s2_volumes_online
}

s2_stop() {
  # stopped processes can neither shut down nor take a TERM
  s2_signal CONT /
  if s2_bos_running; then
    log "stopping server 2"
    timeout 60 bos shutdown "$ADDR2" -localauth -wait >/dev/null 2>&1 || true
  fi
  s2_kill_all
}

s2_ready() {
  s2_bos_running && [ -f "$STATEDIR/setup2-done" ] && s2_dafs_running && s2_volumes_online
}

# scripts/cell server2 start|stop|kill|sigstop|sigcont|status: faults for tests.
cell_server2() {
  case "${1:-status}" in
  start)
    s2_start
    # the volumes exist only once a cell start has run with this script
    [ -f "$STATEDIR/setup2-done" ] || log "server 2 up; run scripts/cell start to create its volumes"
    ;;
  stop) s2_stop ;;
  # what a crash leaves: the salvageserver may survive, holding the ports start frees
  kill) s2_signal KILL /bosserver /dafileserver /davolserver ;;
  sigstop) s2_signal STOP / ;;
  sigcont) s2_signal CONT / ;;
  status)
    local pids
    pids=$(s2_pids | tr '\n' ' ')
    printf 'server 2  %s pids: %s\n' "$ADDR2" "${pids:-none}"
    s2_bos_running && bos status "$ADDR2" -localauth 2>&1 | sed 's/^/          /'
    s2_volumes_online && echo 'volumes   on-line' || {
      echo 'volumes   NOT on-line'
      return 1
    }
    ;;
  *)
    echo "usage: scripts/cell server2 start|stop|kill|sigstop|sigcont|status" >&2
    exit 2
    ;;
  esac
}
