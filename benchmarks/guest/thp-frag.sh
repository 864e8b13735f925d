#!/bin/sh
# Guest side of thp-frag, thp-frag-cache and mthp-64k (see their scenario
# files). $1 is the setting: pN = proactiveness N during the run.
#
# Two measurements on the same kind of fragmentation, each on memory
# fragmented afresh: THP faults from user space (thpalloc: what an
# application sees, zeroing included), then, with KALLOC_ALLOCS > 0, the
# allocation alone timed in the kernel (khugehog.ko, as the 2020 figures
# were). Floors for both on unfragmented memory right after boot.
. /bench/lib.sh
THP=/sys/kernel/mm/transparent_hugepage
p=${1#p}

thp_setup
# Only the size under test is enabled (mthp-64k turns 2 MiB THP off).
if [ "$THP_SIZE_KB" != 2048 ]; then
	set_knob $THP/hugepages-2048kB/enabled never
	set_knob "$THP/hugepages-${THP_SIZE_KB}kB/enabled" always
fi
guest_info
order=0 pages=$((THP_SIZE_KB / 4))
while [ $pages -gt 1 ]; do pages=$((pages / 2)); order=$((order + 1)); done
cache=
[ "$CACHE_FILES_PER_CHUNK" = 0 ] || cache="-c /tmp/fragcache -f $CACHE_FILES_PER_CHUNK"

# fragmented PHASE: fill to the margin, release 3/4 of every 2 MiB chunk,
# wait WAIT_SEC (proactive compaction's head start); $BG holds it
fragmented() {
	# shellcheck disable=SC2086
	start "$1" /tmp/frag.out /tmp/frag.ready fragment -F "$FILL_MARGIN_MIB" $cache -r /tmp/frag.ready &&
		sleep "$WAIT_SEC"
}

# Floors: nothing is fragmented yet, nothing to compact.
proactiveness 0
run floor thpalloc -s "$THP_SIZE_KB" -c "$FLOOR_FAULTS"
[ "$KALLOC_ALLOCS" = 0 ] || kalloc kfloor "$FLOOR_FAULTS" "$order"

# PROACTIVE_ORDER (mthp-64k): vm.compaction_proactive_order, the opt-in
# of v2 10/12, where the kernel has it; the unpatched base has not, and
# its setting says "absent"
porder=absent
if [ -e /proc/sys/vm/compaction_proactive_order ]; then
	[ -z "${PROACTIVE_ORDER:-}" ] ||
		set_knob /proc/sys/vm/compaction_proactive_order "$PROACTIVE_ORDER"
	porder=$(cat /proc/sys/vm/compaction_proactive_order)
fi
proactiveness "$p" && applied "$1" proactiveness="$(cat /proc/sys/vm/compaction_proactiveness)" proactive_order="$porder"
vmstat_snap /tmp/vm.before
if fragmented frag; then
	run faults thpalloc -s "$THP_SIZE_KB" -c "$FAULTS"
	vmstat_snap /tmp/vm.after
	vmstat_delta run /tmp/vm.before /tmp/vm.after
	stop frag /tmp/frag.out $BG
fi

if [ "$KALLOC_ALLOCS" != 0 ]; then
	vmstat_snap /tmp/vm.before
	if fragmented kfrag; then
		kalloc kalloc "$KALLOC_ALLOCS" "$order"
		vmstat_snap /tmp/vm.after
		vmstat_delta krun /tmp/vm.before /tmp/vm.after
		stop kfrag /tmp/frag.out $BG
	fi
fi
bench_end
