#!/bin/sh
# Guest side of lru-seed (see its scenario file). $1 is the setting:
# classic (MGLRU off) or mglru.
. /bench/lib.sh
CG=/sys/fs/cgroup

thp_setup
guest_info
case "$1" in
classic) echo 0 >/sys/kernel/mm/lru_gen/enabled ;;
mglru) echo y >/sys/kernel/mm/lru_gen/enabled ;;
*) fail setup "unknown setting $1" ;;
esac
printf '{"phase":"setup","workload":"lru_gen","event":"info","enabled":"%s"}\n' \
	"$(cat /sys/kernel/mm/lru_gen/enabled)"

mkdir -p $CG
mount -t cgroup2 none $CG 2>/dev/null
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/lruseed
echo $((LIMIT_MIB * 1024 * 1024)) >$CG/lruseed/memory.max
echo $((ZRAM_MIB * 1024 * 1024)) >/sys/block/zram0/disksize &&
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 ||
	fail setup "swap on zram"
vmstat_snap /tmp/vm.before
run lru lruseed -g $CG/lruseed -u "$UNIT_MIB" -H "$HOT_UNITS" -S "$STREAM_UNITS" \
	-s "$STREAMS" -w "$WARM"
vmstat_snap /tmp/vm.after
vmstat_delta run /tmp/vm.before /tmp/vm.after
swapoff /dev/zram0
bench_end
