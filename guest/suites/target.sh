#!/bin/sh
# The target order of proactive compaction (v2 8/11 to 11/11 on 7.3):
#
#   vm.compaction_proactive_order: default 9 (the PMD order, mainline's),
#     valid inputs read back, at least 30 invalid ones refused with EINVAL
#     and the value kept, EACCES for an unprivileged user, a write wakes
#     every node's kcompactd, racing writers leave a written value, and
#     dmesg stays quiet;
#   BUG-3 (review-v1.md): with the order at 4 and anonymous PMD THP off,
#     a pass targets order 4 only while nothing else can use PMD blocks
#     (the control); shmem PMD THP on, a hugetlb pool that may overcommit,
#     or anonymous PMD THP at madvise keep it at 9; so does the top-level
#     shmem_enabled at always with hugepages-2048kB/shmem_enabled at never,
#     under which a memfd gets PMD-size folios (memfd and SysV shm follow
#     the top-level setting alone: shown first, the premise's control);
#     the default 9 stays 9;
#   a write of the order during a pass that lowers no score is used at
#     kcompactd's next decision, within one 500 ms interval of that pass's
#     end, and that pass has the new order;
#   BUG-4: a pass for order 4 takes no free block of order 4 or more as a
#     migration target (a kprobe on __isolate_free_page() records every
#     isolation of order 4 or more), while it migrates pages; a full
#     compaction of the same node (nodeN/compact), which may split them,
#     is recorded by the same probe (the positive control, on a fill of
#     its own, before); and with 64 KiB folios in use among the
#     fragments, the pass splits none of them (stats/split) while it
#     migrates pages.
# The pass's order, pages migrated and stop come from the
# mm_compaction_proactive tracepoint. The held memory must come out intact.
. /tests/lib.sh
requires target-order pass-tracepoint keep-target-blocks || exit 0

O=/proc/sys/vm/compaction_proactive_order
PMD=9		# the PMD order of x86_64 (the guest)
SMALL=4		# 64 KiB
THP=/sys/kernel/mm/transparent_hugepage
OC=/proc/sys/vm/nr_overcommit_hugepages
PEV=$TR/events/compaction/mm_compaction_proactive
KP=$TR/events/kprobes/pcompact_isolate

# vm.compaction_proactiveness's refused inputs (guest/lib.sh), and the
# order's range. ("9 9" is not refused: proc_dointvec_minmax() reads one
# int and the write returns 2, as for every int sysctl.)
order_invalid() {
	sysctl_invalid
	cat <<'T'
0|zero
10|above the PMD order
11|eleven
0xa|10 in hex
012|10 in octal
-0|minus zero
-9|minus nine
T
}
order_valid() {
	cat <<'T'
1|1|the minimum
4|4|64 KiB
9|9|the PMD order, the maximum
 4|4|a leading space
4 |4|a trailing space
0x4|4|hex, as proc_dointvec reads it
04|4|octal, as proc_dointvec reads it
9\n|9|the default again
T
}
n_bad=$(nlines order_invalid)
dmesg_before=$(dmesg | wc -l)
ktap_print_header
# the knob: the tables, and default, EACCES, wakes, race, dmesg and its
# control (6); node 1: 2 fills and 2 checks of held memory, 6 order cases
# and the memfd premise, the write during a pass, BUG-4 and its control,
# the folio test, restored (16)
ktap_set_plan $(($(nlines order_valid) + n_bad + 6 + 16))

# the bracketed choice of a THP setting
sel() { sed 's/.*\[\(.*\)\].*/\1/' "$1"; }
thp_enabled=$(sel $THP/enabled)
pmd_enabled=$(sel $THP/hugepages-2048kB/enabled)
k64_enabled=$(sel $THP/hugepages-64kB/enabled)
shmem_enabled=$(sel $THP/shmem_enabled)
pmd_shmem=$(sel $THP/hugepages-2048kB/shmem_enabled)
oc=$(cat $OC)
min_free=$(cat /proc/sys/vm/min_free_kbytes)
unevictable=$(cat /proc/sys/vm/compact_unevictable_allowed)
boost=$(cat /proc/sys/vm/watermark_boost_factor)
pcp_frac=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)

# ---- the knob -----------------------------------------------------------
expect "default_$PMD" eq "$(cat $O)" $PMD
order_valid >/tmp/t; good compaction_proactive_order $O </tmp/t
order_invalid >/tmp/t; bad compaction_proactive_order $O </tmp/t
ktap_print_msg "$n_bad invalid inputs tried"
nonroot() {
	before=$(cat $O)
	eq "$(kwrite -u 65534 $O 4)" EACCES && eq "$(cat $O)" "$before"
}
expect "uid_65534_gets_EACCES" nonroot
kwrite $S 20 >/dev/null
expect "write_wakes_kcompactd_on_both_nodes" wakes $O $PMD
expect "racing_writers_leave_a_written_value" race $O $O 1 $PMD 10 $PMD
expect "no_dmesg_output_from_any_of_it" dmesg_quiet_since "$dmesg_before"
expect "dmesg_check_sees_a_new_line" dmesg_control target.sh

# ---- node 1 fragmented: one page held in 32 -------------------------------
kwrite $S 0 >/dev/null
echo 100000 >/proc/sys/vm/percpu_pagelist_high_fraction
echo 0 >/proc/sys/vm/watermark_boost_factor
echo mono >$TR/trace_clock
# Anonymous PMD THP off, 64 KiB mTHP on, no shmem THP, no hugetlb pool:
# nothing uses PMD blocks. THP writes raise min_free_kbytes: put it back.
no_pmd_users() {
	echo never >$THP/enabled
	echo never >$THP/hugepages-2048kB/enabled
	echo always >$THP/hugepages-64kB/enabled
	echo never >$THP/shmem_enabled
	echo "$pmd_shmem" >$THP/hugepages-2048kB/shmem_enabled
	echo 0 >$OC
	echo 8192 >/proc/sys/vm/min_free_kbytes
}
no_pmd_users
# buddyinfo: free blocks of exactly order $2 on node $1's zones but DMA
nfree() {
	awk -v node="$1," -v o="$2" '$1 == "Node" && $2 == node && $4 != "DMA" { n += $(5 + o) }
	END { print n + 0 }' /proc/buddyinfo
}
# The held pages mlocked, with compact_unevictable_allowed=0: passes
# move nothing, and the node keeps its score at both orders.
echo 0 >/proc/sys/vm/compact_unevictable_allowed
locked_fill() {
	start_frag -F 24 -h 32 -L || return 1
	ktap_print_msg "node 1 buddyinfo: $(grep 'Node 1,' /proc/buddyinfo | tr -s ' ')"
}
expect "node1_filled_one_page_in_32_held_mlocked" locked_fill

# pass_order: from proactiveness 0, write 100 (high threshold 0: any
# fragmentation starts a pass), which makes kcompactd decide once, and
# set pass_line to kcompactd1's next mm_compaction_proactive event (empty
# if none within 30 s) and pass_ord to its order ("none"); the sysctl is
# 0 again once the pass ended (a pass that lowered no score is deferred
# 32 s, and a write of 0 makes no decision: no other pass follows)
pass_order() {
	kwrite $S 0 >/dev/null
	echo 1 >$PEV/enable
	echo >$TR/trace
	kwrite $S 100 >/dev/null
	t=0
	while [ $t -lt 300 ]; do
		pass_line=$(grep -m1 'kcompactd1-.*mm_compaction_proactive: nid=1 ' $TR/trace)
		[ -n "$pass_line" ] && break
		usleep 100000
		t=$((t + 1))
	done
	kwrite $S 0 >/dev/null
	echo 0 >$PEV/enable
	pass_ord=$(echo "$pass_line" | sed -n 's/.* order=\([0-9]*\) .*/\1/p')
	ktap_print_msg "pass: ${pass_line#*mm_compaction_proactive: }"
	[ -n "$pass_ord" ] || pass_ord=none
}
# order_is WANT SETUP...: run SETUP, then the next pass's order is WANT
order_is() {
	want=$1
	shift
	"$@"
	pass_order
	ktap_print_msg "$*: pass order $pass_ord"
	no_pmd_users
	[ "$pass_ord" = "$want" ]
}
set_small() { kwrite $O $SMALL >/dev/null; }
shmem_on() { set_small; echo always >$THP/shmem_enabled; }
overcommit() { set_small; echo 1 >$OC; }
anon_pmd_madvise() { set_small; echo madvise >$THP/hugepages-2048kB/enabled; }
default_order() { kwrite $O $PMD >/dev/null; }
# memfd and SysV shm follow the top-level shmem_enabled, shared anonymous
# memory the per-size one: with the first at always and the second at
# never, a memfd gets PMD-size folios (memfdthp shows it, from
# hugepages-2048kB/stats/shmem_alloc) though no per-size setting has it
memfd_only() {
	echo always >$THP/shmem_enabled
	echo never >$THP/hugepages-2048kB/shmem_enabled
	echo 8192 >/proc/sys/vm/min_free_kbytes
}
memfd_on() { set_small; memfd_only; }
memfd_gets_pmd_folios() {
	memfd_only
	out=$(memfdthp -m 8)
	r=$?
	ktap_print_msg "$(echo "$out" | tr '\n' ' ')"
	no_pmd_users
	[ $r = 0 ] && [ "$(echo "$out" | sed -n 's/.*"pmd_folios":\([0-9]*\).*/\1/p')" -gt 0 ]
}
expect "order_${SMALL}_without_pmd_users_control" order_is $SMALL set_small
expect "order_${PMD}_with_shmem_pmd_thp" order_is $PMD shmem_on
expect "memfd_gets_pmd_folios_with_shmem_enabled_always_and_2048kB_never" memfd_gets_pmd_folios
expect "order_${PMD}_with_memfd_pmd_thp" order_is $PMD memfd_on
expect "order_${PMD}_with_nr_overcommit_hugepages_1" order_is $PMD overcommit
expect "order_${PMD}_with_anon_pmd_thp_madvise" order_is $PMD anon_pmd_madvise
expect "order_${PMD}_by_default_without_pmd_users" order_is $PMD default_order

# A write of the order during a pass: passwatch writes 9 and 4 in turn at
# a pass's begin until one lands during the pass, and times the next
# begin from that pass's end; the next pass then ends with order 4.
used() {
	kwrite $O $PMD >/dev/null
	kwrite $S 100 >/dev/null
	echo 1 >$PEV/enable
	out=$(passwatch -n 1 -f $O -s $PMD -w $SMALL -T 40)
	ktap_print_msg "$out"
	ms=$(echo "$out" | sed -n 's/.*"next_pass_ms":\([0-9.]*\).*/\1/p')
	t=0
	while [ $t -lt 300 ] && ! grep -q 'mm_compaction_proactive: nid=1 ' $TR/trace; do
		usleep 100000
		t=$((t + 1))
	done
	l=$(grep -m1 'mm_compaction_proactive: nid=1 ' $TR/trace)
	ktap_print_msg "next pass: ${l#*mm_compaction_proactive: }"
	echo 0 >$PEV/enable
	kwrite $S 0 >/dev/null
	kwrite $O $PMD >/dev/null
	case "$out" in *'"during_pass":1'*'"next_pass":1'*) ;; *) return 1 ;; esac
	# passwatch writes 4 and 9 in turn: the write that landed is 4 after
	# an odd number of attempts, 9 after an even one
	n=$(echo "$out" | sed -n 's/.*"attempts":\([0-9]*\).*/\1/p')
	want=$SMALL
	[ $((n % 2)) = 1 ] || want=$PMD
	case "$l" in *" order=$want "*) ;; *) ktap_print_msg "expected order $want"; return 1 ;; esac
	awk -v ms="$ms" 'BEGIN { exit !(ms < 500) }'
}
expect "order_write_during_a_pass_used_within_500ms" used
expect "node1_locked_memory_intact" stop $frag /tmp/frag.out

# ---- BUG-4: the free scanner of an order-4 pass ----------------------------
echo "$unevictable" >/proc/sys/vm/compact_unevictable_allowed
kprobe_on() {
	echo "p:kprobes/pcompact_isolate __isolate_free_page order=%si:u32" >>$TR/kprobe_events ||
		{ ktap_print_msg "kprobe on __isolate_free_page refused"; return 1; }
	echo "order >= $SMALL" >$KP/filter && echo 1 >$KP/enable
}
kprobe_off() {
	echo 0 >$KP/enable
	echo "-:kprobes/pcompact_isolate" >>$TR/kprobe_events
}
# free blocks of order 4 on node 1 after the fill: what the pass must keep
movable_fill() {
	start_frag -F 24 -h 32 || return 1
	n4=$(nfree 1 $SMALL)
	ktap_print_msg "node 1 buddyinfo: $(grep 'Node 1,' /proc/buddyinfo | tr -s ' ')"
	[ "$n4" -ge 1000 ] || { ktap_print_msg "only $n4 free blocks of order $SMALL"; return 1; }
}
# isolations of order >= 4 recorded for tasks matching $1
isolations() { grep -v '^#' $TR/trace | grep -c "$1.*pcompact_isolate:"; }
# The control first, on a fill of its own: a full compaction of node 1
# (order -1, not proactive), in the writer's context, splits free blocks
# of any order, and the probe sees it
full_compaction_seen() {
	movable_fill || return 1
	echo >$TR/trace
	kwrite $N/node1/compact 1 >/dev/null
	big=$(isolations kwrite)
	ktap_print_msg "node1/compact isolated $big free blocks of order >= $SMALL"
	stop $frag /tmp/frag.out || { ktap_print_msg "held memory changed"; return 1; }
	[ "$big" -gt 0 ]
}
kprobe_on || ktap_print_msg "the probe is off: the next tests fail"
expect "full_compaction_splits_order_${SMALL}_blocks_probe_control" full_compaction_seen
expect "node1_filled_one_page_in_32_held_movable_with_order_${SMALL}_blocks" movable_fill
bug4_pass() {
	kwrite $O $SMALL >/dev/null
	pass_order
	l=$pass_line
	migrated=$(echo "$l" | sed -n 's/.* nr_migrated=\([0-9]*\) .*/\1/p')
	big=$(isolations kcompactd)
	ktap_print_msg "kcompactd isolated $big free blocks of order >= $SMALL"
	grep -v '^#' $TR/trace | grep 'pcompact_isolate:' | head -n 3 | while read -r x; do ktap_print_msg "trace: $x"; done
	case "$l" in *" order=$SMALL "*) ;; *) return 1 ;; esac
	[ "${migrated:-0}" -gt 0 ] && [ "$big" = 0 ]
}
expect "order_${SMALL}_pass_migrates_and_splits_no_free_block_of_order_${SMALL}_or_more" bug4_pass
kprobe_off
kwrite $O $PMD >/dev/null
expect "node1_movable_memory_intact" stop $frag /tmp/frag.out
# The migration side: 64 KiB folios in use among the fragments. A pass
# for order 4 leaves them where they are: with no free block of order 4
# taken as a target, migrating one would split it (the size's
# stats/split counts that). Positive part: the pass migrates base pages.
SPLIT=$THP/hugepages-64kB/stats/split
no_folio_split() {
	movable_fill || return 1
	thpalloc -s 64 -n 1 -c 512 -t 600 -r /tmp/thp.ready >/tmp/thp.out 2>&1 &
	thp=$!
	t=0
	while [ ! -e /tmp/thp.ready ] && [ $t -lt 120 ]; do sleep 1; t=$((t + 1)); done
	s0=$(cat $SPLIT)
	kwrite $O $SMALL >/dev/null
	pass_order
	s1=$(cat $SPLIT)
	kwrite $O $PMD >/dev/null
	migrated=$(echo "$pass_line" | sed -n 's/.* nr_migrated=\([0-9]*\) .*/\1/p')
	ktap_print_msg "64 KiB folios split during the pass: $((s1 - s0)); pages migrated: ${migrated:-none}"
	r=0
	stop $thp /tmp/thp.out || { ktap_print_msg "64 KiB folios changed"; r=1; }
	stop $frag /tmp/frag.out || { ktap_print_msg "held pages changed"; r=1; }
	rm -f /tmp/thp.ready
	[ $r = 0 ] && [ "$s1" = "$s0" ] && [ "${migrated:-0}" -gt 0 ]
}
expect "order_${SMALL}_pass_splits_no_64k_folio_and_migrates" no_folio_split

# restored
echo "$thp_enabled" >$THP/enabled
echo "$pmd_enabled" >$THP/hugepages-2048kB/enabled
echo "$k64_enabled" >$THP/hugepages-64kB/enabled
echo "$shmem_enabled" >$THP/shmem_enabled
echo "$pmd_shmem" >$THP/hugepages-2048kB/shmem_enabled
echo "$oc" >$OC
echo "$min_free" >/proc/sys/vm/min_free_kbytes
echo "$boost" >/proc/sys/vm/watermark_boost_factor
echo "$pcp_frac" >/proc/sys/vm/percpu_pagelist_high_fraction
kwrite $S 20 >/dev/null
expect "order_restored_$PMD" eq "$(cat $O)" $PMD
ktap_finished
