#!/usr/bin/env bash
# What an operator installs and a newcomer runs, tried as they would:
#  1. the README's first command, exactly as written, on a clean clone: it starts without launch-settings or Kestrel
#     warnings, keeps its data in ./data as the README says, and leaves `git status` clean;
#  2. the single-file executable from scripts/publish.sh, run where no .NET can be found, driven by awscli, its start-up
#     time printed, stopped by SIGTERM within the service unit's TimeoutStopSec;
#  3. deploy/xos.service, checked by `systemd-analyze verify`;
#  4. a mistyped option refused before anything starts; `xos completion bash` completing in a real bash.
# Prints "ok - ..." / "not ok - ..." lines and "install: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
work=$(mktemp -d /tmp/xos-install-XXXXXX)
passed=0 failed=0
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 -- "-$p" "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | tail -20; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
. scripts/free-port.sh
wait_ready() { # wait_ready PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return 0; sleep 0.1; done
  return 1
}
export AK=XOSINSTALLTESTKEY001 SK=xos-install-test-secret-000000000000000

# --- 1. The README's first command on a clean clone --------------------------------------------------------------------
clone="$work/clone"
git clone -q "$repo" "$clone"
first=$(awk '/^```sh/{f=1; next} f{print; exit}' README.md)
echo "# README's first command: $first"
port=$(free_port)
( cd "$clone" && exec setsid env XOS_ADDRESS="127.0.0.1:$port" XOS_ROOT_ACCESS_KEY=$AK XOS_ROOT_SECRET_KEY=$SK bash -c "exec $first" ) >"$work/first.log" 2>&1 &
pids+=($!)
if wait_ready "$port" 420; then
  ok "the README's first command starts the server on a clean clone"
  check "it prints no launch-settings line and no warning" bash -c "! grep -Eiq 'launch settings|overriding|warn|warning' '$work/first.log'"
  check "its data folder is ./data of the folder it was run from" grep -q "data folder : $clone/data " "$work/first.log"
  check "nothing it creates shows up in git status" test -z "$(git -C "$clone" status --porcelain)"
  kill -TERM -- "-${pids[-1]}" 2>/dev/null
else
  not_ok "the README's first command starts the server on a clean clone" "$work/first.log"
fi

# --- 2. The self-contained single file ---------------------------------------------------------------------------------
if OUT="$work/out" scripts/publish.sh linux-x64 >"$work/publish.log" 2>&1; then
  ok "scripts/publish.sh builds one self-contained file ($(tail -1 "$work/publish.log"))"
else
  not_ok "scripts/publish.sh builds one self-contained file" "$work/publish.log"
fi
xos="$work/out/linux-x64/xos"
check "the published folder holds the executable alone" test "$(ls "$work/out/linux-x64")" = xos
# No .NET anywhere it could look: no dotnet on PATH, DOTNET_ROOT pointing nowhere, HOME empty.
nodotnet=(env -i PATH=/nonexistent DOTNET_ROOT=/nonexistent HOME="$work/home" DOTNET_BUNDLE_EXTRACT_BASE_DIR="$work/extract"
  XOS_ROOT_ACCESS_KEY=$AK XOS_ROOT_SECRET_KEY=$SK)
version=$("${nodotnet[@]}" "$xos" --version 2>&1)
check "xos --version prints the version and the commit ($version)" bash -c "[[ '$version' =~ ^xos\ [0-9.]+\ \(commit\ [0-9a-f]{12}\)$ ]]"
port=$(free_port)
start=$(date +%s%N)
( cd "$work" && exec setsid "${nodotnet[@]}" "$xos" server --data "$work/published-data" --address "127.0.0.1:$port" ) >"$work/published.log" 2>&1 &
server=$!
pids+=($server)
if wait_ready "$port" 60; then
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  ok "the published file serves without .NET (ready in $ms ms, first start)"
  check "no file of an installed .NET is mapped into it" bash -c "! grep -q '/usr/share/dotnet\|/usr/lib/dotnet' /proc/$server/maps"
  check "its banner names the same version and commit" grep -q "version     : ${version#xos }" "$work/published.log"
  aws=(env AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 AWS_CA_BUNDLE= /usr/bin/aws --endpoint-url "http://127.0.0.1:$port")
  head -c 3000000 /dev/urandom >"$work/body"
  if "${aws[@]}" s3api create-bucket --bucket media >"$work/aws.log" 2>&1 \
     && "${aws[@]}" s3 cp "$work/body" s3://media/video.mp4 >>"$work/aws.log" 2>&1 \
     && "${aws[@]}" s3 cp s3://media/video.mp4 "$work/back" >>"$work/aws.log" 2>&1 && cmp -s "$work/body" "$work/back"; then
    ok "awscli creates a bucket, uploads 3 MB and reads them back byte for byte from the published file"
  else
    not_ok "awscli creates a bucket, uploads 3 MB and reads them back byte for byte from the published file" "$work/aws.log"
  fi
  # SIGTERM with a request in flight: the service unit gives it TimeoutStopSec.
  stop_limit=$(sed -n 's/^TimeoutStopSec=//p' deploy/xos.service)
  "${aws[@]}" s3 cp "$work/body" s3://media/late.mp4 >/dev/null 2>&1 &
  sleep 0.2
  stopped=$(date +%s)
  kill -TERM "$server"
  wait "$server"; code=$?
  check "SIGTERM stops it with exit code 0 ($code) within TimeoutStopSec=$stop_limit ($(( $(date +%s) - stopped )) s)" \
    test "$code" -eq 0 -a $(( $(date +%s) - stopped )) -le "${stop_limit:-0}"
  check "the shutdown closed the database cleanly (no WAL left behind)" test ! -s "$work/published-data/metadata.db-wal"
else
  not_ok "the published file serves without .NET" "$work/published.log"
fi

# --- 3. The service unit ------------------------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  sed "s#^ExecStart=/usr/local/bin/xos #ExecStart=$xos #; s#^EnvironmentFile=/etc/xos/xos.env#EnvironmentFile=-/etc/xos/xos.env#" deploy/xos.service >"$work/xos.service"
  systemd-analyze verify "$work/xos.service" >"$work/verify.log" 2>&1; code=$?
  check "systemd-analyze verify accepts deploy/xos.service without a word" test "$code" -eq 0 -a ! -s "$work/verify.log"
  [ "$code" -eq 0 -a ! -s "$work/verify.log" ] || sed 's/^/    /' "$work/verify.log"
  for directive in 'User=xos' 'EnvironmentFile=/etc/xos/xos.env' 'ExecStart=/usr/local/bin/xos server --data /var/lib/xos' 'Restart=on-failure' \
      'ProtectSystem=strict' 'ReadWritePaths=/var/lib/xos' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'LimitNOFILE=' 'TimeoutStopSec='; do
    grep -q "^$directive" deploy/xos.service || not_ok "deploy/xos.service has $directive"
  done
else
  not_ok "systemd-analyze is installed (Debian's systemd package)"
fi

# --- 4. Typos and completion --------------------------------------------------------------------------------------------
mkdir -p "$work/cwd" "$work/bin"
port=$(free_port)
( cd "$work/cwd" && "${nodotnet[@]}" "$xos" server --adress "127.0.0.1:$port" ) >"$work/typo.out" 2>"$work/typo.err"; code=$?
check "server --adress is refused with exit code 2 ($code)" test "$code" -eq 2
check "in one line naming the nearest option ($(cat "$work/typo.err"))" bash -c "[ \$(wc -l <'$work/typo.err') -eq 1 ] && grep -q \"unknown option '--adress'; did you mean '--address'?\" '$work/typo.err'"
check "and before anything starts (no data folder, nothing listening)" bash -c "[ ! -e '$work/cwd/data' ] && ! curl -s 'http://127.0.0.1:$port/' >/dev/null"
ln -s "$xos" "$work/bin/xos"
complete_at() { # complete_at "COMMAND LINE": the candidates bash's completion offers for the last word
  PATH="$work/bin:$PATH" DOTNET_BUNDLE_EXTRACT_BASE_DIR="$work/extract" bash -c '
    eval "$(xos completion bash)"
    COMP_LINE=$1; COMP_POINT=${#1}; read -ra COMP_WORDS <<<"$1"; [[ $1 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _xos_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$1"
}
word=$(complete_at 'xos ser'); check "bash completes 'xos ser' to '$word'" test "$word" = server
word=$(complete_at 'xos server --add'); check "bash completes 'xos server --add' to '$word'" test "$word" = --address
words=$(complete_at 'xos admin ' | tr '\n' ' '); check "bash offers admin's commands after 'xos admin ': $words" bash -c "[[ ' $words' == *' user '* && ' $words' == *' kms '* ]]"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
