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
