#!/usr/bin/env bash
# Pack the guest initramfs: static busybox (PID 1 is busybox init), the
# files under guest/rootfs, the programs of guest/tools (built static), the
# in-guest tests and the kernel's own ktap_helpers.sh, and the guest side
# of the benchmarks (benchmarks/guest and benchmarks/scenarios in /bench).
# /tests/base and /tests/features name the base and the features its
# series declares (BASE_SERIES_FEATURES of configs/bases/$BASE.env): the
# suites test what is declared, fail if it is missing from the kernel,
# and skip, saying so, what is not declared. /tests/gaps lists the known
# gaps (BASE_KNOWN_GAPS): their tests run and report a KTAP "# TODO"
# naming the review point.
#
# usage: scripts/initramfs.sh [-h] --tree KERNEL_TREE --out FILE.cpio
#                             [--bench-modules DIR] [--suites "S..."]
#                             [--mm-selftests DIR]
#   --bench-modules DIR  kernel modules of the benchmarks, DIR/KERNEL/*.ko,
#                        go to /bench/modules/KERNEL/
#   --suites "S..."      only these in-guest suites (names of
#                        guest/suites/S.sh), to rerun one; default: all
#   --mm-selftests DIR   the kernel's mm selftests built static
#                        (scripts/mm-selftests.sh prints DIR) go to
#                        /tests/mm/, run by /tests/mm-selftests.sh
. "$(dirname "$0")/lib.sh"

tree= out= modules= suites= mmtests=
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--tree) tree=$2; shift ;;
	--out) out=$2; shift ;;
	--bench-modules) modules=$2; shift ;;
	--suites) suites=$2; shift ;;
	--mm-selftests) mmtests=$2; shift ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
[ -n "$tree" ] && [ -n "$out" ] || die "--tree and --out are required (see -h)"
BUSYBOX=/bin/busybox
bb_ldd=$(ldd "$BUSYBOX" 2>&1 || true)
grep -q 'not a dynamic executable' <<<"$bb_ldd" ||
	die "$BUSYBOX is not a static busybox: apt-get install busybox-static"
helpers=$tree/tools/testing/selftests/kselftest/ktap_helpers.sh
[ -f "$helpers" ] || die "$helpers is missing: is $tree a kernel tree (6.12 or later)?"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,tests,bench/scenarios}
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$BUSYBOX" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
ln -sf /bin/busybox "$root/init"
cp -a "$REPO_DIR/guest/rootfs/." "$root/"
cp "$REPO_DIR/guest/run-tests.sh" "$root/tests/"
mkdir -p "$root/tests/suites"
if [ -n "$suites" ]; then
	for s in $suites; do
		[ -f "$REPO_DIR/guest/suites/$s.sh" ] ||
			die "no suite guest/suites/$s.sh (there are: $(cd "$REPO_DIR/guest/suites" && ls | sed 's/\.sh$//' | tr '\n' ' '))"
		cp "$REPO_DIR/guest/suites/$s.sh" "$root/tests/suites/"
	done
else
	cp "$REPO_DIR"/guest/suites/*.sh "$root/tests/suites/"
fi
cp "$REPO_DIR/guest/lib.sh" "$root/tests/lib.sh"
cp "$REPO_DIR/guest/mm-selftests.sh" "$REPO_DIR/guest/stress.sh" "$root/tests/"
if [ -n "$mmtests" ]; then
	[ -d "$mmtests" ] || die "--mm-selftests $mmtests: no such directory (scripts/mm-selftests.sh builds it)"
	mkdir -p "$root/tests/mm"
	cp "$mmtests"/* "$root/tests/mm/"
fi
cp "$helpers" "$root/tests/ktap_helpers.sh"
echo "$BASE $BASE_UPSTREAM_VERSION" >"$root/tests/base"
printf '%s\n' $BASE_SERIES_FEATURES >"$root/tests/features"
printf '%s\n' ${BASE_KNOWN_GAPS:-} >"$root/tests/gaps"
cp "$REPO_DIR"/benchmarks/guest/*.sh "$root/bench/"
cp "$REPO_DIR"/benchmarks/scenarios/* "$root/bench/scenarios/"
[ -z "$modules" ] || cp -r "$modules" "$root/bench/modules"
# The guest's own programs (knob writer, workloads): C, static, no libc in the guest.
for src in "$REPO_DIR"/guest/tools/*.c; do
	bin=$root/usr/bin/$(basename "$src" .c)
	gcc -static -O2 -Wall -Wextra -Werror -o "$bin" "$src" ||
		die "building $src for the guest failed (needs gcc and libc6-dev: make deps)"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/false' >>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc --owner=0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
