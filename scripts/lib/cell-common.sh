# Shared definitions and steps of scripts/cell (sourced, not run).
# shellcheck shell=bash

CELL=tsafs.test
REALM=TSAFS.TEST
ADDR=127.1.0.1
# ubik finds its own address through gethostbyname(gethostname()); bosserver runs in its own UTS
# namespace with this name, which /etc/hosts maps to ADDR. The machine's hostname stays untouched.
DBHOST=afsdb1.$CELL
MOUNT=/afs

CONFDIR=/etc/openafs            # client config (ThisCell, CellServDB) read by afsd.fuse, vos, afsio
SERVERDIR=/etc/openafs/server   # server config (KeyFile, CellServDB, NoAuth)
LOCALDIR=/var/lib/openafs/local # NetInfo, sysid, fssync sockets
DBDIR=/var/lib/openafs/db
BOSCONFIG=/etc/openafs/BosConfig
VICEP=/vicepa
CACHEDIR=/var/cache/openafs
LOGDIR=/var/log/openafs         # server logs (compiled-in on Debian) and ours
STATEDIR=/var/lib/tsafs-cell    # pid files and the setup marker of this script
KRB5CONF=$STATEDIR/krb5.conf
BUILDDIR="$REPO/.cell"
FIXTURE="$BUILDDIR/afsfix"
# Processes we start carry this in their environment; stop/recovery kill only those.
MARK=TSAFS_CELL_OWNER=scripts-cell

RW_VOLUME=tsafs.rw
RO_VOLUME=tsafs.ro
PRIVATE_VOLUME=tsafs.private
CACHE_BLOCKS=1500000 # 1.5 GB disk cache: the 256 MiB fixture file and friends fit

PKGS=(openafs-dbserver openafs-fileserver openafs-client openafs-krb5 openafs-fuse libopenafs-dev
  gcc make libc6-dev fuse dnsmasq-base litmus)

export KRB5_CONFIG=$KRB5CONF
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { printf '[cell %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# ---------------------------------------------------------------- packages

ensure_packages() {
  local missing=() p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Preseed so the client neither asks nor starts afsd, and no package starts a server.
  debconf-set-selections <<EOF
openafs-client openafs-client/thiscell string $CELL
openafs-client openafs-client/cachesize string 50000
openafs-client openafs-client/run-client boolean false
openafs-client openafs-client/afsdb boolean false
openafs-client openafs-client/crypt boolean false
openafs-client openafs-client/dynroot select Yes
openafs-client openafs-client/fakestat boolean true
openafs-client openafs-client/cell-info string
openafs-fileserver openafs-fileserver/thiscell string $CELL
openafs-fileserver openafs-fileserver/bosconfig_moveto boolean false
EOF
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\nexit 101\n' >$policy
    chmod +x $policy
    own_policy=1
  fi
  local rc=0
  {
    apt-get update -q &&
      apt-get install -y -q --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  } >"$LOGDIR_BOOT/apt.log" 2>&1 || rc=$?
  [ $own_policy -eq 1 ] && rm -f $policy
  [ $rc -eq 0 ] || die "apt-get failed (see $LOGDIR_BOOT/apt.log)"
}

# ---------------------------------------------------------------- processes we own

# pids of live processes carrying our mark (optionally only those whose exe matches $1).
owned_pids() {
  local pat="${1:-}" d pid exe comm cands=()
  # Only processes named like ours: reading the environment of a process stuck in a FUSE read
  # (state D) blocks, and comm never does. Then one grep over those (a grep per process is slow).
  for d in /proc/[0-9]*; do
    read -r comm <"$d/comm" 2>/dev/null || continue
    case "$comm" in
    bosserver | ptserver | vlserver | dafileserver | davolserver | salvageserver | dasalvager | afsd.fuse | sh | unshare)
      cands+=("$d/environ")
      ;;
    esac
  done
  [ ${#cands[@]} -gt 0 ] || return 0
  for d in $(grep -lzxF "$MARK" "${cands[@]}" 2>/dev/null); do
    d=${d%/environ}
    pid=${d#/proc/}
    [ "$pid" = "$$" ] && continue
    if [ -n "$pat" ]; then
      exe=$(readlink "$d/exe" 2>/dev/null || true)
      [[ "$exe" == *"$pat"* ]] || continue
    fi
    echo "$pid"
  done
}

kill_owned() {
  local pids
  pids=$(owned_pids "${1:-}" | tr '\n' ' ')
  [ -z "${pids// /}" ] && return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    pids=$(for p in $pids; do if [ -d "/proc/$p" ]; then echo "$p"; fi; done | tr '\n' ' ')
    [ -z "${pids// /}" ] && return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.2
}

bos_running() { [ -n "$(owned_pids /bosserver)" ]; }
fuse_running() { [ -n "$(owned_pids /afsd.fuse)" ]; }

# "mounted" per the kernel's table, whether or not its daemon is alive
afs_in_mounttab() { awk -v m="$MOUNT" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }
afs_mount_healthy() { afs_in_mounttab && timeout 10 ls "$MOUNT/$CELL/" >/dev/null 2>&1; }

# A dead FUSE daemon leaves "Transport endpoint is not connected" until a lazy unmount.
unmount_afs() {
  afs_in_mounttab || return 0
  umount -l "$MOUNT" 2>/dev/null || fusermount -uz "$MOUNT" 2>/dev/null || true
}

# ---------------------------------------------------------------- configuration

write_config() {
  mkdir -p "$SERVERDIR" "$LOCALDIR" "$DBDIR" "$LOGDIR" "$STATEDIR" "$VICEP" "$CACHEDIR" "$CONFDIR"
  chmod 700 "$LOCALDIR" "$DBDIR"
  touch "$VICEP/AlwaysAttach"
  echo "$CELL" >"$SERVERDIR/ThisCell"
  echo "$CELL" >"$CONFDIR/ThisCell"
  # Only the test cell: no tool may wander to a public cell.
  printf '>%s\t#tsafs loopback test cell\n%s\t#%s\n' "$CELL" "$ADDR" "$DBHOST" >"$SERVERDIR/CellServDB"
  cp "$SERVERDIR/CellServDB" "$CONFDIR/CellServDB"
  # "f" accepts an address that is not an interface address; no NetRestrict.
  echo "f $ADDR" >"$LOCALDIR/NetInfo"
  rm -f "$LOCALDIR/NetRestrict"
  grep -qE "^$ADDR[[:space:]]+$DBHOST\b" /etc/hosts || printf '%s\t%s\n' "$ADDR" "$DBHOST" >>/etc/hosts
  echo "$REALM" >"$SERVERDIR/krb.conf"
  cat >"$KRB5CONF" <<EOF
# Written by tsafs scripts/cell: every Kerberos lookup stays on loopback, no DNS.
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$REALM = {
		kdc = $ADDR
	}
[domain_realm]
	.$CELL = $REALM
	$CELL = $REALM
EOF
  # /etc/krb5.conf too, unless someone else's is there.
  if [ ! -e /etc/krb5.conf ] || grep -q 'tsafs scripts/cell' /etc/krb5.conf; then
    cp "$KRB5CONF" /etc/krb5.conf
  fi
  echo "$MOUNT:$CACHEDIR:$CACHE_BLOCKS" >"$CONFDIR/cacheinfo"
  # Debian's client init script must not start a kernel afsd behind our back.
  [ -f "$CONFDIR/afs.conf.client" ] && sed -i 's/^AFS_CLIENT=.*/AFS_CLIENT=false/' "$CONFDIR/afs.conf.client"
  write_keyfile
  write_bosconfig
}

# The cell's DES key; every byte odd parity, or ticket minting fails silently and -localauth
# falls back to unauthenticated.
write_keyfile() {
  # only the rxkad (DES) key counts: scripts/kdc adds rxkad_krb5 keys of its own
  if asetkey list 2>/dev/null | grep -qE '^rxkad[[:space:]]+kvno'; then return 0; fi
  local hex="" b i
  for i in $(od -An -tu1 -N8 /dev/urandom); do
    b=$((i & 0xfe))
    local ones=0 x=$b
    while [ $x -gt 0 ]; do
      ones=$((ones + (x & 1)))
      x=$((x >> 1))
    done
    [ $((ones % 2)) -eq 0 ] && b=$((b | 1))
    hex+=$(printf '%02x' $b)
  done
  asetkey add 1 "$hex" >/dev/null
  log "new cell key in $SERVERDIR/KeyFile"
}

# Rewritten on every cold start: the file server is held stopped until ubik has quorum (it would
# otherwise sleep 30 s), and KTIME_NEVER (16) disables the weekly restarts.
write_bosconfig() {
  cat >"$BOSCONFIG" <<EOF
restrictmode 0
restarttime 16 0 0 0 0
checkbintime 16 0 0 0 0
bnode simple ptserver 1
parm /usr/lib/openafs/ptserver -rxbind
end
bnode simple vlserver 1
parm /usr/lib/openafs/vlserver -rxbind
end
bnode dafs dafs 0
parm /usr/lib/openafs/dafileserver -rxbind -L -cb 200000
parm /usr/lib/openafs/davolserver -rxbind
parm /usr/lib/openafs/salvageserver
parm /usr/lib/openafs/dasalvager
end
EOF
}

# ---------------------------------------------------------------- waiting

# wait_for <seconds> <description> <command...>
wait_for() {
  local secs=$1 what=$2 t0=$SECONDS
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - t0)) -ge "$secs" ] && die "timed out after ${secs}s waiting for $what"
    sleep 0.3
  done
  [ $((SECONDS - t0)) -ge 2 ] && log "waited $((SECONDS - t0))s for $what"
  return 0
}

ubik_quorum() { udebug "$ADDR" "$1" 2>/dev/null | grep -q 'Recovery state 1f'; }
fs_registered() { vos listaddrs -noresolve -localauth 2>/dev/null | grep -qx "$ADDR"; }
partition_up() { vos listpart "$ADDR" -localauth 2>/dev/null | grep -q "/vicepa"; }
dafs_running() { bos status "$ADDR" dafs -localauth 2>/dev/null | grep -q 'currently running normally'; }

# ---------------------------------------------------------------- fixture build

build_fixture() {
  mkdir -p "$BUILDDIR"
  make -s -C "$REPO/fixtures" OUT="$BUILDDIR" >"$BUILDDIR/build.log" 2>&1 ||
    die "fixture build failed: $(tail -20 "$BUILDDIR/build.log")"
}

# After an unclean stop the demand-attach file server salvages each volume on first use and
# answers VSALVAGING/VBUSY meanwhile (libafscp reports that as a failure): retry for a while.
# Exit 3 (no such object) is definitive and returned as is.
fix() {
  local i out rc
  for i in $(seq 1 40); do
    rc=0
    out=$("$FIXTURE" "$@" 2>"$STATEDIR/afsfix.err") || rc=$?
    [ $rc -eq 0 ] && printf '%s\n' "$out"
    [ $rc -eq 0 ] || [ $rc -eq 3 ] && return $rc
    sleep 0.5
  done
  cat "$STATEDIR/afsfix.err" >&2
  die "afsfix $* kept failing"
}

# ---------------------------------------------------------------- volumes, users, tree

vol_exists() { vos examine "$1" -localauth >/dev/null 2>&1; }

ensure_volume() {
  vol_exists "$1" && return 0
  log "creating volume $1"
  vos create "$ADDR" a "$1" -maxquota 0 -localauth >/dev/null
}

ensure_replica() {
  local v=$1
  if ! vos examine "$v" -localauth 2>/dev/null | grep -q 'RO Site'; then
    vos addsite "$ADDR" a "$v" -localauth >/dev/null
  fi
}

release() {
  log "releasing $1"
  vos release "$1" -localauth >/dev/null
}

ensure_admin() {
  pts examine admin -localauth >/dev/null 2>&1 || pts createuser admin -localauth >/dev/null
  pts membership admin -localauth 2>/dev/null | grep -q 'system:administrators' ||
    pts adduser admin system:administrators -localauth >/dev/null
  bos listusers "$ADDR" -localauth 2>/dev/null | grep -qw admin || bos adduser "$ADDR" admin -localauth >/dev/null
}

# Idempotent: every fixture step checks before it changes, so a half-done earlier run completes.
setup_tree() {
  # changed_*: the RW volume differs from its released RO now
  local changed_cell=0 changed_afs=0 out
  ensure_admin
  for v in root.afs root.cell $RW_VOLUME $RO_VOLUME $PRIVATE_VOLUME; do ensure_volume "$v"; done
  for v in root.afs root.cell $RO_VOLUME; do ensure_replica "$v"; done

  out=$(fix setacl "$CELL:root.afs:/" system:anyuser rl system:administrators rlidwka)
  [ "$out" = unchanged ] || changed_afs=1
  out=$(fix mkmount "$CELL:root.afs:/$CELL" "#$CELL:root.cell.")
  [ "$out" = exists ] || changed_afs=1
  out=$(fix mkmount "$CELL:root.afs:/.$CELL" "%$CELL:root.cell.")
  [ "$out" = exists ] || changed_afs=1

  out=$(fix setacl "$CELL:root.cell:/" system:anyuser rl system:administrators rlidwka)
  [ "$out" = unchanged ] || changed_cell=1
  out=$(fix mkmount "$CELL:root.cell:/rw" "#$RW_VOLUME.")
  [ "$out" = exists ] || changed_cell=1
  out=$(fix mkmount "$CELL:root.cell:/ro" "#$RO_VOLUME.")
  [ "$out" = exists ] || changed_cell=1
  out=$(fix mkmount "$CELL:root.cell:/private" "#$PRIVATE_VOLUME.")
  [ "$out" = exists ] || changed_cell=1

  # Anyone, including anonymous rxnull callers, may write here.
  fix setacl "$CELL:$RW_VOLUME:/" system:anyuser rlidwk system:administrators rlidwka >/dev/null
  fix setacl "$CELL:$PRIVATE_VOLUME:/" system:administrators rlidwka >/dev/null
  local changed_ro=0 rc=0
  out=$(fix setacl "$CELL:$RO_VOLUME:/" system:anyuser rl system:administrators rlidwka)
  [ "$out" = unchanged ] || changed_ro=1
  fix stat "$CELL:$RO_VOLUME:/hello.txt" >/dev/null || rc=$?
  if [ $rc -eq 3 ]; then
    fix write "$CELL:$RO_VOLUME:/hello.txt" 1413 1 >/dev/null
    changed_ro=1
  fi

  if [ "$changed_afs" = 1 ] || ! ro_released root.afs; then release root.afs; fi
  if [ "$changed_cell" = 1 ] || ! ro_released root.cell; then release root.cell; fi
  if [ "$changed_ro" = 1 ] || ! ro_released $RO_VOLUME; then release $RO_VOLUME; fi
}

# A released RO has a readonly volume on disk and no "Not released"/"New release" flags.
ro_released() {
  local ex
  ex=$(vos examine "$1" -localauth 2>/dev/null) || return 1
  echo "$ex" | grep -q 'RO Site' || return 1
  ! echo "$ex" | grep -qiE 'not released|new release|old release' &&
    vos examine "$1.readonly" -localauth >/dev/null 2>&1
}

# ---------------------------------------------------------------- FUSE referee

start_fuse() {
  [ -e /dev/fuse ] || {
    log "no /dev/fuse: /afs not mounted"
    return 0
  }
  if fuse_running && afs_mount_healthy; then return 0; fi
  kill_owned /afsd.fuse
  unmount_afs
  mkdir -p "$MOUNT" "$CACHEDIR"
  log "mounting $CELL at $MOUNT with afsd.fuse"
  # It daemonizes itself (afsd's switch parser swallows FUSE's -f); our mark in its
  # environment is how stop finds it.
  env "$MARK" setsid /usr/sbin/afsd.fuse -dynroot -fakestat -confdir "$CONFDIR" -cachedir "$CACHEDIR" \
    -blocks $CACHE_BLOCKS -files 8192 -chunksize 20 -stat 20000 -mountdir "$MOUNT" -nosettime \
    </dev/null >>"$LOGDIR/afsd.fuse.log" 2>&1 9>&- &
  wait_for 60 "the $MOUNT FUSE mount" afs_mount_healthy
}

# ---------------------------------------------------------------- commands

cell_start() {
  [ "$(id -u)" -eq 0 ] || die "scripts/cell start must run as root"
  LOGDIR_BOOT=$STATEDIR
  mkdir -p "$STATEDIR" "$LOGDIR"
  ensure_packages

  # Fast path: everything already up and set up.
  if bos_running && [ -f "$STATEDIR/setup-done" ] && ubik_quorum 7003 && dafs_running &&
    { [ ! -e /dev/fuse ] || { fuse_running && afs_mount_healthy; }; } && s2_ready; then
    build_fixture
    run_kdc_hook
    s2_sync_config
    log "cell $CELL already running"
    return 0
  fi

  if ! bos_running; then
    # Whatever a killed session left: orphaned servers, stale sockets and pid files.
    kill_owned
    unmount_afs
    rm -f /var/run/openafs/*.pid "$LOCALDIR"/fssync.sock "$LOCALDIR"/salvsync.sock 2>/dev/null || true
    write_config
    log "starting bosserver (hostname $DBHOST in its own UTS namespace)"
    env "$MARK" setsid unshare --uts sh -c "hostname $DBHOST && exec /usr/sbin/bosserver -noauth -rxbind -nofork" \
      </dev/null >>"$LOGDIR/bosserver.out" 2>&1 9>&- &
  fi
  wait_for 60 "bosserver" bos status "$ADDR" -localauth
  wait_for 90 "ubik quorum on the vlserver" ubik_quorum 7003
  wait_for 90 "ubik quorum on the ptserver" ubik_quorum 7002
  # Server 2's file server registers with the VLDB as it starts: only once there is quorum.
  s2_spawn
  if ! dafs_running; then
    bos start "$ADDR" dafs -localauth >/dev/null
  fi
  wait_for 120 "the file server" dafs_running
  wait_for 120 "the file server's address in the VLDB" fs_registered
  wait_for 60 "the /vicepa partition" partition_up
  build_fixture
  log "checking volumes, ACLs and mount points"
  setup_tree
  touch "$STATEDIR/setup-done"
  s2_wait
  log "checking server 2's volumes"
  s2_setup_volumes
  touch "$STATEDIR/setup2-done"
  wait_for 120 "server 2's volumes on-line" s2_volumes_online
  start_fuse
  run_kdc_hook
  s2_sync_config
  log "cell $CELL is up on $ADDR and $ADDR2"
}

run_kdc_hook() {
  # fd 9 is scripts/cell's lock: daemons must not inherit it, or they hold it forever
  if [ -f "$REPO/scripts/kdc" ]; then bash "$REPO/scripts/kdc" start 9>&-; fi
}

cell_stop() {
  if [ -f "$REPO/scripts/kdc" ]; then bash "$REPO/scripts/kdc" stop 9>&- || true; fi
  if fuse_running || afs_in_mounttab; then log "unmounting $MOUNT"; fi
  # Unmount first, so afsd.fuse exits cleanly; then make sure it is gone.
  if afs_in_mounttab && fuse_running; then umount "$MOUNT" 2>/dev/null || true; fi
  kill_owned /afsd.fuse
  unmount_afs
  s2_stop
  if bos_running; then
    log "stopping servers"
    timeout 60 bos shutdown "$ADDR" -localauth -wait >/dev/null 2>&1 || true
  fi
  kill_owned
  log "cell stopped"
}

cell_reset() {
  cell_stop
  log "wiping cell state"
  rm -rf "${DBDIR:?}"/* "$VICEP" "${CACHEDIR:?}"/* "$STATEDIR" "$SERVERDIR/KeyFile" "$SERVERDIR/KeyFileExt" \
    "$LOCALDIR"/sysid* "$LOCALDIR"/*.sock "$BOSCONFIG"
}

cell_status() {
  local ok=0
  printf 'cell      %s on %s\n' "$CELL" "$ADDR"
  printf 'bosserver %s\n' "$(bos_running && echo "running (pid $(owned_pids /bosserver | head -1))" || echo 'not running')"
  if bos_running; then
    bos status "$ADDR" -localauth 2>&1 | sed 's/^/          /' || ok=1
    local q
    for q in 7002 7003; do
      printf 'ubik %s %s\n' "$q" "$(ubik_quorum $q && echo quorum || echo 'NO quorum')"
      ubik_quorum $q || ok=1
    done
    printf 'vldb      file server %s\n' "$(fs_registered && echo registered || echo 'NOT registered')"
    fs_registered || ok=1
  else
    ok=1
  fi
  if [ -e /dev/fuse ]; then
    if fuse_running && afs_mount_healthy; then
      printf 'mount     %s (afsd.fuse pid %s)\n' "$MOUNT" "$(owned_pids /afsd.fuse | head -1)"
    elif afs_in_mounttab; then
      printf 'mount     %s DEAD (start recovers it)\n' "$MOUNT"
      ok=1
    else
      printf 'mount     %s not mounted\n' "$MOUNT"
      ok=1
    fi
  else
    printf 'mount     none (/dev/fuse missing)\n'
  fi
  cell_server2 status || ok=1
  printf 'logs      %s\n' "$LOGDIR"
  return $ok
}

cell_env() {
  sed 's/^/export /' <<EOF
AFS_CELL=$CELL
AFS_REALM=$REALM
AFS_ADDR=$ADDR
AFS_MOUNT=$MOUNT
AFS_RW_DIR=$MOUNT/$CELL/rw
AFS_RO_DIR=$MOUNT/$CELL/ro
AFS_PRIVATE_DIR=$MOUNT/$CELL/private
AFS_RW_VOLUME=$RW_VOLUME
AFS_RO_VOLUME=$RO_VOLUME
AFS_PRIVATE_VOLUME=$PRIVATE_VOLUME
AFS_ROOT_VOLUME=root.cell
AFS_CONFDIR=$CONFDIR
AFS_CELLSERVDB=$CONFDIR/CellServDB
AFS_THISCELL=$CONFDIR/ThisCell
AFS_SERVER_CONFDIR=$SERVERDIR
AFS_KEYFILE=$SERVERDIR/KeyFile
AFS_FIXTURE=$FIXTURE
AFS_LOGDIR=$LOGDIR
KRB5_CONFIG=$KRB5CONF
AFS_ADDR2=$ADDR2
AFS_REP_VOLUME=$REP_VOLUME
AFS_REP_DIR=$MOUNT/$CELL/rep
AFS_REP_FILE=$REP_FILE
AFS_REP_SIZE=$REP_SIZE
AFS_REP_SHA256=$(cat "$REP_SHA" 2>/dev/null || true)
AFS_SOLO2_VOLUME=$SOLO2_VOLUME
AFS_SOLO2_DIR=$MOUNT/$CELL/solo2
EOF
  if [ -f "$REPO/scripts/kdc" ]; then bash "$REPO/scripts/kdc" env; fi
}
