#!/bin/sh
# vm.compaction_proactiveness on every base, with or without the series:
# valid inputs read back, at least 30 invalid ones refused with EINVAL and
# the value kept, EACCES for an unprivileged user, a write wakes every
# node's kcompactd, racing writers leave a value someone wrote whole, and
# none of it prints a line in dmesg. The input tables are in guest/lib.sh.
. /tests/lib.sh

n_bad=$(nlines sysctl_invalid)
plan=$(($(nlines sysctl_valid) + n_bad + 7))
dmesg_before=$(dmesg | wc -l)
ktap_print_header
ktap_set_plan $plan

expect "default_20" eq "$(cat $S)" 20
sysctl_valid >/tmp/t; good sysctl $S </tmp/t
sysctl_invalid >/tmp/t; bad sysctl $S </tmp/t
ktap_print_msg "$n_bad invalid inputs tried"

nonroot() {
	before=$(cat $S)
	eq "$(kwrite -u 65534 $S 5)" EACCES && eq "$(cat $S)" "$before"
}
expect "uid_65534_gets_EACCES" nonroot
expect "write_wakes_kcompactd_on_both_nodes" wakes $S 25
expect "racing_writers_leave_a_written_value" race $S $S
kwrite $S 20 >/dev/null
expect "no_dmesg_output_from_any_of_it" dmesg_quiet_since "$dmesg_before"
expect "dmesg_check_sees_a_new_line" dmesg_control sysctl.sh
expect "value_restored_20" eq "$(cat $S)" 20

ktap_finished
