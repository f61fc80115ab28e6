#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK and Node: the Node suite's npm packages (from its lock file),
# and from Debian's packages the clients, PostgreSQL (the tests run their own server, never the system service), haproxy,
# Redis, NATS and RabbitMQ for the event notification tests (started by the tests, never as system services), and Ceph
# (a one-node cluster the RADOS tests start in a temporary folder; radosgw only for scripts/bench-rados.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dotnet >/dev/null || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "Node.js 20 with npm is required" >&2; exit 1; }
if [ -f tests/node/package-lock.json ]; then
  stamp=tests/node/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ tests/node/package-lock.json -nt "$stamp" ]; then
    npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
  fi
fi
# The command-line clients tests/clients drives, the browser for the CORS test, and the media tools, from Debian's packages.
need=()
[ -x /usr/bin/aws ] || need+=(awscli)
command -v s3cmd >/dev/null || need+=(s3cmd)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || need+=(python3-boto3)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
# Media processing: ffmpeg/ffprobe for video/snapshot and video/info (libvips itself comes with the NetVips.Native
# package), and vipsthumbnail (libvips-tools) as the floor the media benchmark compares XOS's thumbnails with.
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v systemd-analyze >/dev/null || need+=(systemd)   # tests/install checks deploy/xos.service with it
# The brokers the event notification tests deliver to (each test starts its own on a free loopback port).
command -v redis-server >/dev/null || need+=(redis-server)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v rabbitmq-server >/dev/null || [ -x /usr/sbin/rabbitmq-server ] || need+=(rabbitmq-server)
# A one-node Ceph cluster for the RADOS blob store's tests (tests/ceph/start-cluster.sh) and its client library.
for p in ceph-mon ceph-mgr ceph-osd ceph-common librados2; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
dotnet restore xos.slnx -nologo -v quiet
