#!/usr/bin/env bash
# Event notifications' cost: `xos bench --workloads put-4k,notify-4k` (a put-4k warm-up, unrecorded ones with
# notifications on, then 4 KiB PUTs with the bucket's notifications off, and on, to a webhook inside the bench over HTTP/1.1
# and then over HTTP/2) against a fresh xos per run, with the CPU time the
# server and the bench process spent (from /proc/PID/stat) and how many events the server sent. Given several builds
# (folders holding xos.dll), it runs them in turn, round after round, so that their ratios come from the same minutes
# of a shared machine.
#
# Usage: scripts/bench-notify.sh [BUILD_DIR ...]     default: this checkout's Release build
#        BENCH_BUILD=DIR scripts/bench-notify.sh OLD NEW   servers of OLD and NEW, measured by the same `xos bench` (DIR's)
# Environment: ROUNDS (default 3), DURATION (seconds per workload, default 10), CONCURRENCY (default 8),
#              METADATA (sqlite, default, or postgres: a PostgreSQL server of the script's own, a fresh database per run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builds=("$@")
[[ ${#builds[@]} -eq 0 ]] && builds=("$root/src/Xos.Server/bin/Release/net10.0")
rounds=${ROUNDS:-3}
duration=${DURATION:-10}
concurrency=${CONCURRENCY:-8}

work=$(mktemp -d "${TMPDIR:-/tmp}/xos-bench-notify.XXXXXX")
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  pg_stop "$work"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$root/scripts/free-port.sh"
. "$root/scripts/pg-server.sh"
metadata=${METADATA:-sqlite}
case $metadata in
  sqlite) ;;
  postgres) pg_start "$work" ;;
  *) echo "METADATA is sqlite or postgres" >&2; exit 2 ;;
esac

# utime + stime of a process, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

export XOS_ROOT_ACCESS_KEY="XOSBENCH$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
export XOS_ROOT_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
hz=$(getconf CLK_TCK)
run=0

for round in $(seq 1 "$rounds"); do
  for build in "${builds[@]}"; do
    rm -rf "$work/data"
    port=$(free_port)
    url=""
    if [[ $metadata == postgres ]]; then
      run=$((run + 1))
      pg_createdb "notify_$run"
      url="postgres://xos@127.0.0.1:$pgport/notify_$run"
    fi
    XOS_METADATA_URL=$url dotnet "$build/xos.dll" server --data "$work/data" --address "127.0.0.1:$port" >"$work/xos.log" 2>&1 &
    server=$!
    for _ in $(seq 1 300); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.2
    done
    load=$(cut -d' ' -f1 /proc/loadavg)
    dotnet "${BENCH_BUILD:-$build}/xos.dll" bench --endpoint "http://127.0.0.1:$port" --access-key "$XOS_ROOT_ACCESS_KEY" --secret-key "$XOS_ROOT_SECRET_KEY" \
      --concurrency "$concurrency" --duration "$duration" --workloads put-4k,notify-4k --json "$work/bench.json" >"$work/bench.out" 2>&1 &
    bench=$!
    : >"$work/cpu"
    while kill -0 "$bench" 2>/dev/null; do
      echo "$(date +%s.%N) $(ticks "$server") $(ticks "$bench")" >>"$work/cpu"
      sleep 0.2
    done
    wait "$bench" || true
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    echo "round $round  server $build  bench ${BENCH_BUILD:-$build}  metadata $metadata  load average $load"
    grep -h "notifications on/off" "$work/bench.out" | sed 's/^/  /' || tail -3 "$work/bench.out"
    # The CPU the server and the bench spent in the PUTs with notifications off, and with them on until the last event
    # arrived, per PUT (each workload's start is in the JSON; the last event came at the received rate).
    python3 - "$work/bench.json" "$work/cpu" "$work/bench.out" "$hz" <<'PY'
import json, re, sys, datetime
run = json.load(open(sys.argv[1])); hz = float(sys.argv[4])
samples = [tuple(map(float, l.split())) for l in open(sys.argv[2]) if len(l.split()) == 3]
w = {r["name"]: r for r in run["workloads"]}
if "startedAt" not in w["notify-4k-off"]: sys.exit(0)  # a bench from before workloads recorded their start
def start(name): return datetime.datetime.fromisoformat(w[name]["startedAt"]).timestamp()
off_start = start("notify-4k-off"); off_end = off_start + w["notify-4k-off"]["seconds"]
received = re.findall(r"received (\d+) of \d+ events, ([\d.]+) events/s", open(sys.argv[3]).read())
def at(t, i):
    before = [s for s in samples if s[0] <= t]
    return (before[-1] if before else samples[0])[i]
phases = [("off", off_start, off_end)]
# The runs with notifications on (over HTTP/1.1, then HTTP/2), each until its last event arrived.
for n, name in enumerate(x for x in ("on", "on-h2") if "notify-4k-" + x in w):
    s0 = start("notify-4k-" + name)
    got = received[n] if n < len(received) else None
    phases.append((name, s0, s0 + max(w["notify-4k-" + name]["seconds"], int(got[0]) / max(float(got[1]), 0.001) if got else 0)))
for name, a, b in phases:
    ops = w["notify-4k-" + name]["ops"]
    srv = (at(b, 1) - at(a, 1)) / hz; bch = (at(b, 2) - at(a, 2)) / hz
    print(f"  {name:5} {w['notify-4k-' + name]['opsPerSec']:7.1f} PUT/s  {ops:6} PUTs  CPU: server {srv:5.1f} s, bench {bch:5.1f} s; "
          f"per PUT: server {1000 * srv / max(ops, 1):.2f} ms, bench {1000 * bch / max(ops, 1):.2f} ms")
PY
  done
done
