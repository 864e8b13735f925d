#!/bin/sh
# Shared by the in-guest suites (installed as /tests/lib.sh): the kernel's
# ktap_helpers.sh plus the two checks every suite uses.
. /tests/ktap_helpers.sh

# expect NAME COMMAND...: pass if COMMAND succeeds, else fail with a message
expect() {
	desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_print_msg "failed: $*"
		ktap_test_fail "$desc"
	fi
}

# eq GOT WANT: equal, or say what differs
eq() {
	[ "$1" = "$2" ] && return 0
	ktap_print_msg "expected '$2', got '$1'"
	return 1
}

# ---- proactive compaction: files and per-node counters --------------------
G=/sys/kernel/mm/compaction/proactiveness
N=/sys/devices/system/node
TR=/sys/kernel/tracing
EV=$TR/events/compaction/mm_compaction_proactive
COUNTERS="compact_proactive_pass compact_proactive_success compact_proactive_fail
compact_proactive_defer compact_proactive_migrate_scanned compact_proactive_free_scanned"

stat_refresh() { echo 1 >/proc/sys/vm/stat_refresh; }
nstat() { awk -v k="$2" '$1 == k { print $2 }' $N/node$1/vmstat; }
score() { cat $N/node$1/compaction/fragmentation_score; }
wlow() { cat $N/node$1/compaction/score_wmark_low; }
whigh() { cat $N/node$1/compaction/score_wmark_high; }
# snapshot NODE FILE: the node's proactive counters, one "name value" a line
snapshot() {
	stat_refresh
	for c in $COUNTERS; do echo "$c $(nstat $1 $c)"; done >"$2"
}
# delta FILE NODE NAME: how far NAME moved on NODE since the snapshot
delta() {
	now=$(nstat $2 $3)
	then=$(awk -v k="$3" '$1 == k { print $2 }' "$1")
	echo $((now - then))
}
# show_file FILE: every line of FILE as a KTAP diagnostic
show_file() { while read -r l; do ktap_print_msg "$l"; done <"$1"; }

# Per-cpu free lists hold pages the fragmenter's fill cannot count on:
# auto-tuned, they grow to 1/8 of a zone (64 MiB a CPU here) after large
# frees. A suite keeps them small (percpu_pagelist_high_fraction) and
# waits for them to drain before each fill. THP raises min_free_kbytes
# whenever a THP setting is written: put back the suite's 8192 each time.
pcp_pages() {
	awk '$1 == "Node" { cur = ($2 == "1,") } cur && $1 == "count:" { n += $2 }
	END { print n + 0 }' /proc/zoneinfo
}
prepare_fill() {
	echo 8192 >/proc/sys/vm/min_free_kbytes
	t=0
	while [ "$(pcp_pages)" -gt 1024 ] && [ $t -lt 30 ]; do
		sleep 1
		t=$((t + 1))
	done
	ktap_print_msg "node1 per-cpu lists: $(pcp_pages) pages; min_free_kbytes $(cat /proc/sys/vm/min_free_kbytes)"
}

# start_frag ARGS...: fragment node 1 (fragment -n 1 ARGS, after
# prepare_fill) and wait until it is done; its PID is in $frag
start_frag() {
	prepare_fill
	rm -f /tmp/frag.ready
	fragment -n 1 "$@" -r /tmp/frag.ready >/tmp/frag.out 2>&1 &
	frag=$!
	t=0
	while [ ! -e /tmp/frag.ready ] && [ $t -lt 300 ]; do
		kill -0 $frag 2>/dev/null || break
		sleep 1
		t=$((t + 1))
	done
	show_file /tmp/frag.out
	[ -e /tmp/frag.ready ]
}
# stop PID OUT: end a workload's hold; it must verify every page
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
	st=$?
	tail -n 1 "$2" >/tmp/last
	show_file /tmp/last
	[ $st = 0 ] && grep -q '"corrupt_pages":0}' "$2"
}
