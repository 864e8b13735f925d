#!/bin/sh
# The scoring of patches 7-12 at work on node 1 (1 GiB, one DMA32 zone),
# fragmented four times with the fragmenter:
#   A. at the default proactiveness, a pass brings node 1 to the low
#      watermark (PMD THP on: target order 9);
#   B. with only 64 KiB mTHP enabled the target order is 4, the same
#      fragmentation costs fewer scanned pages than in A, and 64 KiB faults
#      then succeed without direct compaction;
#   C. with every free 2 MiB block taken, node 1 scores 100, and
#      proactiveness 5 (high watermark 100 on 6.12, 99 now) starts a pass;
#   D. with node 1 filled to within its watermarks, a pass compacts
#      nothing: it is deferred (reason low_free) and scans no page.
# Every workload checks its memory at the end: a changed page fails.
# v1's scoring, files and counters: the 6.12 backport.
. /tests/lib.sh
requires v1-scoring sysfs-proactiveness node-knobs node-score-files proactive-counters proactive-tracepoint proactive-order

O=/sys/kernel/mm/compaction/proactive_order
P1=$N/node1/compaction/proactiveness
THP=/sys/kernel/mm/transparent_hugepage
MTHP="$THP/hugepages-64kB/enabled"
PMD="$THP/hugepages-2048kB/enabled"

# the selected word of a "[x] y z" sysfs file
selected() { sed 's/.*\[\(.*\)\].*/\1/' "$1"; }
scanned() {
	echo $(($(delta "$1" 1 compact_proactive_migrate_scanned) +
		$(delta "$1" 1 compact_proactive_free_scanned)))
}
gstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# settle: wait (60 s at most) until node 1's pass counter stays put for 3 s
settle() {
	t=0 same=0 last=-1
	while [ $t -lt 60 ] && [ $same -lt 3 ]; do
		stat_refresh
		n=$(nstat 1 compact_proactive_pass)
		if [ "$n" = "$last" ]; then same=$((same + 1)); else same=0; fi
		last=$n
		sleep 1
		t=$((t + 1))
	done
}
# wait_moved FILE NAME SEC: wait (SEC s at most) until node 1's NAME has
# moved since the snapshot FILE
wait_moved() {
	t=0
	while [ $t -lt "$3" ]; do
		stat_refresh
		[ "$(delta "$1" 1 "$2")" -ge 1 ] && return 0
		sleep 1
		t=$((t + 1))
	done
	return 1
}
# measure FILE: set the default proactiveness, let kcompactd work, run one
# pass on demand; then the proactive work done on node 1 since FILE, the
# thresholds at 20 and the score after
measure() {
	kwrite $G 20 >/dev/null
	m_low=$(wlow 1) m_high=$(whigh 1)
	sleep 1
	settle
	kwrite $N/node1/compaction/proactive_compact 1 >/dev/null
	stat_refresh
	passes=$(delta "$1" 1 compact_proactive_pass)
	work=$(scanned "$1")
	m_after=$(score 1)
	kwrite $G 0 >/dev/null
	settle
}

ktap_print_header
ktap_set_plan 19

min_free=$(cat /proc/sys/vm/min_free_kbytes)
pcp_frac=$(cat /proc/sys/vm/percpu_pagelist_high_fraction)
echo 100000 >/proc/sys/vm/percpu_pagelist_high_fraction
defrag=$(selected $THP/defrag)
pmd=$(selected $PMD)
mthp=$(selected $MTHP)
# As in proactive.sh: THP's min_free_kbytes would leave tens of MiB of
# node 1 unfilled in whole blocks. Restored at the end.
echo 8192 >/proc/sys/vm/min_free_kbytes
kwrite $G 0 >/dev/null
echo >$TR/trace
echo 1 >$EV/enable

# ---- A. the default proactiveness, PMD target ------------------------------
expect "A_fragmenter_filled_node1_and_released_3_of_4" start_frag -F 24
sA=$(score 1)
snapshot 1 /tmp/cA
default_pass() {
	ktap_print_msg "node1 score $sA at order $(cat $N/node1/compaction/proactive_order); global proactiveness set to 20 (default), node 1 follows it"
	measure /tmp/cA
	passA=$passes workA=$work
	ktap_print_msg "node1 score $sA -> $m_after (thresholds $m_low/$m_high), $passA passes, $workA pages scanned"
	[ "$sA" -gt "$m_high" ] && [ "$passA" -ge 1 ] && [ "$m_after" -le "$m_low" ]
}
expect "A_default_20_pass_brings_node1_to_score_wmark_low" default_pass
expect "A_held_memory_intact" stop $frag /tmp/frag.out

# ---- B. only 64 KiB mTHP: target order 4 -----------------------------------
echo never >$PMD
echo always >$MTHP
expect "B_only_64k_enabled_order_in_force_is_4" eq \
	"$(cat $O $N/node0/compaction/proactive_order $N/node1/compaction/proactive_order | tr '\n' ' ')" \
	"auto 4 4 "
expect "B_fragmenter_filled_node1_and_released_3_of_4" start_frag -F 24
sB=$(score 1)
snapshot 1 /tmp/cB
fewer() {
	measure /tmp/cB
	passB=$passes workB=$work
	ktap_print_msg "pages scanned after the same fragmentation: PMD target $workA ($passA passes), 64 KiB target $workB ($passB passes); node1 score at order 4: $sB -> $m_after (thresholds $m_low/$m_high)"
	[ "$workB" -lt "$workA" ]
}
expect "B_64k_target_scans_fewer_pages_than_pmd" fewer
echo never >$THP/defrag
stall0=$(gstat compact_stall)
thpalloc -n 1 -s 64 -c 256 -t 0 >/tmp/thp.out 2>&1
thp_st=$?
faults64() {
	show_file /tmp/thp.out
	ktap_print_msg "compact_stall +$(($(gstat compact_stall) - stall0)) (defrag never: no direct compaction)"
	grep -q '"faults":256,"thp":256,"fallback":0,' /tmp/thp.out
}
expect "B_256_64k_faults_all_served_by_64k_thp" faults64
expect "B_64k_memory_intact" sh -c "[ $thp_st = 0 ] && grep -q '\"corrupt_pages\":0}' /tmp/thp.out"
expect "B_held_memory_intact" stop $frag /tmp/frag.out
echo "$defrag" >$THP/defrag
echo "$mthp" >$MTHP
echo "$pmd" >$PMD

# ---- C. proactiveness 5 on a node at 100 ------------------------------------
expect "C_fragmenter_filled_node1_and_released_3_of_4" start_frag -F 24
# Take every free 2 MiB block left (defrag never: no compaction on the
# way), so no free memory of node 1 is in a block of order 9 or more. A
# grabber stops at its first fallback; pages freed from the per-cpu lists
# afterwards can merge into a new 2 MiB block, so grab again (5 at most).
echo never >$THP/defrag
grabs=""
g=0
while [ $g -lt 5 ] && [ "$(score 1)" != 100 ]; do
	g=$((g + 1))
	rm -f /tmp/thp.ready
	thpalloc -n 1 -s 2048 -U 256 -t 600 -r /tmp/thp.ready >/tmp/thp.$g 2>&1 &
	grabs="$grabs $!:/tmp/thp.$g"
	t=0
	while [ ! -e /tmp/thp.ready ] && [ $t -lt 120 ] && kill -0 $! 2>/dev/null; do
		sleep 1
		t=$((t + 1))
	done
	sleep 1
done
echo "$defrag" >$THP/defrag
at100() {
	for x in $grabs; do show_file "${x#*:}"; done
	s=$(score 1)
	ktap_print_msg "node1 score $s after $g grabbers; $(grep 'Node 1' /proc/buddyinfo)"
	[ "$s" = 100 ]
}
expect "C_node1_without_free_2m_blocks_scores_100" at100
snapshot 1 /tmp/cC
echo >$TR/trace
p5() {
	kwrite $P1 5 >/dev/null
	ktap_print_msg "node1 proactiveness 5: thresholds $(wlow 1)/$(whigh 1) (6.12: 95/100)"
	wait_moved /tmp/cC compact_proactive_pass 30
	kwrite $P1 -1 >/dev/null
	grep 'mm_compaction_proactive:' $TR/trace | head -n 1 >/tmp/p5.trace
	show_file /tmp/p5.trace
	grep -q 'kcompactd1-.* nid=1 order=9 score_before=100 .* wmark_low=95 wmark_high=99 ' /tmp/p5.trace
}
expect "C_proactiveness_5_starts_a_pass_on_node1_at_100" p5
grabs_intact() {
	ok=0
	for x in $grabs; do stop "${x%%:*}" "${x#*:}" || ok=1; done
	return $ok
}
expect "C_2m_memory_intact" grabs_intact
expect "C_held_memory_intact" stop $frag /tmp/frag.out
settle

# ---- D. node 1 filled to within its watermarks -----------------------------
# zone field of node 1's DMA32 zone in /proc/zoneinfo
zf() {
	awk -v k="$1" '$1 == "Node" { cur = ($2 == "1," && $4 == "DMA32") }
	cur && $1 == k { print $2; exit }' /proc/zoneinfo
}
prepare_fill
low=$(zf low)
# Fill to 0-2 MiB above the low watermark, then free one page in 256:
# about 4 MiB in single pages. Free memory ends 4-6 MiB above the
# watermark, below the 4 order-9 blocks (8 MiB) a pass needs.
margin=$(((low * 4 + 1023) / 1024))
nearfull() {
	start_frag -F $margin -s 256 || return 1
	ktap_print_msg "node1 DMA32: free $(zf nr_free_pages) pages, min $(zf min), low $(zf low), high $(zf high), boost $(zf boost); score $(score 1)"
	[ "$(zf nr_free_pages)" -lt $(($(zf low) + 4 * 512)) ]
}
expect "D_node1_filled_to_within_4_blocks_of_its_low_watermark" nearfull
snapshot 1 /tmp/cD
echo >$TR/trace
deferred() {
	kwrite $P1 100 >/dev/null
	ktap_print_msg "node1 proactiveness 100: thresholds $(wlow 1)/$(whigh 1), score $(score 1)"
	wait_moved /tmp/cD compact_proactive_defer 60
	kwrite $P1 -1 >/dev/null
	stat_refresh
	for c in $COUNTERS; do ktap_print_msg "node1 $c +$(delta /tmp/cD 1 $c)"; done
	grep 'mm_compaction_proactive:' $TR/trace >/tmp/d.trace
	show_file /tmp/d.trace
	[ "$(delta /tmp/cD 1 compact_proactive_defer)" -ge 1 ] &&
	[ "$(scanned /tmp/cD)" = 0 ] &&
	grep -q 'nid=1 .* result=deferred reason=low_free' /tmp/d.trace &&
	! grep -Eq 'reason=(none|no_progress)' /tmp/d.trace
}
expect "D_pass_deferred_low_free_and_no_page_scanned" deferred
expect "D_held_memory_intact" stop $frag /tmp/frag.out
echo 0 >$EV/enable

# The check can fail: a byte flipped on purpose must be caught.
caught() {
	thpalloc -s 64 -c 16 -C >/tmp/thp.c 2>&1
	st=$?
	show_file /tmp/thp.c
	[ $st = 1 ] && grep -q '"corrupt_pages":1}' /tmp/thp.c
}
expect "thpalloc_memory_check_catches_a_flipped_byte" caught

kwrite $G 20 >/dev/null
echo "$min_free" >/proc/sys/vm/min_free_kbytes
echo "$pcp_frac" >/proc/sys/vm/percpu_pagelist_high_fraction
restored() {
	eq "$(cat $G $O $P1 /proc/sys/vm/min_free_kbytes /proc/sys/vm/percpu_pagelist_high_fraction | tr '\n' ' ')$(selected $THP/defrag) $(selected $PMD) $(selected $MTHP)" \
	   "20 auto -1 $min_free $pcp_frac $defrag $pmd $mthp"
}
expect "settings_restored" restored

ktap_finished
