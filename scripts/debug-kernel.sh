#!/usr/bin/env bash
# Build the debug guest kernel (configs/guest.config, the base's config,
# then configs/debug.config: KASAN, lockdep, DEBUG_VM, ...) of the patched
# or the unpatched base, with ccache, and print its build directory.
#
# usage: BASE=7.3|6.12 scripts/debug-kernel.sh [-h] [--kernel patched|base]
#   --kernel patched  (default) the series of BASE applied from its
#                     patches (patches/ or backport-6.12/), in the
#                     benchmarks' patched worktree
#   --kernel base     the unpatched base, in the benchmarks' base worktree
#
# Every option of the fragments is checked after allnoconfig, as for the
# guest kernel, but those whose symbol no Kconfig of the tree defines
# (--skip-absent names each: the series' own on the base, an option one
# base has and the other not). make check's guest build checks the
# series' symbols without that leeway. The build directory is DEBUG beside the
# worktree's other builds; the debug kernel is built with bzImage and
# modules (the benchmarks' khugehog.ko is built against it by the caller).
. "$(dirname "$0")/lib.sh"

kind=patched
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--kernel) kind=$2; shift ;;
	*) die "unknown argument $1 (see -h)" ;;
	esac
	shift
done
FRAGS=(--fragment "$REPO_DIR/configs/guest.config")
[ ! -f "$REPO_DIR/configs/bases/$BASE.config" ] || FRAGS+=(--fragment "$REPO_DIR/configs/bases/$BASE.config")
FRAGS+=(--fragment "$REPO_DIR/configs/debug.config")
skip=(--skip-absent)
case "$kind" in
patched) wt=$("$REPO_DIR/scripts/apply.sh" --bench) out=$BENCH_DIR/debug ;;
base) wt=$(base_worktree) out=$BENCH_BASE_DIR/debug ;;
*) die "--kernel $kind: patched or base" ;;
esac
log "debug kernel: building the $kind $BASE kernel with configs/debug.config ($(git -C "$wt" log -1 --format='%h %s' | cut -c1-60)); cold, about 9 minutes"
# a log directory of its own: the patched and the base kernel may build at once
blog=$LOG_DIR/debug-$BASE-$kind
LOG_DIR=$blog "$REPO_DIR/scripts/build.sh" --tree "$wt" --out "$out" "${FRAGS[@]}" "${skip[@]}" bzImage modules >&2 ||
	die "the $kind debug kernel did not build (logs in $blog)"
echo "$out"
