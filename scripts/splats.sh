#!/usr/bin/env bash
# List the splats in a guest's kernel log: each report's first line, with
# its line number, and the 30 lines that follow it (the stack) when
# --stacks is given. Exit status 1 if there is any, 0 if none.
#
# usage: scripts/splats.sh [-h] [--stacks] CONSOLE_LOG
#
# A splat is what the debug kernel reports when something is wrong: BUG:
# (KASAN, bad page state, soft lockup and sleeping-in-atomic reports start
# so), WARNING: (WARN_ON, lockdep's reports, debug objects), UBSAN:,
# kernel BUG at, Oops, general protection fault, list corruption,
# lockdep turning itself off (after its first report it reports no more),
# RCU stalls, hung tasks, a panic.
. "$(dirname "$0")/lib.sh"

stacks=0
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--stacks) stacks=1 ;;
	-*) die "unknown option $1 (see -h)" ;;
	*) break ;;
	esac
	shift
done
[ $# = 1 ] || die "give one console log (see -h)"
[ -f "$1" ] || die "no such log: $1"
SPLAT='BUG:|WARNING:|UBSAN:|kernel BUG at|Oops|general protection fault|list_(add|del) corruption|turning off the locking correctness validator|debug_locks off|lockdep is turned off|sleeping function called from invalid context|detected stalls? on CPUs|self-detected stall|rcu_.* detected stall|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|Kernel panic'
if [ $stacks = 1 ]; then
	found=$(grep -nE -A30 "$SPLAT" "$1" || true)
else
	found=$(grep -nE "$SPLAT" "$1" || true)
fi
[ -n "$found" ] || exit 0
printf '%s\n' "$found"
exit 1
