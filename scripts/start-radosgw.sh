#!/usr/bin/env bash
# A throwaway single-node Ceph (Debian 12: ceph 16.2.15 "pacific"): one mon, one memstore OSD (RAM only)
# and radosgw (beast) on 127.0.0.1. Used by the cloud tests and benchmarks; based on
# ../shared/storage/start-radosgw.sh (FINDINGS §5), plus a stop command and a configurable mon port.
#
# Needs: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd
# Usage: start-radosgw.sh start DIR [PORT=7480] [MON_PORT=6789]
#          -> S3 endpoint http://127.0.0.1:PORT, access key "test", secret "testsecret"
#        start-radosgw.sh stop DIR      (kills the daemons started in DIR and removes DIR)
set -euo pipefail
CMD=${1:-}; D=${2:-}
if [ -z "$CMD" ] || [ -z "$D" ]; then echo "usage: $0 start|stop DIR [PORT] [MON_PORT]" >&2; exit 2; fi

if [ "$CMD" = stop ]; then
  for f in "$D"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for i in $(seq 1 50); do
    alive=0
    for f in "$D"/run/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break; sleep 0.2
  done
  for f in "$D"/run/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$D"; exit 0
fi
[ "$CMD" = start ] || { echo "unknown command $CMD" >&2; exit 2; }
trap 'echo "start-radosgw.sh: line $LINENO failed: $BASH_COMMAND (logs in $D/log)" >&2' ERR
# retry CMD…: a mon that is still busy (a loaded machine) refuses commands for a few seconds.
retry() { for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null 2>&1 && return 0; sleep 2; done; "$@"; }
for b in radosgw ceph-mon ceph-osd ceph radosgw-admin curl; do
  command -v "$b" >/dev/null || { echo "$b not found: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd curl" >&2; exit 127; }
done
PORT=${3:-7480}; MON_PORT=${4:-6789}
rm -rf "$D"; mkdir -p "$D"/{run,log,mon,osd,rgw}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# The OSD is put in the CRUSH map below, before it starts. Left on, its own start-up commands for that
# sometimes reached the mon with an empty fsid ("wrong fsid") and ceph-osd exited.
osd crush update on start = false
osd class update on start = false
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
mon data avail crit = 0
mon data avail warn = 0
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-3221225472}
keyring = $D/keyring
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.test]
# tcp_nodelay=1: without it (beast's default) Nagle holds back the body of a small GET's answer until
# the client ACKs the headers, and the client delays that ACK by 40 ms: every small GET took ~45 ms, so
# 16 at once made ~350 GETs/s for any client, rclone too (1,200-1,800/s with it; bench/README.md).
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw
CONF
export CEPH_CONF="$D/ceph.conf"; cd "$D"
ceph-authtool --create-keyring keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool keyring --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --add a "v1:127.0.0.1:$MON_PORT" monmap >/dev/null
ceph-mon --mkfs -i a --monmap monmap --keyring keyring
ceph-mon -i a
# Wait until the mon answers commands (not just its map), then create the OSD, retrying on a busy machine.
for i in $(seq 1 60); do timeout 5 ceph osd stat >/dev/null 2>&1 && break; sleep 1; done
UUID=$(cat /proc/sys/kernel/random/uuid); ID=""
for i in $(seq 1 10); do ID=$(timeout 30 ceph osd new "$UUID" 2>/dev/null) && break; sleep 2; done
[ -n "$ID" ] || { echo "ceph osd new failed (mon not ready); logs in $D/log" >&2; exit 1; }
mkdir -p "$D/osd/ceph-$ID"
ceph-osd -i "$ID" --mkfs --osd-uuid "$UUID" >/dev/null 2>&1
retry timeout 30 ceph osd crush add-bucket localhost host
retry timeout 30 ceph osd crush move localhost root=default
retry timeout 30 ceph osd crush add "osd.$ID" 1.0 host=localhost
ceph-osd -i "$ID" >/dev/null 2>&1
radosgw -n client.rgw.test >/dev/null 2>&1
ok=0
for i in $(seq 1 90); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && { ok=1; break; }; sleep 1; done
[ $ok = 1 ] || { echo "radosgw did not answer on 127.0.0.1:$PORT; logs in $D/log" >&2; exit 1; }
retry sh -c 'timeout 30 radosgw-admin user info --uid=test || timeout 60 radosgw-admin user create --uid=test --display-name=test --access-key=test --secret-key=testsecret'
echo "radosgw ready on http://127.0.0.1:$PORT (CEPH_CONF=$D/ceph.conf)"
