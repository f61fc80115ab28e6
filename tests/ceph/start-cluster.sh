#!/usr/bin/env bash
# Starts a one-node Ceph cluster (one monitor, one manager, BlueStore OSDs on sparse files) in DIR, on free loopback
# ports, with cephx authentication as in production, and creates the pools named after DIR (size 1, 8 placement groups).
# Writes DIR/ceph.conf for clients (the `ceph`/`rados` tools are client.admin through its [client] keyring) and
# DIR/client.xos.keyring: the user client.xos with exactly the capabilities docs/deployment.md documents
# (mon 'allow r', osd 'allow rw pool=P' for each pool P), for `xos --blobs rados://POOL?conf=..&keyring=..`.
#   --osds N          N OSDs (default 1). With more than one, replicated pools stay on osd.0 alone (a CRUSH rule
#                     on its device class), so stopping osd.0 still takes every replicated pool down.
#   --ec-pool NAME    also an erasure-coded pool NAME (profile xos-ec: k=2 m=1, failure domain osd; needs --osds 3),
#                     without allow_ec_overwrites, the strictest kind; client.xos may use it too.
# For tests and benchmarks only. Stop it with tests/ceph/stop-cluster.sh DIR (by the daemons' pid files).
#   usage: [XOS_CEPH_OWNER_PID=PID] start-cluster.sh DIR [--osds N] [--ec-pool NAME] [POOL...]
set -euo pipefail
dir=$(realpath -m "${1:?usage: start-cluster.sh DIR [--osds N] [--ec-pool NAME] [POOL...]}")
shift
osds=1; ec_pools=()
while [ $# -gt 0 ]; do
  case "$1" in
    --osds) osds=$2; shift 2 ;;
    --ec-pool) ec_pools+=("$2"); shift 2 ;;
    *) break ;;
  esac
done
[ ${#ec_pools[@]} -eq 0 ] || [ "$osds" -ge 3 ] || { echo "start-cluster.sh: --ec-pool needs --osds 3 (k=2 m=1 puts each shard on its own OSD)" >&2; exit 2; }
for tool in ceph-mon ceph-mgr ceph-osd ceph monmaptool ceph-authtool; do
  command -v "$tool" >/dev/null || { echo "start-cluster.sh: $tool not found (Debian's ceph-mon ceph-mgr ceph-osd ceph-common; scripts/install-test-deps.sh installs them)" >&2; exit 3; }
done
mkdir -p "$dir"/{mon,mgr,osd,run,log}
. "$(dirname "$0")/../../scripts/free-port.sh"
p2=$(free_port); p1=$(free_port)
while [ "$p1" = "$p2" ]; do p1=$(free_port); done
fsid=$(uuidgen)
conf="$dir/ceph.conf"
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon_initial_members = a
mon_host = [v2:127.0.0.1:$p2,v1:127.0.0.1:$p1]
public_network = 127.0.0.1/32
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_autoscale_mode = off
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
run_dir = $dir/run
log_file = $dir/log/\$name.log
admin_socket = $dir/run/\$name.asok
pid_file = $dir/run/\$name.pid
mon_data = $dir/mon/\$cluster-\$id
mgr_data = $dir/mgr/\$cluster-\$id
osd_data = $dir/osd/\$cluster-\$id
osd_objectstore = bluestore
bluestore_block_create = true
bluestore_block_size = 21474836480
bluestore_block_path = $dir/osd/\$cluster-\$id.block
osd_memory_target = 1073741824
bluestore_cache_autotune = true
osd_op_num_shards = 2
osd_op_num_threads_per_shard = 1
ms_bind_ipv4 = true
ms_bind_ipv6 = false
debug_ms = 0
[client]
keyring = $dir/ceph.client.admin.keyring
CONF

# XOS_CEPH_OWNER_PID: a process (the test run) whose end stops the cluster, however it ends.
if [ -n "${XOS_CEPH_OWNER_PID:-}" ]; then
  stop="$(dirname "$(realpath "$0")")/stop-cluster.sh"
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; "$2" "$3" --now' watch "$XOS_CEPH_OWNER_PID" "$stop" "$dir" </dev/null >/dev/null 2>&1 &
fi
monmaptool --create --addv a "[v2:127.0.0.1:$p2,v1:127.0.0.1:$p1]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-authtool --create-keyring "$dir/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$dir/ceph.client.admin.keyring" --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$dir/mon.keyring" --import-keyring "$dir/ceph.client.admin.keyring" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/mon.keyring"
ceph-mon -c "$conf" -i a
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local until=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $until ]; then echo "start-cluster.sh: $what did not happen within ${limit}s (logs in $dir/log)" >&2; exit 1; fi
    sleep 1
  done
}
wait_for 60 "the monitor answering" timeout 10 ceph -c "$conf" -s
mkdir -p "$dir/mgr/ceph-a"
ceph -c "$conf" auth get-or-create mgr.a mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$dir/mgr/ceph-a/keyring" >/dev/null
ceph-mgr -c "$conf" -i a
for _ in $(seq "$osds"); do
  osd_uuid=$(uuidgen)
  secret=$(ceph-authtool --gen-print-key)
  id=$(echo "{\"cephx_secret\": \"$secret\"}" | ceph -c "$conf" osd new "$osd_uuid" -i -)
  mkdir -p "$dir/osd/ceph-$id"
  ceph-authtool --create-keyring "$dir/osd/ceph-$id/keyring" --name "osd.$id" --add-key "$secret" >/dev/null
  ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 || { echo "start-cluster.sh: ceph-osd --mkfs failed (log in $dir/log)" >&2; exit 1; }
  ceph-osd -c "$conf" -i "$id" 2>>"$dir/log/osd-start.err"
done
osd_up() { ceph -c "$conf" osd stat 2>/dev/null | grep -q " $osds up"; }
wait_for 120 "the OSDs coming up" osd_up
rule=()
if [ "$osds" -gt 1 ]; then
  # Replicated pools on osd.0 alone: its own device class and a rule that takes only that class.
  ceph -c "$conf" osd crush rm-device-class osd.0 >/dev/null 2>&1
  ceph -c "$conf" osd crush set-device-class first osd.0 >/dev/null 2>&1
  ceph -c "$conf" osd crush rule create-replicated on-osd0 default osd first >/dev/null
  rule=(on-osd0)
fi
caps=""
for pool in "$@"; do
  ceph -c "$conf" osd pool create "$pool" 8 8 replicated "${rule[@]}" >/dev/null 2>&1
  ceph -c "$conf" osd pool set "$pool" size 1 --yes-i-really-mean-it >/dev/null 2>&1
  ceph -c "$conf" osd pool application enable "$pool" xos >/dev/null 2>&1 || true
  caps="${caps:+$caps, }allow rw pool=$pool"
done
if [ ${#ec_pools[@]} -gt 0 ]; then
  ceph -c "$conf" osd erasure-code-profile set xos-ec k=2 m=1 crush-failure-domain=osd >/dev/null
  for pool in "${ec_pools[@]}"; do
    ceph -c "$conf" osd pool create "$pool" 8 8 erasure xos-ec >/dev/null 2>&1
    ceph -c "$conf" osd pool application enable "$pool" xos >/dev/null 2>&1 || true
    caps="${caps:+$caps, }allow rw pool=$pool"
  done
fi
# The user XOS runs as, with the documented capabilities and nothing more.
[ -z "$caps" ] || ceph -c "$conf" auth get-or-create client.xos mon 'allow r' osd "$caps" -o "$dir/client.xos.keyring" >/dev/null
pools_clean() { ceph -c "$conf" pg stat 2>/dev/null | grep -Eq '^[0-9]+ pgs: [0-9]+ active\+clean;' ; }
[ $# -eq 0 ] && [ ${#ec_pools[@]} -eq 0 ] || wait_for 120 "the pools' placement groups becoming active+clean" pools_clean
echo "$conf"
