#!/usr/bin/env bash
# Races two S3 gateways on the same one-node Ceph cluster, each with a pool of its own with the same settings:
# Ceph's own RGW (Debian's radosgw, beast frontend) against XOS with --blobs rados:// (metadata in SQLite, as RGW keeps
# its own in RADOS), in alternating rounds of `xos bench` (put/get 4 KiB, 1 MiB, 64 MiB, list); then XOS on RADOS
# against XOS on the local data folder, to show what the network store costs. The cluster is tests/ceph/start-cluster.sh's.
# Results in DIR (default /tmp/xos-bench-rados): a JSON file per run and `xos bench compare` tables.
# --baseline DLL adds a second XOS on RADOS (another build's xos.dll, e.g. main's) to the alternating rounds, for
# before/after figures from the same minutes of a loaded machine.
# Usage: scripts/bench-rados.sh [DIR] [--duration SECONDS] [--concurrency N] [--rounds N] [--workloads LIST] [--list-keys N] [--baseline DLL]
set -euo pipefail
cd "$(dirname "$0")/.."
out=/tmp/xos-bench-rados; duration=8; concurrency=16; rounds=2; list_keys=2000; baseline=""
workloads=put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --list-keys) list_keys=$2; shift 2 ;;
    --baseline) baseline=$(realpath "$2"); shift 2 ;;
    *) out=$1; shift ;;
  esac
done
command -v radosgw >/dev/null || { echo "radosgw is needed (Debian: apt-get install --no-install-recommends radosgw)" >&2; exit 1; }
mkdir -p "$out"
dotnet build src/Xos.Server -c Release -nologo -v quiet >/dev/null
xos="dotnet $PWD/src/Xos.Server/bin/Release/net10.0/xos.dll"
work=$(mktemp -d /tmp/xos-bench-rados.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/ceph/run/client.rgw.a.pid" ] && kill "$(cat "$work/ceph/run/client.rgw.a.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  tests/ceph/stop-cluster.sh "$work/ceph" --now
  rm -rf "$work"
}
trap cleanup EXIT
. scripts/free-port.sh
wait_http() { # PORT NAME LOG
  for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.2; done
  echo "$2 did not start:"; tail -20 "$3"; exit 1
}

echo "== starting a one-node Ceph cluster"
conf=$(tests/ceph/start-cluster.sh "$work/ceph" xos 2>"$work/ceph-start.err")
ceph="ceph -c $conf"
# RGW's pools take the same defaults (size 1, 8 placement groups) as the xos pool. The cluster runs cephx: RGW gets a
# key of its own, XOS is client.xos with the documented capabilities (start-cluster.sh's keyring).
rgw_port=$(free_port)
$ceph auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$work/ceph/rgw.keyring" >/dev/null
cat >> "$conf" <<CONF
[client.rgw.a]
keyring = $work/ceph/rgw.keyring
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw_data = $work/ceph/rgw
ms_mon_client_mode = crc secure
rgw_enable_usage_log = false
rgw_enable_ops_log = false
log_file = $work/ceph/log/rgw.log
CONF
mkdir -p "$work/ceph/rgw"
radosgw -c "$conf" -n client.rgw.a
wait_http "$rgw_port" radosgw "$work/ceph/log/rgw.log"
key=XOSBENCHROOTKEY00001 secret=xos-bench-root-secret-0000000000000000000
radosgw-admin -c "$conf" user create --uid=bench --display-name=bench --access-key=$key --secret=$secret >/dev/null
export XOS_ROOT_ACCESS_KEY=$key XOS_ROOT_SECRET_KEY=$secret

start_xos() { # NAME PORT [BLOBS] [DLL]
  local port=$2 dll=${4:-$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll}
  XOS_BLOBS=${3:-} dotnet "$dll" server --data "$work/$1" --address "127.0.0.1:$port" >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0; sleep 0.2; done
  echo "xos $1 did not start:"; cat "$work/$1.log"; exit 1
}
xos_rados_port=$(free_port); xos_local_port=$(free_port)
xos_blobs="rados://xos?conf=$conf&keyring=$work/ceph/client.xos.keyring"
start_xos xos-rados "$xos_rados_port" "$xos_blobs&namespace=current"
start_xos xos-local "$xos_local_port"
if [ -n "$baseline" ]; then
  xos_base_port=$(free_port)
  start_xos xos-baseline "$xos_base_port" "$xos_blobs&namespace=baseline" "$baseline"
fi

bench() { # NAME PORT
  echo "== $1"
  $xos bench --endpoint "http://127.0.0.1:$2" --duration "$duration" --concurrency "$concurrency" --no-progress \
    --workloads "$workloads" --list-keys "$list_keys" --json "$out/$1.json"
}
for r in $(seq "$rounds"); do
  # Alternating, so that neither always runs on a warmer (or more fragmented) cluster.
  if [ $((r % 2)) -eq 1 ]; then
    bench "rgw-$r" "$rgw_port"; [ -z "$baseline" ] || bench "xos-baseline-$r" "$xos_base_port"; bench "xos-rados-$r" "$xos_rados_port"
  else
    bench "xos-rados-$r" "$xos_rados_port"; [ -z "$baseline" ] || bench "xos-baseline-$r" "$xos_base_port"; bench "rgw-$r" "$rgw_port"
  fi
done
bench xos-local "$xos_local_port"
echo "== RGW against XOS on RADOS (ratios to the first)"
$xos bench compare "$out"/rgw-*.json "$out"/xos-rados-*.json | tee "$out/rgw-vs-xos.txt"
if [ -n "$baseline" ]; then
  echo "== the baseline build against this build, both on RADOS (ratios to the first)"
  $xos bench compare "$out"/xos-baseline-*.json "$out"/xos-rados-*.json | tee "$out/baseline-vs-xos.txt"
  echo "== RGW against the baseline build"
  $xos bench compare "$out"/rgw-*.json "$out"/xos-baseline-*.json | tee "$out/rgw-vs-baseline.txt"
fi
echo "== XOS on RADOS against XOS on the data folder"
$xos bench compare "$out/xos-local.json" "$out"/xos-rados-*.json | tee "$out/rados-vs-local.txt"
