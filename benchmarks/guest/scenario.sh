#!/bin/sh
# load_scenario FILE SMOKE: set the variables of a scenario file; with
# SMOKE=1 each SMOKE_X replaces X. The one loader of the guest
# (/bench/run.sh), the runner and the report (benchmarks/run.sh,
# report.py): the three can't read a scenario differently.
load_scenario() {
	. "$1"
	[ "$2" = 1 ] || return 0
	for v in $(set | sed -n 's/^SMOKE_\([A-Z0-9_]*\)=.*/\1/p'); do
		eval "$v=\$SMOKE_$v"
	done
}
