#!/bin/sh
# Guest side of hotset (see its scenario file). $1 is the setting: pN =
# the proactiveness set once the hot set is in place.
. /bench/lib.sh
p=${1#p}

thp_setup
guest_info
proactiveness 0
start frag /tmp/frag.out /tmp/frag.ready fragment -F "$FILL_MARGIN_MIB" -r /tmp/frag.ready &&
{
	frag=$BG
	vmstat_snap /tmp/vm.before
	start hot /tmp/hot.out /tmp/hot.ready hotset -m "$HOT_MIB" -s "$HOT_SPREAD" -t "$HOT_SEC" -r /tmp/hot.ready &&
	{
		hot=$BG
		# a write of a non-zero value wakes kcompactd on every node
		proactiveness "$p" && applied "$1" proactiveness="$(cat /proc/sys/vm/compaction_proactiveness)"
		wait $hot
		rc=$?
		tag hot </tmp/hot.out
		[ $rc = 0 ] || fail hot "hotset exited with $rc"
	}
	vmstat_snap /tmp/vm.after
	vmstat_delta run /tmp/vm.before /tmp/vm.after
	stop frag /tmp/frag.out $frag
}
bench_end
