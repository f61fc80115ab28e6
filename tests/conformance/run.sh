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
# The IAM and STS tests, their standard selection: without AWS-failing tests and those that need an OpenID provider.
# test_assume_role_creds_expiry sleeps 900 s for its session to expire; ExpiredToken is tested by StsTests (xunit).
S3T_OUT="$out/iam" "$runner" "$dll" s3tests/functional/test_iam.py s3tests/functional/test_sts.py \
  -m "not fails_on_aws and not webidentity_test and not token_claims_trust_policy_test and not token_principal_tag_role_policy_test and not token_resource_tags_test and not token_tag_keys_test and not token_role_tags_test and not token_request_tag_trust_policy_test" \
  -k "not test_assume_role_creds_expiry" \
  >"$out/iam-runner.log" 2>&1
if iam_summary=$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$out/iam/pytest.log" 2>/dev/null | tail -n 1); then
  echo "ceph/s3-tests IAM and STS: $(printf '%s' "$iam_summary" | grep -Eo '[0-9]+ passed' || echo '0 passed') of their selection"
fi
[ -s "$out/iam/passing.txt" ] && cat "$out/iam/passing.txt" >>"$out/passing.txt"
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
