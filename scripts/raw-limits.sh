#!/usr/bin/env bash
# The machine's raw limits, to put next to `xos bench` numbers: sequential file write with fsync,
# file read, and a loopback TCP transfer. Usage: scripts/raw-limits.sh [DIR] [MiB]
set -euo pipefail
dir=${1:-${TMPDIR:-/tmp}}
mib=${2:-1024}
file=$(mktemp -p "$dir" raw-limits.XXXXXX)
trap 'rm -f "$file"' EXIT

echo "== disk write, ${mib} MiB, 1 MiB blocks, fsync at end (dd conv=fsync)"
dd if=/dev/zero of="$file" bs=1M count="$mib" conv=fsync 2>&1 | tail -1
echo "== disk write, 4 KiB files with fsync each (like small PUTs), 2000 files"
small=$(mktemp -d -p "$dir" raw-small.XXXXXX)
start=$(date +%s.%N)
for i in $(seq 1 2000); do dd if=/dev/zero of="$small/$i" bs=4k count=1 conv=fsync status=none; done
end=$(date +%s.%N)
echo "$(echo "2000 / ($end - $start)" | bc -l | xargs printf '%.0f') files/s"
rm -rf "$small"
echo "== disk read (page cache), ${mib} MiB"
dd if="$file" of=/dev/null bs=1M 2>&1 | tail -1
echo "== loopback TCP, ${mib} MiB"
python3 - "$mib" <<'PY'
import socket, sys, threading, time
mib = int(sys.argv[1])
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
def sink():
    c, _ = srv.accept()
    buf = bytearray(1 << 20)
    while c.recv_into(buf): pass
t = threading.Thread(target=sink); t.start()
s = socket.create_connection(("127.0.0.1", port))
chunk = b"\0" * (1 << 20)
t0 = time.perf_counter()
for _ in range(mib): s.sendall(chunk)
s.close(); t.join()
dt = time.perf_counter() - t0
print(f"{mib / dt:.0f} MiB/s")
PY
