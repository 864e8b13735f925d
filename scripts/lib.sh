# shellcheck shell=bash
# Common definitions for the project's scripts. Source it; do not run it.

set -euo pipefail

# Debian's tools first: the kernel's helper scripts (checkpatch's
# spdxcheck.py, kunit.py) need the python3 modules scripts/deps.sh installs
# with apt, not whatever python3 a version manager puts earlier in PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The base: BASE names a pin in configs/bases/ (default: the primary,
# mainline). Every script works on one base at a time; make check runs
# each of them in turn.
BASES=(7.3 6.12)
BASE=${BASE:-${BASES[0]}}
[ -f "$REPO_DIR/configs/bases/$BASE.env" ] || {
	printf 'error: BASE=%s: there is no configs/bases/%s.env; the bases are: %s\n' \
		"$BASE" "$BASE" "${BASES[*]}" >&2
	exit 1
}
BASE_DEB_SUITE=
# shellcheck source=../configs/bases/common.env
. "$REPO_DIR/configs/bases/common.env"
# shellcheck source=../configs/bases/7.3.env
. "$REPO_DIR/configs/bases/$BASE.env"
SERIES_DIR_REPO=$REPO_DIR/$BASE_SERIES_DIR

# Everything big lives outside the repository and is reused between runs.
PCOMPACT_CACHE=${PCOMPACT_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/pcompact}
export CCACHE_DIR=${CCACHE_DIR:-$PCOMPACT_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Relative paths let the worktrees and build directories share the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PCOMPACT_CACHE}
export CCACHE_NOHASHDIR=1
JOBS=${JOBS:-$(nproc)}

# The kernel tree: a user's own (KERNEL_DIR) or the cached Debian base tree,
# named after the Debian version actually fetched (scripts/fetch-base.sh
# records it; the pinned one unless the archive no longer serves it).
DEB_DIR=$PCOMPACT_CACHE/debs
# base_tree_dir: (re)read the fetched version, set BASE_TREE_DIR and KERNEL_TREE
base_tree_dir() {
	BASE_DEB_FETCHED=$(cat "$DEB_DIR/$BASE_DEB_PACKAGE.version" 2>/dev/null || true)
	BASE_DEB_FETCHED=${BASE_DEB_FETCHED:-$BASE_DEB_VERSION}
	BASE_TREE_DIR=$PCOMPACT_CACHE/linux-source-${BASE_DEB_FETCHED//\~/_}
	KERNEL_TREE=${KERNEL_DIR:-$BASE_TREE_DIR}
}
base_tree_dir
# Worktrees of KERNEL_TREE, each in a directory with its build directories
# beside it (DIR/src, DIR/guest, DIR/uml, ...): the path from a build to its
# source is then the same (../src) for every worktree, so ccache
# (CCACHE_BASEDIR) serves one worktree's objects to the other.
# `series` is where developers edit the branch (never reset by a script);
# `check` is rebuilt from patches/ by make check. A user's own tree
# (KERNEL_DIR) gets directories of its own.
if [ -n "${KERNEL_DIR:-}" ]; then
	_tree_key=-$(printf '%s' "$KERNEL_DIR" | sha1sum | cut -c1-8)
else
	_tree_key=
fi
# Branches carry the base's name: one KERNEL_DIR repository can hold the
# worktrees of both bases.
TREES=$PCOMPACT_CACHE/trees-$BASE$_tree_key
SERIES_BRANCH=${SERIES_BRANCH:-pcompact-$BASE}
SERIES_DIR=$TREES/series
SERIES_WORKTREE=$SERIES_DIR/src
CHECK_BRANCH=pcompact-check-$BASE
CHECK_DIR=$TREES/check
CHECK_WORKTREE=$CHECK_DIR/src
# The benchmark kernels: the series applied from patches/ (bench) and the
# bare base (bench-base), both built with configs/guest.config as make
# check builds it, so that ccache serves them from the check's builds.
BENCH_BRANCH=pcompact-bench-$BASE
BENCH_DIR=$TREES/bench
BENCH_BASE_DIR=$TREES/bench-base
LOG_DIR=${LOG_DIR:-$PCOMPACT_CACHE/logs}

_t0=${_PCOMPACT_T0:-$(date +%s)}
export _PCOMPACT_T0=$_t0

# usage: the script's header comment (its help text), without the "#"
usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

log() {
	printf '[%4ds] %s\n' $(($(date +%s) - _t0)) "$*" >&2
}

warn() {
	printf '\n*** WARNING: %s\n\n' "$*" >&2
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# run_logged NAME CMD...: run CMD with its output in $LOG_DIR/NAME.log; on
# failure show the end of the log and where the whole log is.
run_logged() {
	local name=$1 logf
	shift
	mkdir -p "$LOG_DIR"
	logf=$LOG_DIR/$name.log
	local rc=0
	"$@" >"$logf" 2>&1 || rc=$?
	[ $rc != 0 ] || return 0
	printf '\n--- last 40 lines of %s ---\n' "$logf" >&2
	tail -n 40 "$logf" >&2
	printf -- '--- end of %s (command: %s) ---\n\n' "$logf" "$*" >&2
	return $rc
}

# The base commit of the series in KERNEL_TREE.
base_commit() {
	if [ -n "${BASE_REF:-}" ]; then
		git -C "$KERNEL_TREE" rev-parse --verify -q "$BASE_REF^{commit}" ||
			die "BASE_REF=$BASE_REF is not a commit in $KERNEL_TREE"
		return
	fi
	if [ -n "${KERNEL_DIR:-}" ]; then
		git -C "$KERNEL_TREE" rev-parse --verify -q "v$BASE_UPSTREAM_VERSION^{commit}" ||
			die "$KERNEL_DIR has no tag v$BASE_UPSTREAM_VERSION; set BASE_REF=<commit of your v$BASE_UPSTREAM_VERSION base> (BASE=$BASE)"
		return
	fi
	git -C "$KERNEL_TREE" rev-parse --verify -q "refs/tags/pcompact-base^{commit}" ||
		die "no base tree yet for BASE=$BASE: run BASE=$BASE scripts/base-tree.sh"
}

need_kernel_tree() {
	[ -d "$KERNEL_TREE/.git" ] || [ -f "$KERNEL_TREE/.git" ] ||
		die "$KERNEL_TREE is not a git tree: run BASE=$BASE scripts/base-tree.sh (or set KERNEL_DIR to your v$BASE_UPSTREAM_VERSION tree)"
}

# Patches listed in the base's series file, in order, as paths.
series_patches() {
	local p
	[ -f "$SERIES_DIR_REPO/series" ] || die "$BASE_SERIES_DIR/series is missing (BASE=$BASE)"
	while read -r p; do
		case "$p" in '' | '#'*) continue ;; esac
		printf '%s\n' "$SERIES_DIR_REPO/$p"
	done <"$SERIES_DIR_REPO/series"
}

# base_worktree: the worktree of the unpatched base kernel that the
# benchmarks and the guards build ($BENCH_BASE_DIR/src), created or reset to
# the base commit; prints its path
base_worktree() {
	local wt=$BENCH_BASE_DIR/src base
	base=$(base_commit)
	git -C "$KERNEL_TREE" worktree prune
	[ -e "$wt/.git" ] || { mkdir -p "$BENCH_BASE_DIR"; git -C "$KERNEL_TREE" worktree add -q --detach "$wt" "$base"; }
	if [ "$(git -C "$wt" rev-parse HEAD)" != "$base" ] || [ -n "$(git -C "$wt" status --porcelain)" ]; then
		git -C "$wt" checkout -q -f --detach "$base"
		git -C "$wt" clean -q -fdx
	fi
	echo "$wt"
}

# have_feature NAME: the base's series declares NAME (BASE_SERIES_FEATURES)
have_feature() {
	case " $BASE_SERIES_FEATURES " in *" $1 "*) return 0 ;; esac
	return 1
}

# with_progress LOGFILE MSG CMD...: run CMD (output already going to
# LOGFILE) and print MSG with the log's last line every 60 s until it ends.
with_progress() {
	local logf=$1 msg=$2 ticker rc=0
	shift 2
	(
		while sleep 60; do
			log "$msg ... $(tail -n 1 "$logf" 2>/dev/null | cut -c1-100)"
		done
	) &
	ticker=$!
	"$@" || rc=$?
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	return $rc
}
