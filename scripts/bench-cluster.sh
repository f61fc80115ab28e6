#!/usr/bin/env bash
# Measures the scale-out setups side by side in one run, on this machine:
#   1. one gateway on SQLite against one gateway on PostgreSQL (every xos bench workload),
#   2. haproxy (deploy/haproxy.cfg) in front of 1, 2 and 3 gateways sharing PostgreSQL and one data folder,
#   3. the first page of a 1,000,000-key bucket listed on each store.
# PostgreSQL is a server of the script's own (initdb in a temporary folder, own port) with its default durability
# (fsync and synchronous_commit on), as a deployment runs it. Results: DIR (default /tmp/xos-bench-cluster), with a
# JSON file per run, `xos bench compare` tables and an HTML report.
# Usage: scripts/bench-cluster.sh [DIR] [--duration SECONDS] [--concurrency N]
set -euo pipefail
cd "$(dirname "$0")/.."
out=/tmp/xos-bench-cluster; duration=8; concurrency=16; keys=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    *) out=$1; shift ;;
  esac
done
mkdir -p "$out"
dotnet build src/Xos.Server -c Release -nologo -v quiet >/dev/null
xos="dotnet $PWD/src/Xos.Server/bin/Release/net10.0/xos.dll"
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "haproxy is needed (Debian: apt-get install haproxy)" >&2; exit 1; }
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

work=$(mktemp -d /tmp/xos-bench-cluster.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop "$work"
  rm -rf "$work"
}
trap cleanup EXIT
. scripts/free-port.sh
. scripts/pg-server.sh

pg_start "$work"
pg_createdb xos_single
pg_createdb xos_cluster

export XOS_ROOT_ACCESS_KEY=XOSBENCHROOTKEY00001 XOS_ROOT_SECRET_KEY=xos-bench-root-secret-0000000000000000000
start_gateway() { # DATA PORT [METADATA_URL]
  local data=$1 port=$2 url=${3:-}
  XOS_METADATA_URL=$url $xos server --data "$data" --address "127.0.0.1:$port" >"$work/gw-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null && return 0; sleep 0.1; done
  echo "gateway on $port did not start:"; cat "$work/gw-$port.log"; exit 1
}
bench() { # NAME ENDPOINT [WORKLOADS]
  echo "== $1"
  $xos bench --endpoint "$2" --duration "$duration" --concurrency "$concurrency" --no-progress \
    --workloads "${3:-put-4k,get-4k,put-1m,get-1m,put-64m,get-64m,list}" --json "$out/$1.json" | tail -n +1
}

# 1. One gateway: SQLite against PostgreSQL, one after the other on the same machine state.
sqlite_port=$(free_port); pg_port=$(free_port)
start_gateway "$work/sqlite" "$sqlite_port"
start_gateway "$work/single" "$pg_port" "postgres://xos@127.0.0.1:$pgport/xos_single"
bench sqlite-1gw "http://127.0.0.1:$sqlite_port"
bench postgres-1gw "http://127.0.0.1:$pg_port"

# 2. haproxy in front of 1, 2 and 3 gateways on one PostgreSQL and one folder. Unused server lines of the
#    configuration point at the first gateway (so "1 gateway" is three lines naming the same one).
gw=($(free_port) $(free_port) $(free_port)); lb=$(free_port)
for p in "${gw[@]}"; do start_gateway "$work/shared" "$p" "postgres://xos@127.0.0.1:$pgport/xos_cluster"; done
for n in 1 2 3; do
  g1=${gw[0]}; g2=${gw[0]}; g3=${gw[0]}
  [ "$n" -ge 2 ] && g2=${gw[1]}
  [ "$n" -ge 3 ] && g3=${gw[2]}
  XOS_LB_ADDRESS=127.0.0.1:$lb XOS_GATEWAY_1=127.0.0.1:$g1 XOS_GATEWAY_2=127.0.0.1:$g2 XOS_GATEWAY_3=127.0.0.1:$g3 \
    "$haproxy" -db -f deploy/haproxy.cfg >"$work/haproxy-$n.log" 2>&1 &
  hp=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$lb/health/ready" >/dev/null && break; sleep 0.1; done
  bench "haproxy-${n}gw" "http://127.0.0.1:$lb" put-4k,get-4k,put-1m,get-1m
  kill $hp; wait $hp 2>/dev/null || true
done

# 3. The first page of a bucket of $keys keys on each store, rows written straight into the databases (an S3
#    upload of a million objects would take most of an hour here), then listed through S3 50 times: a presigned
#    ListObjectsV2 URL fetched with a plain HTTP connection, timed from the request to the last byte of the page
#    (boto3's own XML parsing of 1000 keys takes longer than the server's answer, so it is left out).
python3 - "$sqlite_port" "$pg_port" "$keys" "$work" "$pgport" <<'EOF' | tee "$out/listing.txt"
import sys, time, subprocess, sqlite3, boto3, http.client, urllib.parse
from botocore.config import Config
sqlite_port, pg_port, keys, work, pgport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def client(port):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id="XOSBENCHROOTKEY00001",
        aws_secret_access_key="xos-bench-root-secret-0000000000000000000", region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
fill = """INSERT INTO objects(bucket_id, key, version_id, is_latest, delete_marker, size, etag, last_modified, content_type,
    storage_class, owner_id, blob_id, parts_count, seq)
  SELECT (SELECT id FROM buckets WHERE name = 'million'), {key}, 'null', 1, 0, 0, '"d41d8cd98f00b204e9800998ecf8427e"', 0,
    'application/octet-stream', 'STANDARD', (SELECT owner_id FROM buckets WHERE name = 'million'), 'none', 1, {n}
  FROM {series}"""
for name, port in (("SQLite", sqlite_port), ("PostgreSQL", pg_port)):
    s3 = client(port)
    s3.create_bucket(Bucket="million")
    if name == "SQLite":
        db = sqlite3.connect(f"{work}/sqlite/metadata.db", timeout=60)
        db.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) " +
                   fill.format(key="CAST(printf('media/%08d.mp4', i) AS BLOB)", n="i", series="n"), (keys - 1,))
        db.commit(); db.close()
    else:
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", pgport, "-U", "xos", "-d", "xos_single", "-qc",
            fill.format(key="convert_to(format('media/%s.mp4', lpad(i::text, 8, '0')), 'UTF8')", n="i",
                        series=f"generate_series(0, {keys - 1}) AS i")], check=True)
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", pgport, "-U", "xos", "-d", "xos_single", "-qc", "ANALYZE objects"], check=True)
    page = s3.list_objects_v2(Bucket="million", MaxKeys=1000)
    assert page["KeyCount"] == 1000 and page["IsTruncated"]
    url = urllib.parse.urlsplit(s3.generate_presigned_url("list_objects_v2", Params={"Bucket": "million", "MaxKeys": 1000}, ExpiresIn=3600))
    conn = http.client.HTTPConnection("127.0.0.1", int(port))
    times = []
    for _ in range(51):
        t = time.perf_counter()
        conn.request("GET", url.path + "?" + url.query)
        response = conn.getresponse(); body = response.read()
        times.append((time.perf_counter() - t) * 1000)
        assert response.status == 200 and body.count(b"<Key>") == 1000
    times = sorted(times[1:])
    print(f"{name:<10} first page of {keys:,} keys (1000 keys, {len(body):,} bytes, request to last byte): median {times[25]:.1f} ms, p90 {times[45]:.1f} ms")
EOF

echo
echo "== one gateway: SQLite (first) against PostgreSQL"
$xos bench compare "$out/sqlite-1gw.json" "$out/postgres-1gw.json" | tee "$out/stores.txt"
echo "== haproxy in front of 1, 2 and 3 gateways on PostgreSQL ($(nproc) cores shared by the client, haproxy, the gateways and PostgreSQL)"
$xos bench compare "$out/haproxy-1gw.json" "$out/haproxy-2gw.json" "$out/haproxy-3gw.json" | tee "$out/gateways.txt"
$xos bench report "$out/report.html" "$out/sqlite-1gw.json" "$out/postgres-1gw.json" "$out/haproxy-1gw.json" "$out/haproxy-2gw.json" "$out/haproxy-3gw.json" >/dev/null
echo "results in $out"
