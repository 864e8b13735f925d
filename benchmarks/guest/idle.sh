#!/bin/sh
# Guest side of idle (see its scenario file). $1 is the setting: pN =
# the proactiveness during the quiet period and the reaction.
. /bench/lib.sh
p=${1#p}

thp_setup
guest_info
[ -z "${MIN_FREE_KBYTES:-}" ] || set_knob /proc/sys/vm/min_free_kbytes "$MIN_FREE_KBYTES"
proactiveness "$p" && applied "$1" proactiveness="$(cat /proc/sys/vm/compaction_proactiveness)" \
	min_free_kbytes="$(cat /proc/sys/vm/min_free_kbytes)"
sleep "$SETTLE_SEC"
run idle idle -q "$QUIET_SEC" -F "$FILL_MARGIN_MIB" -n 1 -T "$REACT_TIMEOUT_SEC"
bench_end
