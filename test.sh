#!/usr/bin/env bash
# Runs every test: xunit unit and integration tests (real xos processes driven by AWSSDK.S3), once on the embedded
# SQLite store and once more on PostgreSQL (a real server from Debian's package, started by the tests),
# then the Node suite (the SDK guide's examples through aws-sdk v2), then awscli, s3cmd and boto3, then the ceph/s3-tests
# that tests/conformance/must-pass.txt lists (when the suite is beside the project, as in CI).
set -uo pipefail
cd "$(dirname "$0")"

scripts/install-test-deps.sh || exit 1
dotnet build xos.slnx -c Release -nologo -v quiet || exit 1

dotnet_log=$(mktemp)
dotnet test tests/Xos.Tests -c Release --no-build -nologo 2>&1 | tee "$dotnet_log"
dotnet_status=${PIPESTATUS[0]}

# The same classes against PostgreSQL; the unit tests do not start servers and ran above.
postgres_log=$(mktemp)
XOS_TEST_METADATA=postgres dotnet test tests/Xos.Tests -c Release --no-build -nologo --filter 'FullyQualifiedName~Integration' 2>&1 | tee "$postgres_log"
postgres_status=${PIPESTATUS[0]}

node_log=$(mktemp)
XOS_DLL="$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll" npm --prefix tests/node test 2>&1 | tee "$node_log"
node_status=${PIPESTATUS[0]}

clients_log=$(mktemp)
tests/clients/run.sh "$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll" 2>&1 | tee "$clients_log"
clients_status=${PIPESTATUS[0]}

conformance_log=$(mktemp)
tests/conformance/run.sh "$PWD/src/Xos.Server/bin/Release/net10.0/xos.dll" 2>&1 | tee "$conformance_log"
conformance_status=${PIPESTATUS[0]}

count() { grep -Eo "$1" "$2" | grep -Eo '[0-9]+' | tail -1; }
passed=$(( $(count 'Passed: +[0-9]+' "$dotnet_log" || echo 0) + $(count 'Passed: +[0-9]+' "$postgres_log" || echo 0) + $(count '^# pass [0-9]+' "$node_log" || echo 0) + $(count 'clients: [0-9]+ passed' "$clients_log" || echo 0) + $(count 'conformance: [0-9]+ passed' "$conformance_log" || echo 0) ))
failed=$(( $(count 'Failed: +[0-9]+' "$dotnet_log" || echo 0) + $(count 'Failed: +[0-9]+' "$postgres_log" || echo 0) + $(count '^# fail [0-9]+' "$node_log" || echo 0) + $(count 'passed, [0-9]+ failed' "$clients_log" || echo 0) + $(count 'conformance: [0-9]+ passed, [0-9]+ failed' "$conformance_log" || echo 0) ))
failures=$( { grep -E '^\s*Failed [A-Za-z]' "$dotnet_log"; grep -E '^\s*Failed [A-Za-z]' "$postgres_log" | sed 's/$/ (PostgreSQL)/'; grep -E '^not ok' "$node_log"; grep -E '^FAIL|^not ok' "$clients_log"; grep -E '^FAILED' "$conformance_log"; } 2>/dev/null | sed 's/^\s*/  /' | head -40)
rm -f "$dotnet_log" "$postgres_log" "$node_log" "$clients_log" "$conformance_log"

echo
echo "exit codes: dotnet $dotnet_status, dotnet on PostgreSQL $postgres_status, node $node_status, clients $clients_status, conformance $conformance_status"
echo "$passed passed, $failed failed"
[ -n "$failures" ] && printf 'failed:\n%s\n' "$failures"
[ "$dotnet_status" -eq 0 ] && [ "$postgres_status" -eq 0 ] && [ "$node_status" -eq 0 ] && [ "$clients_status" -eq 0 ] && [ "$conformance_status" -eq 0 ] && [ "$failed" -eq 0 ]
