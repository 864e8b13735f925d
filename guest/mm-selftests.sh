#!/bin/sh
# The kernel's own mm selftests (built static by scripts/mm-selftests.sh,
# in /tests/mm), as one KTAP document: a subtest per run, with the
# program's own KTAP output nested in it, as kunit.py parses it. Each run
# has a time cap (MM_SELFTEST_CAP seconds, default 600; the selftests'
# own timeout is 900); a run that hits it fails, saying so.
#
# usage: /tests/mm-selftests.sh [RUN...]   (default: every run below;
#        a RUN is a program name, all its runs then)
#
# The prerequisites are set here, so that nothing skips for want of them:
# swap (zram: cow's and khugepaged's swapped-out cases skip or fail
# without it), hugetlb pages reserved for cow and for uffd-stress's hugetlb
# run (compaction_test sets its own), THP on "madvise" at least, the
# debugfs that split_huge_page_test writes and, for its page cache part, a
# filesystem with large folios: ext4 (an ext2 image made by busybox
# mke2fs, on a loop device; ext4 has large folios since 6.16, so on 6.12
# that part skips: its run_vmtests.sh uses XFS, which this guest has no
# mkfs for). migration needs 3 CPUs or more (it keeps CPUs - 2 threads
# busy): the debug guest boots with 4. Exit status 0 if every run passed.
BIN=/tests/mm
CAP=${MM_SELFTEST_CAP:-600}
# name|command line: the runs of tools/testing/selftests/mm/run_vmtests.sh
# for these programs (anonymous memory, hugetlb and shmem; no XFS here)
RUNS='compaction_test|compaction_test
transhuge-stress|transhuge-stress -d 20
split_huge_page_test|split_huge_page_test /mnt/thpfs
khugepaged|khugepaged
khugepaged -s 2|khugepaged -s 2
cow|cow
uffd-stress anon|uffd-stress anon 20 16
uffd-stress hugetlb|uffd-stress hugetlb 128 32
uffd-stress shmem|uffd-stress shmem 20 16
migration|migration'

# pcompact.mm=RUN,RUN (spaces as "+") on the kernel command line: only those
if [ $# = 0 ]; then
	for arg in $(cat /proc/cmdline); do
		# shellcheck disable=SC2046
		case "$arg" in pcompact.mm=*) set -- $(echo "${arg#pcompact.mm=}" | tr ',' ' ') ;; esac
	done
fi
if [ $# -gt 0 ]; then
	sel=
	for want in "$@"; do
		want=$(echo "$want" | tr '+' ' ')
		sel="$sel$(echo "$RUNS" | awk -F'|' -v w="$want" '$1 == w || $1 ~ "^" w " " { print }')
"
	done
	RUNS=$(echo "$sel" | grep .) || { echo "no such run: $*" >&2; exit 2; }
fi

thp=/sys/kernel/mm/transparent_hugepage
grep -q '\[never\]' $thp/enabled && echo madvise >$thp/enabled
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# split_huge_page_test splits page cache THPs in a directory it is given.
# It checks for them with FilePmdMapped, which tmpfs never shows
# (ShmemPmdMapped): a disk filesystem with large folios, ext4 on a loop
# device of a file in /tmp
if ! mountpoint -q /mnt/thpfs; then
	mkdir -p /mnt/thpfs
	dd if=/dev/zero of=/tmp/thpfs.img bs=1M count=0 seek=256 2>/dev/null
	if dev=$(losetup -f) && losetup "$dev" /tmp/thpfs.img && mke2fs -F -b 4096 "$dev" >/tmp/thpfs.out 2>&1 &&
		mount -t ext4 "$dev" /mnt/thpfs 2>>/tmp/thpfs.out; then
		echo "# /mnt/thpfs: ext4 (an ext2 image) on $dev, 256 MiB"
	else
		echo "# /mnt/thpfs: no ext4 on a loop device (CONFIG_BLK_DEV_LOOP, CONFIG_EXT4_FS); the page cache part will skip:"
		tail -n 3 /tmp/thpfs.out | sed 's/^/#   /'
	fi
fi
# swap on zram, for the swapped-out cases of cow and khugepaged
if ! grep -q zram0 /proc/swaps; then
	if echo 512M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; then
		echo "# swap: 512 MiB on zram0"
	else
		echo "# swap: none (no zram0); the swapped-out cases will skip"
	fi
fi

n=$(echo "$RUNS" | grep -c .)
echo "KTAP version 1"
echo "1..$n"
i=0 rc=0
while IFS='|' read -r name cmd; do
	i=$((i + 1))
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	case "$name" in
	cow)
		# its hugetlb cases, for each size that has free pages
		echo 16 >/proc/sys/vm/nr_hugepages
		echo "    # nr_hugepages: $(cat /proc/sys/vm/nr_hugepages) of 16"
		;;
	'uffd-stress hugetlb')
		# two areas of 128 MiB in 2 MiB pages, and some to spare
		echo 160 >/proc/sys/vm/nr_hugepages
		echo "    # nr_hugepages: $(cat /proc/sys/vm/nr_hugepages) of 160"
		;;
	esac
	t0=$(date +%s)
	# shellcheck disable=SC2086
	(cd $BIN && timeout -s KILL "$CAP" ./$cmd) >/tmp/mm-selftest.out 2>&1
	st=$?
	t=$(($(date +%s) - t0))
	sed 's/^/    /' /tmp/mm-selftest.out
	echo 0 >/proc/sys/vm/nr_hugepages
	totals=$(grep -o 'Totals: .*' /tmp/mm-selftest.out | tail -n 1)
	case $st in
	0)
		# a program that ran no case (every one skipped) skipped
		if echo "$totals" | grep -q 'Totals: pass:0 .*skip:[1-9]'; then
			echo "ok $i $name # SKIP every case skipped $totals"
		else
			echo "ok $i $name # ${t}s $totals"
		fi
		;;
	4) echo "ok $i $name # SKIP the program skipped (exit 4) $totals" ;;
	137) echo "not ok $i $name # timed out after ${CAP}s"; rc=1 ;;
	*) echo "not ok $i $name # exit $st after ${t}s $totals"; rc=1 ;;
	esac
done <<RUNS_EOF
$RUNS
RUNS_EOF
exit $rc
