#!/bin/bash
# rgw-down.sh DIR: stops the cluster that rgw-up.sh started in DIR, in order: radosgw first (once
# the cluster is gone it hangs for up to 120 s on SIGTERM), then the OSD, then the monitor. Each
# gets SIGTERM and a grace period (RGW_DOWN_GRACE, 10 s), then SIGKILL.
#
# A process is stopped only when its command line names DIR/ceph.conf, so a PID recorded in
# DIR/pids that the system has since reused is never touched; a daemon missing from DIR/pids (the
# start script was killed between starting it and recording it) is found all the same.
# Idempotent: with nothing running it just succeeds. The logs in DIR/log and ceph.conf are kept.
set -uo pipefail

PROG=rgw-down.sh
if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $PROG DIR" >&2
  exit 2
fi
DIR=$(realpath -m "$1")
CONF="$DIR/ceph.conf"
GRACE=${RGW_DOWN_GRACE:-10}
start=$EPOCHREALTIME

# cmdline PID: the process's arguments joined by spaces; empty when it is gone or a zombie.
cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }
# ours PID: the process runs with DIR/ceph.conf.
ours() { [[ " $(cmdline "$1")" == *" $CONF "* ]]; }

# The watchdog rgw-up.sh --stop-with-parent left, unless it is the one running this script.
if [ -f "$DIR/watchdog.pid" ]; then
  read -r wpid <"$DIR/watchdog.pid" || wpid=
  if [ -n "$wpid" ] && [ "$wpid" != $$ ] && [[ "$(cmdline "$wpid")" == *rgw-watchdog*" $DIR "* ]]; then
    kill -KILL "$wpid" 2>/dev/null
  fi
  rm -f "$DIR/watchdog.pid"
fi

# Candidates: the recorded PIDs and every process whose command line names DIR/ceph.conf.
declare -A kind=()
if [ -f "$DIR/pids" ]; then
  while read -r pid name; do
    [[ "$pid" =~ ^[0-9]+$ ]] && kind[$pid]=${name:-?}
  done <"$DIR/pids"
fi
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  [ "$pid" != $$ ] && ours "$pid" && [ -z "${kind[$pid]:-}" ] && kind[$pid]=other
done
for pid in "${!kind[@]}"; do
  ours "$pid" || { unset "kind[$pid]"; continue; }
  # Name it by what it runs, whatever was recorded: radosgw, ceph-osd, ceph-mon or a client.
  case " $(cmdline "$pid")" in
    *" radosgw -c "* | */radosgw" -c "*) kind[$pid]=radosgw ;;
    *" ceph-osd -c "* | */ceph-osd" -c "*) kind[$pid]=ceph-osd ;;
    *" ceph-mon -c "* | */ceph-mon" -c "*) kind[$pid]=ceph-mon ;;
    *) kind[$pid]=client ;;
  esac
done

# stop PID NAME: SIGTERM, GRACE seconds, then SIGKILL (and at most 5 s more).
stop() {
  local pid=$1 name=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < GRACE * 10; i++)); do
    ours "$pid" || return 0
    sleep 0.1
  done
  echo "$PROG: $name (pid $pid) still running $GRACE s after SIGTERM: SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null
  for ((i = 0; i < 50; i++)); do
    ours "$pid" || return 0
    sleep 0.1
  done
  echo "$PROG: $name (pid $pid) survived SIGKILL" >&2
  return 1
}

rc=0
stopped=()
# Clients (a ceph or radosgw-admin call of an interrupted start) first, then radosgw, OSD, monitor.
for k in client radosgw ceph-osd ceph-mon; do
  for pid in "${!kind[@]}"; do
    [ "${kind[$pid]}" = "$k" ] || continue
    stop "$pid" "$k" || rc=1
    stopped+=("$k:$pid")
  done
done
# s3.env goes too: a test that reads it later fails clearly instead of calling a dead server.
[ "$rc" -eq 0 ] && rm -f "$DIR/pids" "$DIR/s3.env"
if [ ${#stopped[@]} -gt 0 ]; then
  echo "$PROG: stopped ${stopped[*]} in $(awk -v a="$start" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "%.1f", b - a }') s"
fi
exit "$rc"
