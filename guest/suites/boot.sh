#!/bin/sh
# The guest the other tests stand on: CPUs, NUMA nodes, clocksource, the
# compaction interfaces of the base, swap on zram, and the KUnit results
# of the boot, read back through debugfs (the suites the series declares).
. /tests/lib.sh
ktap_print_msg "base $BASE_NAME; the series declares: ${FEATURES:-nothing}"

ktap_print_header
ktap_set_plan 14

expect "two_cpus" eq "$(nproc)" 2
expect "numa_node0_and_node1" eq "$(cd /sys/devices/system/node && echo node*)" "node0 node1"
expect "kcompactd_per_node" eq "$(ps -o comm | grep -c '^kcompactd[01]$')" 2

cs=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)
ktap_print_msg "clocksource: $cs"
case "$cs" in *jiffies*) cs_ok=false ;; *) cs_ok=true ;; esac
expect "clocksource_not_jiffies" $cs_ok

P=/proc/sys/vm/compaction_proactiveness
expect "proactiveness_default_20" eq "$(cat $P)" 20

write_ok() { echo "$2" >"$1" 2>/dev/null; }
roundtrip() { write_ok $P 35 && eq "$(cat $P)" 35 && write_ok $P 20 && eq "$(cat $P)" 20; }
expect "proactiveness_write_roundtrip" roundtrip

# The base's sysctl already rejects these; later patches keep it so.
rejects() {
	for v in 101 -1 abc ""; do
		if write_ok $P "$v"; then
			ktap_print_msg "accepted '$v'"
			return 1
		fi
		eq "$(cat $P)" 20 || return 1
	done
}
expect "proactiveness_rejects_bad_input" rejects

expect "vmstat_has_compaction_counters" grep -q '^compact_daemon_wake ' /proc/vmstat
expect "compact_memory_runs" write_ok /proc/sys/vm/compact_memory 1
expect "node1_compact_runs" write_ok /sys/devices/system/node/node1/compact 1
expect "thp_and_lru_gen_present" test -r /sys/kernel/mm/transparent_hugepage/enabled -a -r /sys/kernel/mm/lru_gen/enabled
expect "psi_memory_readable" grep -q '^some ' /proc/pressure/memory

zram_swap() {
	echo 32M >/sys/block/zram0/disksize &&
	mkswap /dev/zram0 >/dev/null &&
	swapon /dev/zram0 &&
	grep -q '^/dev/zram0 ' /proc/swaps &&
	swapoff /dev/zram0 &&
	echo 1 >/sys/block/zram0/reset
}
expect "swap_on_zram" zram_swap

# KUnit ran at boot; its results are in debugfs, one directory a suite.
kunit_boot() {
	d=/sys/kernel/debug/kunit/$1
	[ -r $d/results ] || { ktap_print_msg "no $d/results"; return 1; }
	grep -q "^ok [0-9]* $1" $d/results || {
		ktap_print_msg "$1 did not pass:"
		grep 'not ok' $d/results | while read -r l; do ktap_print_msg "$l"; done
		return 1
	}
	# a suite that never ran reads "ok" too: its cases must be there
	n=$(grep -cE '^    ok [0-9]+ ' $d/results)
	ktap_print_msg "$1: $n cases passed at boot"
	[ "$n" -gt 0 ]
}
expect_if kunit-score "kunit_compaction_score_passed_at_boot" kunit_boot compaction_score

ktap_finished
