#!/usr/bin/env bash
# Every ratio of the speed work in one go, so that anyone can reproduce the README's performance table:
# the Kestrel ceiling (`xos bench ceiling`, a bare Kestrel app answering 4 KiB GETs) under wrk, signed, presigned and
# anonymous 4 KiB GETs against it, put-64m against `dd ... conv=fsync` on the same disk, large GETs against a 1 GiB loopback
# socket transfer, and SM4 against AES256, all in the same run on a fresh xos (Release build, temporary data folder).
#
# Usage: scripts/bench-ratios.sh [OUT_DIR]          run everything; JSON runs, report.html and ratios.md go to OUT_DIR
#        scripts/bench-ratios.sh --table OUT_DIR    print the tables again from a folder of saved runs (e.g. docs/bench)
# Environment: DURATION (seconds per xos bench workload, default 5), WRK_SECONDS (default 10), CONCURRENCY (default 8),
#              WARMUP (seconds per workload of the unrecorded warm-up, default 5).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

table() {
  python3 - "$1" <<'PY'
import json, os, sys
out = sys.argv[1]
def load(name):
    path = os.path.join(out, name)
    return json.load(open(path)) if os.path.exists(path) else None
def workload(run, name):
    return next((w for w in (run or {}).get("workloads", []) if w["name"] == name), None)
raw = load("raw.json") or {}
xos, one, aes, sm4 = load("xos.json"), load("xos-1client.json"), load("xos-aes256.json"), load("xos-sm4.json")
ceiling, wrk_ceiling, wrk_anon, wrk_presigned = load("ceiling.json"), load("wrk-ceiling.json"), load("wrk-anonymous.json"), load("wrk-presigned.json")

def fmt(v):
    return "-" if v is None else f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"
rows = []
def ratio(label, a, a_unit, b, b_unit):
    rows.append((label, a, a_unit, b, b_unit, None if a is None or not b else a / b))
def ops(run, name):
    w = workload(run, name); return w and w["opsPerSec"]
def mib(run, name):
    w = workload(run, name); return w and w["mibPerSec"]
c = (xos or {}).get("concurrency", 8)
wc = (wrk_ceiling or {}).get("concurrency", 32)
ratio(f"signed get-4k (xos bench, {c} clients) / ceiling (xos bench, {c} clients)", ops(xos, "get-4k"), "ops/s", ops(ceiling, "get-4k"), "ops/s")
ratio(f"signed get-4k (xos bench, {c} clients) / ceiling (wrk -t2 -c{wc})", ops(xos, "get-4k"), "ops/s", ops(wrk_ceiling, "get-4k"), "ops/s")
ratio(f"presigned get-4k (wrk -t2 -c{wc}) / ceiling (wrk)", ops(wrk_presigned, "get-4k"), "ops/s", ops(wrk_ceiling, "get-4k"), "ops/s")
ratio(f"anonymous get-4k, public-read (wrk -t2 -c{wc}) / ceiling (wrk)", ops(wrk_anon, "get-4k"), "ops/s", ops(wrk_ceiling, "get-4k"), "ops/s")
ratio(f"put-64m ({c} clients) / dd bs=1M count=64 conv=fsync", mib(xos, "put-64m"), "MiB/s", raw.get("ddMibPerSec"), "MiB/s")
ratio("put-64m (1 client) / dd bs=1M count=64 conv=fsync", mib(one, "put-64m"), "MiB/s", raw.get("ddMibPerSec"), "MiB/s")
ratio(f"get-64m ({c} clients) / loopback TCP, 1 GiB", mib(xos, "get-64m"), "MiB/s", raw.get("loopbackMibPerSec"), "MiB/s")
ratio("get-64m (1 client) / loopback TCP, 1 GiB", mib(one, "get-64m"), "MiB/s", raw.get("loopbackMibPerSec"), "MiB/s")
cipher = raw.get("cipherMibPerSec") or {}
for i, what in enumerate(["seal", "open"]):
    sm4_cipher, aes_cipher = (cipher.get("SM4") or [None, None])[i], (cipher.get("AES256") or [None, None])[i]
    ratio(f"SM4 {what} / AES256 {what} (xos bench cipher, one thread, SM4 through {cipher.get('sm4Implementation', '?')})", sm4_cipher, "MiB/s", aes_cipher, "MiB/s")
ratio(f"put-1m SM4 / AES256 ({c} clients)", ops(sm4, "put-1m"), "ops/s", ops(aes, "put-1m"), "ops/s")
ratio(f"get-1m SM4 / AES256 ({c} clients)", ops(sm4, "get-1m"), "ops/s", ops(aes, "get-1m"), "ops/s")

width = max(len(r[0]) for r in rows)
print(f"{'ratio':<{width}}  {'measured':>15}  {'reference':>15}  {'ratio':>6}")
for label, a, au, b, bu, r in rows:
    print(f"{label:<{width}}  {fmt(a):>9} {au:<5}  {fmt(b):>9} {bu:<5}  {'-' if r is None else f'{r:.2f}':>6}")

md = ["| workload | ops/s | MiB/s | p50 ms | p90 ms | p99 ms | errors |", "| --- | --- | --- | --- | --- | --- | --- |"]
for name, run in [("", xos), (" (1 client)", one), (", AES256", aes), (", SM4", sm4)]:
    for w in (run or {}).get("workloads", []):
        size = "" if w["name"] == "list" else fmt(w["mibPerSec"])
        label = w["name"] + (" (pages of 1000 keys)" if w["name"] == "list" else "") + name
        md.append(f"| {label} | {fmt(w['opsPerSec'])} | {size} | {fmt(w['p50Ms'])} | {fmt(w['p90Ms'])} | {fmt(w['p99Ms'])} | {w['errors']} |")
md += ["", "| ratio | measured | reference | ratio |", "| --- | --- | --- | --- |"]
for label, a, au, b, bu, r in rows:
    md.append(f"| {label} | {fmt(a)} {au} | {fmt(b)} {bu} | {'-' if r is None else f'{r:.2f}'} |")
open(os.path.join(out, "ratios.md"), "w").write("\n".join(md) + "\n")
PY
}

if [[ ${1:-} == --table ]]; then
  table "${2:?usage: scripts/bench-ratios.sh --table DIR}"
  exit 0
fi

out=${1:-/tmp/xos-bench-ratios}
duration=${DURATION:-5}
wrk_seconds=${WRK_SECONDS:-10}
concurrency=${CONCURRENCY:-8}
mkdir -p "$out"
out=$(cd "$out" && pwd)

install() {
  command -v "$1" >/dev/null && return
  echo "== installing $2 (Debian package)"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get install -y -qq "$2" >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$2" >/dev/null; }
}
install wrk wrk
install curl curl
install python3 python3

work=$(mktemp -d "${TMPDIR:-/tmp}/xos-bench-ratios.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$root/scripts/free-port.sh"

wait_http() {
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return
    sleep 0.2
  done
  echo "nothing answered at $1" >&2
  exit 1
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== building Release"
dotnet build "$root/src/Xos.Server/Xos.Server.csproj" -c Release -nologo -v quiet >/dev/null
dll="$root/src/Xos.Server/bin/Release/net10.0/xos.dll"

export XOS_ROOT_ACCESS_KEY="XOSBENCH$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
export XOS_ROOT_SECRET_KEY="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port=$(free_port)
dotnet "$dll" server --data "$work/data" --address "127.0.0.1:$port" >"$work/xos.log" 2>&1 &
pids+=($!)
ceiling_port=$(free_port)
dotnet "$dll" bench ceiling --listen "127.0.0.1:$ceiling_port" --size 4k >"$work/ceiling.log" 2>&1 &
pids+=($!)
endpoint="http://127.0.0.1:$port"
wait_http "$endpoint/health/ready"
wait_http "http://127.0.0.1:$ceiling_port/"
echo "== load average before the run: $load_start (other work on the machine shares its cores too)"
echo "== xos on $endpoint (data in $work/data), ceiling on 127.0.0.1:$ceiling_port; $(nproc) cores shared by servers and clients"

s3() { curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$XOS_ROOT_ACCESS_KEY:$XOS_ROOT_SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
head -c 4096 /dev/urandom >"$work/object-4k"
s3 -X PUT "$endpoint/ratios"
s3 -T "$work/object-4k" -H "x-amz-acl: public-read" "$endpoint/ratios/public-4k"
s3 -T "$work/object-4k" "$endpoint/ratios/private-4k"
presigned=$(python3 - "$endpoint" "/ratios/private-4k" <<'PY'
import datetime, hashlib, hmac, os, sys, urllib.parse
endpoint, path = sys.argv[1], sys.argv[2]
ak, sk, region = os.environ["XOS_ROOT_ACCESS_KEY"], os.environ["XOS_ROOT_SECRET_KEY"], "us-east-1"
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
scope = f"{day}/{region}/s3/aws4_request"
query = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{ak}/{scope}", "X-Amz-Date": amz_date,
         "X-Amz-Expires": "3600", "X-Amz-SignedHeaders": "host"}
canonical_query = "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query.items()))
host = urllib.parse.urlparse(endpoint).netloc
canonical = f"GET\n{path}\n{canonical_query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
key = ("AWS4" + sk).encode()
for part in (day, region, "s3", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
print(f"{endpoint}{path}?{canonical_query}&X-Amz-Signature={hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()}")
PY
)
curl -sf -o /dev/null "$endpoint/ratios/public-4k" || { echo "the public-read object is not readable anonymously" >&2; exit 1; }
curl -sf -o /dev/null "$presigned" || { echo "the presigned URL is refused" >&2; exit 1; }

bench() { dotnet "$dll" bench --endpoint "$1" --duration "$duration" --concurrency "$concurrency" "${@:2}"; }
warm() { dotnet "$dll" bench --endpoint "$1" --duration "${WARMUP:-5}" --concurrency "$concurrency" "${@:2}" >/dev/null; }
wrk_run() { # NAME URL [ENDPOINT TO RECORD]
  echo "== wrk -t2 -c32 -d${wrk_seconds}s: $1"
  WRK_JSON="$out/wrk-$1.json" WRK_ENDPOINT="${3:-$2}" WRK_CONNECTIONS=32 WRK_SIZE=4096 \
    wrk -t2 -c32 -d"${wrk_seconds}s" --latency -s "$root/scripts/wrk-report.lua" "$2" | grep -E "Requests/sec|Latency|Non-2xx|errors" || true
}

# .NET compiles hot code again, optimised with what it saw, after it has run a while: a server is measured as it runs
# for days, not in its first seconds. WARMUP seconds per workload (default 5) of every kind, on both servers.
echo "== warm-up (JIT) of xos and the ceiling, not recorded"
warm "$endpoint" --workloads put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list
wrk -t2 -c32 -d"${WARMUP:-5}s" "$endpoint/ratios/public-4k" >/dev/null
warm "http://127.0.0.1:$ceiling_port" --workloads get-4k
wrk -t2 -c32 -d"${WARMUP:-5}s" "http://127.0.0.1:$ceiling_port/" >/dev/null

wrk_run ceiling "http://127.0.0.1:$ceiling_port/ratios/object"
wrk_run anonymous "$endpoint/ratios/public-4k"
wrk_run presigned "$presigned" "$endpoint/ratios/private-4k (presigned)"
echo "== xos bench get-4k against the ceiling"
bench "http://127.0.0.1:$ceiling_port" --workloads get-4k --json "$out/ceiling.json"
echo "== xos bench, every workload"
bench "$endpoint" --json "$out/xos.json"
echo "== xos bench, one client, 64 MiB objects"
concurrency=1 bench "$endpoint" --workloads put-64m,get-64m --json "$out/xos-1client.json"
echo "== xos bench --sse AES256 and SM4"
bench "$endpoint" --sse AES256 --workloads put-1m,get-1m --json "$out/xos-aes256.json"
bench "$endpoint" --sse SM4 --workloads put-1m,get-1m --json "$out/xos-sm4.json"

echo "== xos bench cipher: SM4 and AES256 in the chunk format, one thread, no network or disk"
dotnet "$dll" bench cipher --size 256m | tee "$work/cipher.txt"
cipher_json=$(awk '/through/ { sub(/.*SM4 through /, ""); impl = $0 } $1 == "AES256" || $1 == "SM4" { v[$1] = "[" $2 ", " $3 "]" }
  END { gsub(/"/, "", impl); printf "{\"sm4Implementation\": \"%s\", \"AES256\": %s, \"SM4\": %s}", impl, v["AES256"], v["SM4"] }' "$work/cipher.txt")

echo "== dd if=/dev/zero bs=1M count=64 conv=fsync in the data folder, 3 times"
dd_runs=()
for _ in 1 2 3; do
  dd_runs+=("$(dd if=/dev/zero of="$work/data/dd.tmp" bs=1M count=64 conv=fsync 2>&1 | awk '/copied/ { printf "%.1f", $1 / 1048576 / $(NF-3) }')")
  rm -f "$work/data/dd.tmp"
done
echo "${dd_runs[*]} MiB/s"
dd_median=$(printf '%s\n' "${dd_runs[@]}" | sort -n | sed -n 2p)

echo "== loopback TCP: 1 GiB through one socket, 1 MiB writes"
loopback=$(python3 - <<'PY'
import socket, threading, time
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
def sink():
    connection, _ = server.accept()
    buffer = bytearray(1 << 20)
    while connection.recv_into(buffer): pass
thread = threading.Thread(target=sink); thread.start()
client = socket.create_connection(server.getsockname())
chunk = b"\0" * (1 << 20)
started = time.perf_counter()
for _ in range(1024): client.sendall(chunk)
client.close(); thread.join()
print(f"{1024 / (time.perf_counter() - started):.0f}")
PY
)
echo "$loopback MiB/s"

cat >"$out/raw.json" <<EOF
{
  "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GiB, $(uname -sr)",
  "loadAverageAtStart": "$load_start",
  "loadAverageAtEnd": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "ddMibPerSec": $dd_median,
  "ddRunsMibPerSec": [$(IFS=,; echo "${dd_runs[*]}")],
  "loopbackMibPerSec": $loopback,
  "cipherMibPerSec": $cipher_json,
  "xosBenchSecondsPerWorkload": $duration,
  "wrkSeconds": $wrk_seconds
}
EOF

dotnet "$dll" bench report "$out/report.html" "$out/xos.json" "$out/xos-1client.json" "$out/xos-aes256.json" "$out/xos-sm4.json" \
  "$out/ceiling.json" "$out/wrk-ceiling.json" "$out/wrk-presigned.json" "$out/wrk-anonymous.json"
echo
table "$out"
echo
echo "runs, raw.json, ratios.md and report.html are in $out"
