#!/bin/bash
# rgw-up.sh: starts a throw-away single-node Ceph cluster for the integration tests: one monitor,
# one OSD on memstore (objects live in RAM) and one radosgw (S3, IAM and STS), no mgr, no systemd,
# listening on 127.0.0.1 only, at ports that were free when it started.
#
# usage: rgw-up.sh [--stop-with-parent] DIR
#   DIR/s3.env     `export NAME=value` lines: S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                  AWS_DEFAULT_REGION, AWS_REGION, RGW_USER, CEPH_CONF (tests: LAKEINFRA_RGW_ENV)
#   DIR/ceph.conf  the cluster's configuration (radosgw-admin -c DIR/ceph.conf ...)
#   DIR/pids       "PID NAME" per daemon, in start order; rgw-down.sh DIR stops them
#   DIR/log/       the daemons' logs (NAME.out is stdout+stderr, the others are Ceph's own logs)
# --stop-with-parent: a watchdog runs rgw-down.sh DIR once this script's parent (ctest) has exited,
#   so an interrupted or killed test run leaves no daemons behind.
#
# Runs as root (as CI does). Every wait has a time limit. On failure it prints the tails of the
# logs, stops what it started and exits non-zero. A cluster still recorded in DIR (an interrupted
# earlier run) is stopped first.
#
# Pitfalls this encodes: radosgw defaults to ms_mon_client_mode=secure, which needs cephx, so with
# auth off its section sets `ms mon client mode = crc` (else "get_initial_auth_request returned
# -13" and it never connects); radosgw must stop before the cluster (rgw-down.sh does that);
# the OSD picks its own ports in Ceph's 6800-7300 range, so ours are chosen outside it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=rgw-up.sh
usage() { echo "usage: $PROG [--stop-with-parent] DIR" >&2; exit 2; }
stop_with_parent=0
[ "${1:-}" = --stop-with-parent ] && { stop_with_parent=1; shift; }
if [ $# -ne 1 ] || [ -z "$1" ]; then usage; fi
DIR=$(realpath -m "$1")
CONF="$DIR/ceph.conf"

# The test user. The keys are Ceph's own s3-tests keys: distinctive, and never valid anywhere else.
RGW_USER=lakeinfra-test
ACCESS_KEY=0555b35654ad1656d804
SECRET_KEY='h7GhxuBLTrlhVUyxSPUKUV8r/2EI4ngqJxD7iBdBYLhwluN30JaT3Q=='
REGION=us-east-1
# STS signs its session tokens with this key; RGW requires exactly 16 characters.
STS_KEY=abcdefghijklmnop

# Time limits in seconds (a cold start takes ~15 s on a 2-core machine).
MON_WAIT=${RGW_UP_MON_WAIT:-60}
OSD_WAIT=${RGW_UP_OSD_WAIT:-90}
RGW_WAIT=${RGW_UP_RGW_WAIT:-120}  # per attempt
RGW_TRIES=${RGW_UP_RGW_TRIES:-3}
CMD_WAIT=60  # any single ceph/radosgw-admin command
# radosgw's log level (Ceph's default 1/5); LAKEINFRA_RGW_DEBUG=10 logs how it checks signatures.
RGW_DEBUG=${LAKEINFRA_RGW_DEBUG:-1/5}

# fail MESSAGE: exits non-zero; on_exit prints the logs' tails, then MESSAGE again as the last
# line (CI shows the end of a failed test's output).
FAIL_REASON=
fail() {
  FAIL_REASON="$*"
  echo "$PROG: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "must run as root (the Ceph daemons are started directly, as in CI);" \
  "run it as root, or run 'sudo make rgw-up'"
for tool in ceph-mon monmaptool ceph-osd radosgw radosgw-admin ceph /usr/bin/python3 setsid timeout; do
  command -v "$tool" >/dev/null ||
    fail "$tool not found: install ceph-mon ceph-osd radosgw ceph-common ('make test-deps')"
done

start=$EPOCHREALTIME
elapsed() { awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# A cluster left by an interrupted run: stop it before reusing DIR.
if [ -e "$DIR/pids" ] || [ -e "$CONF" ]; then
  bash "$HERE/rgw-down.sh" "$DIR" >&2 || fail "could not stop the old cluster in $DIR"
fi
# Only what this script creates is removed: DIR itself may hold other things.
mkdir -p "$DIR"
rm -rf "${DIR:?}"/{mon,osd,run,log,rgw} "$CONF" "$CONF.base" "$DIR/monmap" "$DIR/s3.env" "$DIR/pids" "$DIR/watchdog.pid"
mkdir -p "$DIR"/{mon,osd,run,log,rgw}

on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return 0
  echo "$PROG: FAILED (exit $rc) after $(elapsed) s; the logs in $DIR/log end with:" >&2
  local f
  # radosgw's log last: it is the daemon that starts last and most often the one that failed.
  for f in "$DIR"/log/*; do
    [ -s "$f" ] && [[ "$f" != */client.rgw.r.log* ]] || continue
    echo "---- $f" >&2
    tail -n 25 "$f" >&2
  done
  for f in "$DIR"/log/client.rgw.r.log*; do
    [ -s "$f" ] || continue
    echo "---- $f" >&2
    tail -n 25 "$f" >&2
  done
  bash "$HERE/rgw-down.sh" "$DIR" >&2 || true
  echo "$PROG: FAILED after $(elapsed) s: ${FAIL_REASON:-exit $rc} (logs: $DIR/log)" >&2
  return "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$stop_with_parent" -eq 1 ]; then
  # Its own session, so that Ctrl-C reaches only ctest; the cluster is then stopped in order.
  # shellcheck disable=SC2016  # $1..$3 are the inner shell's arguments
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec bash "$2" "$3"' \
    rgw-watchdog "$PPID" "$HERE/rgw-down.sh" "$DIR" </dev/null >>"$DIR/log/watchdog.out" 2>&1 &
  echo $! >"$DIR/watchdog.pid"
fi

# pick_ports N: N distinct TCP ports that 127.0.0.1 can bind now, chosen at random outside the
# kernel's ephemeral range (used by outgoing connections) and outside Ceph's 6800-7300.
pick_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
ports = [p for p in range(10000, 60000) if not lo <= p <= hi and not 6800 <= p <= 7300]
random.shuffle(ports)
held = []
for p in ports or random.sample(range(10000, 60000), 2000):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    held.append(s)  # held until exit, so the N ports are distinct
    if len(held) == n:
        break
if len(held) < n:
    sys.exit("no free ports on 127.0.0.1")
print(" ".join(str(s.getsockname()[1]) for s in held))
PY
}

# start_daemon NAME COMMAND...: runs a foreground daemon in the background, in its own session
# (a Ctrl-C meant for the tests does not reach it), and records its PID.
start_daemon() {
  local name=$1
  shift
  setsid "$@" </dev/null >"$DIR/log/$name.out" 2>&1 &
  echo "$! $name" >>"$DIR/pids"
  LAST_PID=$!
}

# wait_until SECONDS WHAT PID CHECK...: runs CHECK until it succeeds; returns 1, with the reason
# in WAIT_ERR, once SECONDS have passed or the daemon PID has exited.
WAIT_ERR=
wait_until() {
  local limit=$1 what=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + limit))
  until "$@"; do
    if [ -z "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ]; then
      WAIT_ERR="$what: the daemon (pid $pid) has exited"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      WAIT_ERR="$what: not within $limit s"
      return 1
    fi
    sleep 0.3
  done
}

# stop_daemon PID NAME: SIGTERM, 10 s, SIGKILL; and forgets it in DIR/pids.
stop_daemon() {
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    [ -n "$(tr -d '\0' 2>/dev/null <"/proc/$pid/cmdline")" ] || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sed -i "/^$pid $name\$/d" "$DIR/pids"
}

ceph_cmd() { timeout "$CMD_WAIT" ceph -c "$CONF" --connect-timeout 5 "$@"; }
mon_answers() { timeout 10 ceph -c "$CONF" --connect-timeout 2 mon stat >/dev/null 2>&1; }
osd_is_up() { timeout 10 ceph -c "$CONF" --connect-timeout 2 osd stat 2>/dev/null | grep -q " 1 up"; }
rgw_answers() {  # an anonymous GET / is answered "200" (an empty bucket list)
  # shellcheck disable=SC2016  # $1 is the inner shell's argument
  timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3; head -c 12 <&3' _ "$1" 2>/dev/null |
    grep -q '^HTTP/1\.[01] 200'
}

read -r MON_PORT MON_PORT2 < <(pick_ports 2) || fail "cannot pick ports for the monitor"
[ -n "${MON_PORT2:-}" ] || fail "cannot pick ports for the monitor"

# The admin sockets are Unix sockets: their path must fit in 107 bytes, or they are left out.
admin_socket="$DIR/run/\$name.asok"
[ $((${#DIR} + 30)) -le 107 ] || admin_socket=""

fsid=$(cat /proc/sys/kernel/random/uuid)
cat >"$CONF" <<EOF
# Written by rgw-up.sh: a throw-away test cluster, 127.0.0.1 only, no authentication.
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT2,v1:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $admin_socket
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail crit = 0
mon data avail warn = 0
[mon.a]
mon data = $DIR/mon
[osd.0]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = 1073741824
osd class load list = *
osd class default list = *
EOF

# --- the monitor. Its addresses come from the initial monmap: `mon host` alone would name it
# "noname-a" and it would bind Ceph's default ports instead of ours.
timeout "$CMD_WAIT" monmaptool --create --fsid "$fsid" \
  --addv a "[v2:127.0.0.1:$MON_PORT2,v1:127.0.0.1:$MON_PORT]" "$DIR/monmap" \
  >"$DIR/log/mon-mkfs.out" 2>&1 || fail "monmaptool failed"
timeout "$CMD_WAIT" ceph-mon -c "$CONF" --id a --mkfs --monmap "$DIR/monmap" --keyring /dev/null \
  >>"$DIR/log/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed"
touch "$DIR/mon/keyring"
start_daemon ceph-mon ceph-mon -c "$CONF" --id a -f
wait_until "$MON_WAIT" "the monitor on 127.0.0.1:$MON_PORT2/$MON_PORT" "$LAST_PID" mon_answers ||
  fail "$WAIT_ERR"
mon_ready=$(elapsed)

# --- one OSD on memstore
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph_cmd osd new "$osd_uuid" 2>>"$DIR/log/setup.out") || fail "ceph osd new failed"
[ "$osd_id" = 0 ] || fail "expected osd.0 in a new cluster, got osd.$osd_id"
ceph_cmd osd crush add osd.0 1 root=default host=localhost >>"$DIR/log/setup.out" 2>&1 ||
  fail "ceph osd crush add failed"
timeout "$CMD_WAIT" ceph-osd -c "$CONF" --id 0 --mkfs --osd-uuid "$osd_uuid" \
  >"$DIR/log/osd-mkfs.out" 2>&1 || fail "ceph-osd --mkfs failed"
start_daemon ceph-osd ceph-osd -c "$CONF" --id 0 -f
wait_until "$OSD_WAIT" "osd.0 to come up" "$LAST_PID" osd_is_up || fail "$WAIT_ERR"
osd_ready=$(elapsed)

# --- radosgw (it creates its pools on first start); its port is chosen just before it binds.
# A start that does not answer in time is stopped and tried again on a new port: on a loaded CI
# machine a first start has once failed to answer, leaving nothing in its log to say why.
cp "$CONF" "$CONF.base"
for ((try = 1; ; try++)); do
  RGW_PORT=$(pick_ports 1) || fail "cannot pick a port for radosgw"
  cp "$CONF.base" "$CONF"
  cat >>"$CONF" <<EOF
[client.rgw.r]
# without this radosgw insists on cephx and never connects (see the top of rgw-up.sh)
ms mon client mode = crc
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $DIR/rgw
# STS: AssumeRole and temporary credentials (the key must be 16 characters). With it on, a bad
# signature is answered 403 AccessDenied (the STS engine's verdict), not SignatureDoesNotMatch.
rgw sts key = $STS_KEY
rgw s3 auth use sts = true
# 10 logs each request's canonical request and string to sign (for debugging a signer)
debug rgw = $RGW_DEBUG
EOF
  start_daemon radosgw radosgw -c "$CONF" -n client.rgw.r -f
  wait_until "$RGW_WAIT" "radosgw on 127.0.0.1:$RGW_PORT" "$LAST_PID" rgw_answers "$RGW_PORT" && break
  [ "$try" -lt "$RGW_TRIES" ] || fail "$WAIT_ERR (attempt $try of $RGW_TRIES)"
  echo "$PROG: $WAIT_ERR (attempt $try of $RGW_TRIES); its log ends with:" >&2
  tail -n 15 "$DIR/log/client.rgw.r.log" >&2 || true
  stop_daemon "$LAST_PID" radosgw
  mv "$DIR/log/client.rgw.r.log" "$DIR/log/client.rgw.r.log.$try" || true
done
rm -f "$CONF.base"
rgw_ready=$(elapsed)

# --- the S3 user; the caps let it call the IAM user and role APIs
for ((try_user = 1; ; try_user++)); do
  timeout "$CMD_WAIT" radosgw-admin -c "$CONF" user create --uid "$RGW_USER" \
    --display-name "lakeinfra integration tests" --access-key "$ACCESS_KEY" --secret "$SECRET_KEY" \
    --caps "roles=*;users=*;buckets=*" >"$DIR/log/user-create.out" 2>&1 && break
  [ "$try_user" -lt 3 ] || fail "radosgw-admin user create failed 3 times (log/user-create.out)"
  sleep 2
done

cat >"$DIR/s3.env.tmp" <<EOF
# Written by rgw-up.sh: the throw-away test RGW. Shell: . $DIR/s3.env
export S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY='$SECRET_KEY'
export AWS_DEFAULT_REGION=$REGION
export AWS_REGION=$REGION
export RGW_USER=$RGW_USER
export CEPH_CONF=$CONF
EOF
mv "$DIR/s3.env.tmp" "$DIR/s3.env"

echo "$PROG: ceph + radosgw ready at http://127.0.0.1:$RGW_PORT in $(elapsed) s" \
  "(monitor $mon_ready s, OSD $osd_ready s, radosgw $rgw_ready s at attempt $try;" \
  "mon ports $MON_PORT2/$MON_PORT)"
echo "$PROG: daemons: $(tr '\n' ' ' <"$DIR/pids")"
echo "$PROG: credentials: . $DIR/s3.env; stop: $HERE/rgw-down.sh $DIR"
