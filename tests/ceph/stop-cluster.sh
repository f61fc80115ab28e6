#!/usr/bin/env bash
# Stops the daemons of a cluster started by start-cluster.sh DIR, by the pids they wrote, and removes DIR.
# --now kills them at once (SIGKILL; what the tests use, as nothing in a test cluster must survive);
# --keep leaves DIR in place (a graceful stop, for a restart with the same data).
#   usage: stop-cluster.sh DIR [--now] [--keep]
set -uo pipefail
dir=$(realpath -m "${1:?usage: stop-cluster.sh DIR [--now] [--keep]}")
shift
now=0; keep=0
for a in "$@"; do
  case "$a" in --now) now=1 ;; --keep) keep=1 ;; *) echo "stop-cluster.sh: unknown option $a" >&2; exit 2 ;; esac
done
pids=()
for f in "$dir"/run/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && pids+=("$pid")
done
if [ $now -eq 1 ]; then
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
else
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for _ in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
fi
[ $keep -eq 1 ] || rm -rf "$dir"
