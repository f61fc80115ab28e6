#!/usr/bin/env bash
# Runs ceph/s3-tests (the pinned copy in ../shared/conformance beside the project) against a fresh xos server and fails
# when any test listed in must-pass.txt does not pass. Prints "conformance: N passed, M failed" for the listed tests.
# Usage: tests/conformance/run.sh PATH/TO/xos.dll [--update]
#   --update  rewrites must-pass.txt from this run's passing tests (review the diff before committing it)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dll=$(realpath "${1:?usage: run.sh PATH/TO/xos.dll [--update]}")
runner=${S3TESTS_RUNNER:-$(cd "$here/../../.." && pwd)/shared/conformance/run-s3-tests.sh}
if [ ! -x "$runner" ]; then
  echo "conformance: SKIPPED, ceph/s3-tests not found at $runner (it is beside the project in CI and on developers' machines)"
  exit 0
fi
out=$(mktemp -d)
# The suite sends SSE-C keys over plain HTTP, which the server refuses unless told to accept them.
export XOS_ALLOW_INSECURE_SSE_C=true
# The suite names two keys of the key service for its SSE-KMS tests (its kms_keyid defaults).
export XOS_KMS_KEYS=testkey-1,testkey-2
S3T_OUT="$out" "$runner" "$dll" >"$out/runner.log" 2>&1
# The whole suite's tally, worded so that no test outside must-pass.txt reads as a failure of this project's tests.
if summary=$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$out/pytest.log" | tail -n 1); then
  suite_passed=$(printf '%s' "$summary" | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || echo 0)
  echo "ceph/s3-tests: $suite_passed of the standard selection pass (must-pass.txt lists the ones that must)"
fi
if [ ! -s "$out/junit.xml" ]; then
  echo "conformance: the suite did not run (see $out/runner.log)"; cat "$out/runner.log" | tail -n 30
  echo "conformance: 0 passed, 1 failed"
  exit 1
fi
if [ "${2:-}" = "--update" ]; then
  sort -u "$out/passing.txt" >"$here/must-pass.txt"
  echo "conformance: must-pass.txt now lists $(wc -l <"$here/must-pass.txt") tests"
fi
missing=$(comm -23 <(grep -v '^#' "$here/must-pass.txt" | sort -u) <(sort -u "$out/passing.txt"))
listed=$(grep -vc '^#' "$here/must-pass.txt")
failed=$(printf '%s' "$missing" | grep -c . || true)
if [ "$failed" -gt 0 ]; then
  echo "conformance: these listed tests no longer pass:"
  printf '  %s\n' $missing
  grep -F -f <(printf '%s\n' $missing) "$out/pytest.log" | grep -E '^(FAILED|ERROR)' | cut -c1-300 | head -n 40
fi
echo "conformance: $((listed - failed)) passed, $failed failed"
if [ "$failed" -eq 0 ]; then rm -rf "$out"; else echo "conformance: logs kept in $out"; exit 1; fi
