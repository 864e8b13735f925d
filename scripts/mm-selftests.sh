#!/usr/bin/env bash
# Build the kernel's own mm selftests that the debug guest runs, static,
# from the base tree's tools/testing/selftests/mm (the series does not
# touch them, so one build serves the unpatched and the patched kernel of
# a base): compaction_test, transhuge-stress, split_huge_page_test,
# khugepaged, cow, uffd-stress and migration (libnuma, static).
#
# usage: scripts/mm-selftests.sh [-h] [--out DIR]
#   --out DIR  where the programs go (default: the cache's
#              mm-selftests-$BASE/bin); prints DIR
#
# The sources come out of the base commit with git archive (the base tree
# stays clean), the UAPI headers from `make headers_install` of that tree
# into the build directory; the programs are rebuilt only when the base
# commit or this script changed.
. "$(dirname "$0")/lib.sh"

out=
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--out) out=$2; shift ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
# The programs, in the order the guest runs them
MM_SELFTESTS=(compaction_test transhuge-stress split_huge_page_test khugepaged cow uffd-stress migration)

need_kernel_tree
base=$(base_commit)
work=$PCOMPACT_CACHE/mm-selftests-$BASE
out=${out:-$work/bin}
stamp="$base $(sha1sum <"$0" | cut -c1-12)"
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$out"
	exit 0
fi
[ -f /usr/lib/x86_64-linux-gnu/libnuma.a ] ||
	die "libnuma.a is missing (the migration test links it static): run scripts/deps.sh (libnuma-dev)"
rm -rf "$work/src" "$work/kobj" "$work/hdr" "$out"
mkdir -p "$work/src" "$out"
log "mm selftests ($BASE): sources of the base commit ${base:0:12}"
git -C "$KERNEL_TREE" archive "$base" tools mm/gup_test.h | tar -x -C "$work/src"
log "mm selftests ($BASE): UAPI headers (make headers_install, about half a minute)"
run_logged "mm-selftests-$BASE-headers" make -C "$KERNEL_TREE" O="$work/kobj" ARCH=x86_64 \
	headers_install INSTALL_HDR_PATH="$work/hdr"
targets=()
for t in "${MM_SELFTESTS[@]}"; do targets+=("$work/bin.tmp/$t"); done
mkdir -p "$work/bin.tmp"
log "mm selftests ($BASE): building ${MM_SELFTESTS[*]} (static)"
# migration needs -lnuma; the Makefile adds it for that target only
run_logged "mm-selftests-$BASE-build" make -C "$work/src/tools/testing/selftests/mm" \
	OUTPUT="$work/bin.tmp" KHDR_INCLUDES="-isystem $work/hdr/include" \
	LDFLAGS=-static -j"$JOBS" "${targets[@]}" ||
	die "building the mm selftests failed (log: $LOG_DIR/mm-selftests-$BASE-build.log)"
for t in "${MM_SELFTESTS[@]}"; do
	file "$work/bin.tmp/$t" | grep -q 'statically linked' ||
		die "mm selftest $t is not static: $(file "$work/bin.tmp/$t")"
	mv "$work/bin.tmp/$t" "$out/"
done
rm -rf "$work/bin.tmp" "$work/kobj"
echo "$stamp" >"$out/.stamp"
log "mm selftests ($BASE): ${#MM_SELFTESTS[@]} programs in $out"
echo "$out"
