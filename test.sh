#!/usr/bin/env bash
# Runs every test: xunit unit and integration tests (real xos processes driven by AWSSDK.S3), once on the embedded
# SQLite store, once more on PostgreSQL (a real server from Debian's package, started by the tests), and the object-data classes on
# Ceph RADOS with PostgreSQL (a one-node cluster the tests start),
# then the Node suite (the SDK guide's examples through aws-sdk v2), then awscli, s3cmd and boto3, and the ceph/s3-tests
# that tests/conformance/must-pass.txt lists (when the suite is beside the project, as in CI).
# The ceph/s3-tests run against a server of their own while the other phases run, since each phase mostly waits on
# its own server; XOS_TEST_SERIAL=1 runs them one after the other.
set -uo pipefail
cd "$(dirname "$0")"

SECONDS=0
cpu_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; } # busy and total jiffies of all cores
read -r busy_start total_start < <(cpu_ticks)
times_file=$(mktemp)
timed() { # timed NAME COMMAND...: runs the command and notes how long it took (also inside a pipeline's subshell)
  local name=$1 start=$SECONDS; shift
  "$@"; local status=$?
  echo "$name $((SECONDS - start))s" >>"$times_file"
  return $status
}

timed install scripts/install-test-deps.sh || exit 1
timed build dotnet build xos.slnx -c Release -nologo -v quiet || exit 1
dll="$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll"

conformance_log=$(mktemp)
conformance_status_file=$(mktemp)
run_conformance() {
  local start=$SECONDS
  tests/conformance/run.sh "$dll" >"$conformance_log" 2>&1
  echo "$? $((SECONDS - start))" >"$conformance_status_file"
}
if [ "${XOS_TEST_SERIAL:-}" = 1 ]; then run_conformance; else run_conformance & conformance_pid=$!; fi

# What an operator installs (the published single file, the service unit) and the README's first command on a clean
# clone: mostly building, so it runs beside the other phases.
install_log=$(mktemp)
install_status_file=$(mktemp)
run_install() {
  local start=$SECONDS
  tests/install/run.sh >"$install_log" 2>&1
  echo "$? $((SECONDS - start))" >"$install_status_file"
}
if [ "${XOS_TEST_SERIAL:-}" = 1 ]; then run_install; else run_install & install_pid=$!; fi

dotnet_log=$(mktemp)
timed "xunit" dotnet test tests/Xos.Tests -c Release --no-build -nologo 2>&1 | tee "$dotnet_log"
dotnet_status=${PIPESTATUS[0]}

# The Node suite (the SDK guide's examples, the console in Chromium) and the command-line clients run beside the
# PostgreSQL and RADOS passes: by then the conformance run is mostly done and each of these mostly waits on its servers.
node_log=$(mktemp)
clients_log=$(mktemp)
clients_status_file=$(mktemp)
run_clients() {
  timed node env XOS_DLL="$dll" npm --prefix tests/node test >"$node_log" 2>&1
  local node=$?
  timed clients tests/clients/run.sh "$dll" >"$clients_log" 2>&1
  echo "$node $?" >"$clients_status_file"
}
if [ "${XOS_TEST_SERIAL:-}" = 1 ]; then run_clients; else run_clients & clients_pid=$!; fi

# The same classes against PostgreSQL; the unit tests do not start servers and ran above, and media processing and the
# benchmark (CPU-heavy, and nothing in them depends on the metadata engine beyond plain PUTs and GETs) ran above too.
postgres_log=$(mktemp)
timed "xunit-postgres" env XOS_TEST_METADATA=postgres dotnet test tests/Xos.Tests -c Release --no-build -nologo \
  --filter 'FullyQualifiedName~Integration&FullyQualifiedName!~Integration.Media.&FullyQualifiedName!~Integration.BenchTests' 2>&1 | tee "$postgres_log"
postgres_status=${PIPESTATUS[0]}

# The object-data classes again with bodies in Ceph RADOS (a one-node cluster the tests start) and metadata in PostgreSQL:
# gateways that share no filesystem, on the erasure-coded pool (k=2 m=1, no overwrites: the stricter one). The Rados*
# classes themselves ran in the first pass, on the replicated pool.
rados_log=$(mktemp)
timed "xunit-rados" env XOS_TEST_METADATA=postgres XOS_TEST_BLOBS=rados XOS_TEST_RADOS_POOL=xos-tests-ec dotnet test tests/Xos.Tests -c Release --no-build -nologo \
  --filter 'FullyQualifiedName~Integration.ObjectTests|FullyQualifiedName~Integration.MultipartTests|FullyQualifiedName~Integration.EncryptionTests|FullyQualifiedName~Integration.VersioningTests|FullyQualifiedName~Integration.ChecksumTests|FullyQualifiedName~Integration.CustomerKeyTests|FullyQualifiedName~Integration.ConditionalWriteTests' 2>&1 | tee "$rados_log"
rados_status=${PIPESTATUS[0]}

[ -n "${clients_pid:-}" ] && wait "$clients_pid"
cat "$node_log" "$clients_log"
read -r node_status clients_status <"$clients_status_file" || { node_status=1; clients_status=1; }

[ -n "${conformance_pid:-}" ] && wait "$conformance_pid"
cat "$conformance_log"
read -r conformance_status conformance_seconds <"$conformance_status_file" || { conformance_status=1; conformance_seconds=0; }
echo "conformance ${conformance_seconds}s" >>"$times_file"

[ -n "${install_pid:-}" ] && wait "$install_pid"
cat "$install_log"
read -r install_status install_seconds <"$install_status_file" || { install_status=1; install_seconds=0; }
echo "install ${install_seconds}s" >>"$times_file"

count() { grep -Eo "$1" "$2" | grep -Eo '[0-9]+' | tail -1; }
passed=$(( $(count 'Passed: +[0-9]+' "$dotnet_log" || echo 0) + $(count 'Passed: +[0-9]+' "$postgres_log" || echo 0) + $(count 'Passed: +[0-9]+' "$rados_log" || echo 0) + $(count '^# pass [0-9]+' "$node_log" || echo 0) + $(count 'clients: [0-9]+ passed' "$clients_log" || echo 0) + $(count 'conformance: [0-9]+ passed' "$conformance_log" || echo 0) + $(count 'install: [0-9]+ passed' "$install_log" || echo 0) ))
failed=$(( $(count 'Failed: +[0-9]+' "$dotnet_log" || echo 0) + $(count 'Failed: +[0-9]+' "$postgres_log" || echo 0) + $(count 'Failed: +[0-9]+' "$rados_log" || echo 0) + $(count '^# fail [0-9]+' "$node_log" || echo 0) + $(count 'passed, [0-9]+ failed' "$clients_log" || echo 0) + $(count 'conformance: [0-9]+ passed, [0-9]+ failed' "$conformance_log" || echo 0) + $(count 'install: [0-9]+ passed, [0-9]+ failed' "$install_log" || echo 0) ))
failures=$( { grep -E '^\s*Failed [A-Za-z]' "$dotnet_log"; grep -E '^\s*Failed [A-Za-z]' "$postgres_log" | sed 's/$/ (PostgreSQL)/'; grep -E '^\s*Failed [A-Za-z]' "$rados_log" | sed 's/$/ (RADOS)/'; grep -E '^not ok' "$node_log"; grep -E '^FAIL|^not ok' "$clients_log"; grep -E '^FAILED' "$conformance_log"; grep -E '^not ok' "$install_log"; } 2>/dev/null | sed 's/^\s*/  /' | head -40)
rm -f "$dotnet_log" "$postgres_log" "$rados_log" "$node_log" "$clients_log" "$clients_status_file" "$conformance_log" "$conformance_status_file" "$install_log" "$install_status_file"

echo
echo "exit codes: dotnet $dotnet_status, dotnet on PostgreSQL $postgres_status, dotnet on RADOS $rados_status, node $node_status, clients $clients_status, conformance $conformance_status, install $install_status"
read -r busy_end total_end < <(cpu_ticks)
echo "times: $(paste -sd, "$times_file" | sed 's/,/, /g'), total ${SECONDS}s, CPU busy $(( 100 * (busy_end - busy_start) / (total_end - total_start + 1) ))% of $(nproc) cores"
echo "$passed passed, $failed failed"
rm -f "$times_file"
[ -n "$failures" ] && printf 'failed:\n%s\n' "$failures"
[ "$dotnet_status" -eq 0 ] && [ "$postgres_status" -eq 0 ] && [ "$rados_status" -eq 0 ] && [ "$node_status" -eq 0 ] && [ "$clients_status" -eq 0 ] && [ "$conformance_status" -eq 0 ] && [ "$install_status" -eq 0 ] && [ "$failed" -eq 0 ]
