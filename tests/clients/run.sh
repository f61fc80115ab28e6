#!/usr/bin/env bash
# Drives a real xos server with the common S3 command-line clients, path-style:
# awscli v2 (Debian's /usr/bin/aws), s3cmd with Signature V4 and V2, and boto3.
# Usage: tests/clients/run.sh PATH/TO/xos.dll
set -uo pipefail
dll=${1:?usage: run.sh PATH/TO/xos.dll}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export XOS_ROOT_ACCESS_KEY=XOSCLIENTTESTKEY0001 XOS_ROOT_SECRET_KEY=client-test-secret-key-000000000000000000
ep="http://127.0.0.1:$port"
dotnet "$dll" server --data "$work/data" --address "127.0.0.1:$port" >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "$ep/health/ready" >/dev/null && break; sleep 0.2; done

passed=0; failed=0
check() { # check NAME COMMAND...: passes when the command exits 0
  local name=$1; shift
  if out=$("$@" 2>&1); then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name"; echo "$out" | tail -5 | sed 's/^/     /'; fi
}

export AWS_ACCESS_KEY_ID=$XOS_ROOT_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$XOS_ROOT_SECRET_KEY AWS_DEFAULT_REGION=us-east-1
unset AWS_CA_BUNDLE AWS_PROFILE
aws() { /usr/bin/aws --endpoint-url "$ep" "$@"; }
head -c 3000000 /dev/urandom >"$work/file.bin"
head -c 20000000 /dev/urandom >"$work/large.bin"

check "awscli create bucket" aws s3api create-bucket --bucket cli-aws
check "awscli cp upload" aws s3 cp "$work/file.bin" s3://cli-aws/dir/file.bin
check "awscli cp multipart upload (20 MB)" aws s3 cp "$work/large.bin" s3://cli-aws/large.bin
check "awscli cp download is byte-exact" bash -c "/usr/bin/aws --endpoint-url $ep s3 cp s3://cli-aws/large.bin $work/large.out && cmp $work/large.bin $work/large.out"
check "awscli ls shows the prefix" bash -c "/usr/bin/aws --endpoint-url $ep s3 ls s3://cli-aws/ | grep -q 'PRE dir/'"
check "awscli head-object" bash -c "/usr/bin/aws --endpoint-url $ep s3api head-object --bucket cli-aws --key dir/file.bin | grep -q '\"ContentLength\": 3000000'"
check "awscli sync" bash -c "mkdir -p $work/sync && cp $work/file.bin $work/sync/a && cp $work/file.bin $work/sync/b && /usr/bin/aws --endpoint-url $ep s3 sync $work/sync s3://cli-aws/sync/ && /usr/bin/aws --endpoint-url $ep s3 ls s3://cli-aws/sync/ | wc -l | grep -q 2"
check "awscli presign" bash -c "curl -sf \"\$(/usr/bin/aws --endpoint-url $ep s3 presign s3://cli-aws/dir/file.bin)\" -o $work/presigned.out && cmp $work/file.bin $work/presigned.out"
check "awscli rm --recursive and rb" bash -c "/usr/bin/aws --endpoint-url $ep s3 rm --recursive s3://cli-aws/ && /usr/bin/aws --endpoint-url $ep s3 rb s3://cli-aws"

for sig in v4 v2; do
  cfg="$work/s3cmd-$sig.cfg"
  printf '[default]\naccess_key = %s\nsecret_key = %s\nhost_base = 127.0.0.1:%s\nhost_bucket = 127.0.0.1:%s\nuse_https = False\nsignature_v2 = %s\nbucket_location = us-east-1\n' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$port" "$port" "$([ $sig = v2 ] && echo True || echo False)" >"$cfg"
  b="s3://cli-s3cmd-$sig"
  check "s3cmd $sig mb" s3cmd -c "$cfg" mb "$b"
  check "s3cmd $sig put" s3cmd -c "$cfg" put "$work/file.bin" "$b/a/file.bin"
  check "s3cmd $sig multipart put (20 MB, 5 MB chunks)" s3cmd -c "$cfg" put --multipart-chunk-size-mb=5 "$work/large.bin" "$b/large.bin"
  check "s3cmd $sig get is byte-exact" bash -c "s3cmd -c $cfg get --force $b/large.bin $work/s3cmd.out && cmp $work/large.bin $work/s3cmd.out"
  check "s3cmd $sig ls" bash -c "s3cmd -c $cfg ls $b/a/ | grep -q file.bin"
  check "s3cmd $sig info" s3cmd -c "$cfg" info "$b/a/file.bin"
  check "s3cmd $sig del and rb" bash -c "s3cmd -c $cfg del --recursive --force $b/ && s3cmd -c $cfg rb $b"
done

check "boto3 (Debian python3-boto3) round trip" /usr/bin/python3 "$here/boto3_roundtrip.py" "$ep"

# IAM with awscli: a user and key that may only read iam-cli/public/*, and a role.
iam_user_checks() {
  local ak sk
  aws s3api create-bucket --bucket iam-cli >/dev/null &&
  aws s3api put-object --bucket iam-cli --key public/a --body "$work/file.bin" >/dev/null &&
  aws s3api put-object --bucket iam-cli --key private/b --body "$work/file.bin" >/dev/null &&
  aws iam create-user --user-name cli-app --path /cli/ | grep '"Arn": "arn:aws:iam::.*:user/cli/cli-app"' >/dev/null &&
  read -r ak sk < <(aws iam create-access-key --user-name cli-app --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text) &&
  aws iam put-user-policy --user-name cli-app --policy-name read-public \
    --policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::iam-cli/public/*"}]}' &&
  AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws s3api get-object --bucket iam-cli --key public/a "$work/iam.out" >/dev/null &&
  ! AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws s3api get-object --bucket iam-cli --key private/b "$work/iam.out" 2>/dev/null &&
  ! AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws iam list-users 2>/dev/null &&
  aws iam attach-user-policy --user-name cli-app --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess &&
  AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws s3api get-object --bucket iam-cli --key private/b "$work/iam.out" >/dev/null &&
  aws iam create-role --role-name cli-role \
    --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}' |
    grep '"RoleName": "cli-role"' >/dev/null &&
  aws iam list-roles | grep cli-role >/dev/null &&
  ! aws iam delete-user --user-name cli-app 2>"$work/iam.err" && grep DeleteConflict "$work/iam.err" >/dev/null
}
check "awscli iam: user, key, put-user-policy, attach-user-policy, create-role" iam_user_checks
check "boto3 (Debian python3-boto3) iam" /usr/bin/python3 "$here/boto3_iam.py" "$ep"
if /root/.pyenv/shims/python3 -c 'import boto3' 2>/dev/null; then
  check "boto3 ($(/root/.pyenv/shims/python3 -c 'import boto3; print(boto3.__version__)')) iam" /root/.pyenv/shims/python3 "$here/boto3_iam.py" "$ep"
fi

echo
echo "clients: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
