#!/usr/bin/env bash
# Install the Debian packages the project needs (idempotent).
#
# usage: scripts/deps.sh [-h] [--print]
#   --print  only print the apt-get line
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	build-essential libc6-dev flex bison bc libelf-dev libssl-dev dwarves cpio kmod
	xz-utils git python3 python3-ply python3-git rsync
	qemu-system-x86 busybox-static
	sparse coccinelle ocaml-nox b4 ccache
	gnuplot-nox
)
# The base tarball, unless the user brings a tree of their own.
[ -n "${KERNEL_DIR:-}" ] || PACKAGES+=("$BASE_DEB_PACKAGE")

case "${1:-}" in
-h | --help) usage; exit 0 ;;
--print) echo "apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"; exit 0 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
# The pinned source version, when it is still served, is what we want.
want_src="$BASE_DEB_PACKAGE"
have_src=$(dpkg-query -W -f='${Version}' "$BASE_DEB_PACKAGE" 2>/dev/null || true)
if [ "$have_src" != "$BASE_DEB_VERSION" ] && [ -z "${KERNEL_DIR:-}" ]; then
	missing+=("$BASE_DEB_PACKAGE")
fi

if [ ${#missing[@]} -eq 0 ]; then
	log "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	die "missing packages: ${missing[*]}
run as root:
  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
fi

log "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
run_logged apt-update apt-get update
served=$(apt-cache madison "$BASE_DEB_PACKAGE" || true)
if grep -qF "| $BASE_DEB_VERSION |" <<<"$served"; then
	want_src="$BASE_DEB_PACKAGE=$BASE_DEB_VERSION"
else
	newest=$(awk -F'|' 'NR==1 {gsub(/ /,"",$2); print $2}' <<<"$served")
	[ -n "$newest" ] || die "no $BASE_DEB_PACKAGE in the package archive; set KERNEL_DIR to a v6.12.y git tree"
	warn "pinned $BASE_DEB_PACKAGE $BASE_DEB_VERSION is no longer served; taking the newest, $newest.
*** The series was made against $BASE_DEB_VERSION: make check proves it still applies.
*** Update configs/base.env once it does."
fi
pkgs=()
for p in "${missing[@]}"; do
	if [ "$p" = "$BASE_DEB_PACKAGE" ]; then pkgs+=("$want_src"); else pkgs+=("$p"); fi
done
run_logged apt-install apt-get install -y --no-install-recommends --allow-downgrades "${pkgs[@]}"
log "deps: done"
