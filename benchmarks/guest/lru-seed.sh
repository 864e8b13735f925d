#!/bin/sh
# Guest side of lru-seed (see its scenario file). $1 is the setting:
# classic (MGLRU off) or mglru.
. /bench/lib.sh
CG=/sys/fs/cgroup

thp_setup
guest_info
LG=/sys/kernel/mm/lru_gen/enabled
case "$1" in
classic) set_knob $LG 0 0x0000 ;;
mglru)
	echo y >$LG
	[ "$(cat $LG)" != 0x0000 ] || fail setup "MGLRU did not turn on ($LG reads $(cat $LG))"
	;;
*) fail setup "unknown setting $1" ;;
esac

mkdir -p $CG
mount -t cgroup2 none $CG 2>/dev/null
echo +memory >$CG/cgroup.subtree_control
grep -qw memory $CG/cgroup.subtree_control || fail setup "no memory controller in $CG"
mkdir -p $CG/lruseed
set_knob $CG/lruseed/memory.max $((LIMIT_MIB * 1024 * 1024))
echo $((ZRAM_MIB * 1024 * 1024)) >/sys/block/zram0/disksize &&
	mkswap /dev/zram0 >/dev/null && swapon /dev/zram0 ||
	fail setup "swap on zram"
grep -q '^/dev/zram0 ' /proc/swaps || fail setup "no swap on zram0"
applied "$1" lru_gen="$(cat $LG)" memory_max="$(cat $CG/lruseed/memory.max)" \
	swap="$(awk '$1 == "/dev/zram0" { print $3 }' /proc/swaps) KiB"
vmstat_snap /tmp/vm.before
run lru lruseed -g $CG/lruseed -u "$UNIT_MIB" -H "$HOT_UNITS" -S "$STREAM_UNITS" \
	-s "$STREAMS" -w "$WARM" -e "$EVERY"
vmstat_snap /tmp/vm.after
vmstat_delta run /tmp/vm.before /tmp/vm.after
# The limit must have bitten, or the "refaults" are zeros that mean nothing
out=$(awk '$1 == "pswpout" { print $2 }' /tmp/vm.after)
[ "$out" -gt "$(awk '$1 == "pswpout" { print $2 }' /tmp/vm.before)" ] ||
	fail lru "nothing was swapped out: the cgroup limit did not bite"
swapoff /dev/zram0
bench_end
