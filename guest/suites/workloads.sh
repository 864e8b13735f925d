#!/bin/sh
# The benchmark workloads (guest/tools) on a booted kernel: each one runs
# small, verifies its memory and passes; then each one runs with -C, which
# flips a byte before it verifies, and must fail. A check that cannot
# fail would let the benchmarks report numbers from lost memory.
. /tests/lib.sh

CG=/sys/fs/cgroup
THP=/sys/kernel/mm/transparent_hugepage

# ok_run OUT CMD...: CMD exits 0 and reports no changed page or file
ok_run() {
	out=$1
	shift
	"$@" >"$out" 2>&1
	st=$?
	show_file "$out"
	[ $st = 0 ] && grep -q '"event":"verified"' "$out" && ! grep -q '"corrupt_[a-z]*":[1-9]' "$out"
}
# caught OUT WANT CMD...: CMD with -C exits 1 and reports WANT (e.g.
# '"corrupt_pages":1')
caught() {
	out=$1 want=$2
	shift 2
	"$@" -C >"$out" 2>&1
	st=$?
	show_file "$out"
	[ $st = 1 ] && grep -q "$want" "$out"
}
field() { sed -n "s/.*\"$2\":\([0-9.-]*\).*/\1/p" "$1" | head -1; }

ktap_print_header
ktap_set_plan 13

# The fills of node 1 below need small per-cpu lists (see prepare_fill):
# the suites before this one freed a lot. Restored at the end.
pcp_frac=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)
echo 100000 >/proc/sys/vm/percpu_pagelist_high_fraction

# ---- fragment with page cache and slab (thp-frag-cache) ---------------------
expect "fragment_with_small_files_verifies" ok_run /tmp/w.out fragment -m 64 -c /tmp/wcache -f 4 -t 0
expect "fragment_made_the_small_files" eq "$(field /tmp/w.out small_files)" 128
expect "fragment_catches_a_changed_small_file" caught /tmp/w.out '"corrupt_files":1' \
	fragment -m 16 -c /tmp/wcache -f 2 -t 0

# ---- thpalloc: the zeroing floor ---------------------------------------------------
zero_floor() {
	ok_run /tmp/w.out thpalloc -s 2048 -c 4 || return 1
	z=$(field /tmp/w.out zero_p50_us)
	ktap_print_msg "time to zero 2 MiB: $z us"
	awk -v z="$z" 'BEGIN { exit !(z > 0) }'
}
expect "thpalloc_reports_a_zeroing_floor" zero_floor

# ---- hotset -----------------------------------------------------------------
hot_pfns() {
	ok_run /tmp/w.out hotset -m 8 -R 5 || return 1
	[ "$(field /tmp/w.out rounds)" = 5 ] && [ -n "$(field /tmp/w.out migrated_pages)" ]
}
expect "hotset_verifies_and_reads_pfns" hot_pfns
# On fragmented node 1 the hot set lands in the holes; a full compaction
# of the node then moves some of it, and the PFN check must see that.
min_free=$(cat /proc/sys/vm/min_free_kbytes)
hot_moves() {
	start_frag -F 48 || return 1
	rm -f /tmp/hot.ready
	hotset -n 1 -m 16 -t 60 -r /tmp/hot.ready >/tmp/w.out 2>&1 &
	h=$!
	t=0
	while [ ! -e /tmp/hot.ready ] && [ $t -lt 300 ]; do sleep 1; t=$((t + 1)); done
	echo 1 >/sys/devices/system/node/node1/compact
	stop $h /tmp/w.out
	st=$?
	ktap_print_msg "$(grep '"event":"touched"' /tmp/w.out)"
	stop $frag /tmp/frag.out && [ $st = 0 ] && [ "$(field /tmp/w.out migrated_pages)" -gt 0 ]
}
expect "hotset_sees_pages_that_compaction_migrated" hot_moves
expect "hotset_catches_a_flipped_byte" caught /tmp/w.out '"corrupt_pages":1' hotset -m 4 -R 2

# ---- idle ---------------------------------------------------------------------
quiet() {
	ok_idle() { idle -q 2 >/tmp/w.out 2>&1; st=$?; show_file /tmp/w.out; [ $st = 0 ]; }
	ok_idle && [ -n "$(field /tmp/w.out node0_wakeups_per_s)" ] &&
		[ -n "$(field /tmp/w.out node1_wakeups_per_s)" ]
}
expect "idle_counts_kcompactd_wakeups_on_both_nodes" quiet
# Node 1 filled and fragmented, from a known kcompactd state: idle -P
# fills at proactiveness 0 (no pass can start, none can leave a 32 s
# deferral), waits until kcompactd1 has ended every pass it began, then
# writes 20, which wakes kcompactd1 for a proactive check at once. Its
# first pass must follow within one poll interval (500 ms) of the write:
# an event (mm_compaction_begin), not a race with the suites before.
react() {
	prepare_fill
	ok_run /tmp/w.out idle -q 1 -F 24 -n 1 -T 10 -P 20 || return 1
	r=$(field /tmp/w.out reaction_ms)
	ktap_print_msg "kcompactd1 started ${r} ms after proactiveness 20 was written ($(field /tmp/w.out from_release_ms) ms after the release)"
	[ "$(field /tmp/w.out reacted)" = 1 ] && [ "$(field /tmp/w.out triggered)" = 1 ] &&
		awk -v r="$r" 'BEGIN { exit !(r < 500) }' &&
		eq "$(cat /proc/sys/vm/compaction_proactiveness)" 20
}
expect "idle_times_kcompactd1_reacting_to_fragmentation" react
echo "$min_free" >/proc/sys/vm/min_free_kbytes
expect "idle_passes_on_the_fragmenters_failure" caught /tmp/w.out '"corrupt_pages":1' \
	idle -q 1 -F 900 -n 1 -T 1

# ---- lruseed: through swap on zram and back --------------------------------------
mkdir -p $CG
mount -t cgroup2 none $CG 2>/dev/null
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/wl
echo $((8 << 20)) >$CG/wl/memory.max
echo 64M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0
lru() {
	s0=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
	ok_run /tmp/w.out lruseed -g $CG/wl -u 1 -H 4 -S 4 -s 2 -w 1 || return 1
	s1=$(awk '$1 == "pswpout" { print $2 }' /proc/vmstat)
	ktap_print_msg "pswpout +$((s1 - s0))"
	[ $((s1 - s0)) -gt 0 ] && [ -n "$(field /tmp/w.out hot_refaults)" ]
}
expect "lruseed_verifies_memory_that_went_through_swap" lru
expect "lruseed_catches_a_flipped_byte" caught /tmp/w.out '"corrupt_pages":1' \
	lruseed -g $CG/wl -u 1 -H 2 -S 2 -s 1 -w 1
swapoff /dev/zram0
echo 1 >/sys/block/zram0/reset
rmdir $CG/wl 2>/dev/null
echo "$pcp_frac" >/proc/sys/vm/percpu_pagelist_high_fraction
cleaned() {
	! grep -q zram0 /proc/swaps && [ ! -d $CG/wl ] &&
		eq "$(cat /proc/sys/vm/min_free_kbytes /proc/sys/vm/percpu_pagelist_high_fraction | tr '\n' ' ')" \
			"$min_free $pcp_frac "
}
expect "swap_cgroup_and_settings_restored" cleaned

ktap_finished
