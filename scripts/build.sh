#!/usr/bin/env bash
# Configure and build a guest kernel out of tree, with ccache.
#
# usage: scripts/build.sh [-h] --tree DIR --out DIR [--fragment F]...
#                         [--no-config-check] [--skip-absent] [--quiet]
#                         [TARGET...]
#   --tree DIR         kernel source tree (a worktree of the base)
#   --out DIR          build directory (O=), reused between runs
#   --fragment F       kconfig fragment on top of allnoconfig; repeatable;
#                      default configs/guest.config and, if it exists,
#                      configs/bases/$BASE.config
#   --no-config-check  do not fail when an option of a fragment did not
#                      stick (for older commits that lack a symbol)
#   --skip-absent      check every option but those whose symbol no Kconfig
#                      file of the tree defines, and name each one skipped
#                      (the unpatched base lacks the series' symbols)
#   TARGET             make targets (default: bzImage), e.g. mm/compaction.o
#
# The .config is x86_64 allnoconfig with the fragments forced in through
# KCONFIG_ALLCONFIG; then every option of the fragments is checked.
. "$(dirname "$0")/lib.sh"

tree= out= check=1 quiet=0 skip_absent=0
fragments=()
targets=()
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--tree) tree=$2; shift ;;
	--out) out=$2; shift ;;
	--fragment) fragments+=("$2"); shift ;;
	--no-config-check) check=0 ;;
	--skip-absent) skip_absent=1 ;;
	--quiet) quiet=1 ;;
	-*) die "unknown option $1 (see -h)" ;;
	*) targets+=("$1") ;;
	esac
	shift
done
[ -n "$tree" ] && [ -n "$out" ] || die "--tree and --out are required (see -h)"
[ -f "$tree/Makefile" ] || die "$tree is not a kernel tree"
if [ ${#fragments[@]} = 0 ]; then
	fragments=("$REPO_DIR/configs/guest.config")
	[ ! -f "$REPO_DIR/configs/bases/$BASE.config" ] || fragments+=("$REPO_DIR/configs/bases/$BASE.config")
fi
[ ${#targets[@]} -gt 0 ] || targets=(bzImage)
mkdir -p "$out" "$CCACHE_DIR"
command -v ccache >/dev/null || die "ccache is missing: run scripts/deps.sh"

MAKE=(make -C "$tree" O="$out" ARCH=x86_64 CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS")

# kconfig_check OUT FRAGMENT...: every option of the fragments is in
# .config; where fragments set one symbol twice, the later line counts
kconfig_check() {
	local cfg=$1/.config line sym bad=()
	shift
	local -A want=()
	local order=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*} ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
		*) continue ;;
		esac
		[ -n "${want[$sym]+set}" ] || order+=("$sym")
		want[$sym]=$line
	done < <(cat "$@")
	for sym in "${order[@]}"; do
		line=${want[$sym]}
		if [ $skip_absent = 1 ] &&
			! git -C "$tree" grep -qE "^[[:space:]]*(menu)?config ${sym#CONFIG_}\$" -- '*Kconfig*'; then
			log "build: not checked, no Kconfig of this tree defines it: $line"
			continue
		fi
		case "$line" in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" ||
				bad+=("$line (got: $(grep -E "^(# )?$sym[= ]" "$cfg" || echo 'not in .config: missing dependency or no such symbol'))")
			;;
		*)
			! grep -q "^$sym=" "$cfg" || bad+=("$line (got: $(grep "^$sym=" "$cfg"))")
			;;
		esac
	done
	if [ ${#bad[@]} -gt 0 ]; then
		printf 'error: kconfig options that did not stick in %s:\n' "$cfg" >&2
		printf '  %s\n' "${bad[@]}" >&2
		return 1
	fi
}

# Regenerate .config only when a fragment or the tree's Kconfig changed.
allconfig=$out/.pcompact-allconfig
cat "${fragments[@]}" >"$allconfig.new"
stamp=$(cat "$allconfig.new" | sha1sum | cut -c1-12)-$(git -C "$tree" rev-parse HEAD 2>/dev/null || echo notgit)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.pcompact-stamp" 2>/dev/null)" != "$stamp" ]; then
	mv "$allconfig.new" "$allconfig"
	[ $quiet = 1 ] || log "build: configuring $out (allnoconfig + ${fragments[*]##*/})"
	run_logged kconfig-"${out##*/}" "${MAKE[@]}" KCONFIG_ALLCONFIG="$allconfig" allnoconfig
	echo "$stamp" >"$out/.pcompact-stamp"
else
	rm -f "$allconfig.new"
fi
if [ $check = 1 ]; then
	kconfig_check "$out" "${fragments[@]}" || die "fix the fragment or the option's dependencies (see scripts/kconfig output above)"
fi

[ $quiet = 1 ] || log "build: make ${targets[*]} in $out (log: $LOG_DIR/build-${out##*/}.log)"
# A progress line every 30 s on long builds.
(
	while sleep 30; do
		n=$(grep -c '^  CC' "$LOG_DIR/build-${out##*/}.log" 2>/dev/null || true)
		log "build: ... still building ${targets[*]}: $n objects compiled so far"
	done
) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
run_logged build-"${out##*/}" "${MAKE[@]}" "${targets[@]}"
kill $ticker 2>/dev/null || true
[ $quiet = 1 ] || log "build: done (${targets[*]})"
