#!/usr/bin/env bash
# Media processing measured against its floor, in one run on this machine:
#   - uncached 256-pixel thumbnails of a 12-megapixel JPEG through XOS (`xos bench --workloads thumbnail`), against
#     Debian's `vipsthumbnail` (libvips-tools) on the very same file, as many at once as there are cores;
#   - cached thumbnails (`thumbnail-cached`) against a plain GET of an object of the thumbnail's size (`get-SIZE`);
#   - video snapshots (`snapshot`: a JPEG frame of a 20 s 720p H.264 video, a new time each request).
# Prints the ratios and writes the runs to DIR (default /tmp/xos-bench-media).
#   scripts/bench-media.sh [DIR]      env: DURATION (seconds per workload, default 10), CONCURRENCY (default 8), VIPS_RUNS (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/xos-bench-media}
duration=${DURATION:-10}
concurrency=${CONCURRENCY:-8}
runs=${VIPS_RUNS:-60}
mkdir -p "$out/files"
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail is missing: apt-get install libvips-tools" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "ffmpeg is missing: apt-get install ffmpeg" >&2; exit 1; }
dotnet build src/Xos.Server -c Release -nologo -v quiet >/dev/null
dll="$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d /tmp/xos-bench-media-data-XXXXXX)
export XOS_ROOT_ACCESS_KEY=XOSBENCHMEDIAKEY0001 XOS_ROOT_SECRET_KEY=xos-bench-media-secret-00000000000000000
dotnet "$dll" server --data "$data" --address "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.2; done
bench() { dotnet "$dll" bench --endpoint "http://127.0.0.1:$port" --duration "$duration" --concurrency "$concurrency" --no-progress --media-files "$out/files" "$@"; }

echo "== xos bench: thumbnail, thumbnail-cached, snapshot"
bench --workloads thumbnail,thumbnail-cached,snapshot --json "$out/media.json"
thumb_size=$(python3 -c "import json; print(next(w['objectSize'] for w in json.load(open('$out/media.json'))['workloads'] if w['name']=='thumbnail-cached'))")
echo "== xos bench: a plain GET of ${thumb_size} bytes (the cached thumbnail's size)"
bench --workloads "get-${thumb_size}" --json "$out/plain.json"

echo "== vipsthumbnail on the same file, $(nproc) at once, $runs runs"
start=$(date +%s%N)
seq 1 "$runs" | xargs -P "$(nproc)" -I{} vipsthumbnail "$out/files/photo-12mp.jpg" -s 256 -o "$out/vips-{}.jpg[Q=90]"
vips_rate=$(python3 -c "print($runs / (($(date +%s%N) - $start) / 1e9))")
rm -f "$out"/vips-*.jpg

python3 - "$out" "$vips_rate" <<'PY'
import json, sys
out, vips = sys.argv[1], float(sys.argv[2])
media = {w['name']: w for w in json.load(open(f'{out}/media.json'))['workloads']}
plain = json.load(open(f'{out}/plain.json'))['workloads'][0]
rows = [
  ('thumbnail, uncached / vipsthumbnail', media['thumbnail']['opsPerSec'], vips),
  ('thumbnail, cached / plain GET of its size', media['thumbnail-cached']['opsPerSec'], plain['opsPerSec']),
]
print(f"{'ratio':44} {'XOS ops/s':>10} {'reference':>10} {'ratio':>6}")
for name, x, ref in rows: print(f"{name:44} {x:10.1f} {ref:10.1f} {x / ref:6.2f}")
s = media['snapshot']
print(f"{'video snapshot (720p H.264, JPEG 640 wide)':44} {s['opsPerSec']:10.1f} ops/s, p50 {s['p50Ms']:.0f} ms, p99 {s['p99Ms']:.0f} ms")
json.dump({'vipsthumbnailPerSec': vips, 'ratios': {n: x / r for n, x, r in rows}}, open(f'{out}/ratios.json', 'w'), indent=2)
PY
