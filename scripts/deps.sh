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
	sparse coccinelle ocaml-nox b4 ccache debian-archive-keyring
	gnuplot-nox
	libnuma-dev file
)
# libnuma-dev: the kernel's mm selftest `migration` links libnuma.a
# (scripts/mm-selftests.sh); file: it checks that each program is static.
# The base tarballs are not installed: scripts/fetch-base.sh downloads
# them into the cache (one of them from a suite the system does not use).

case "${1:-}" in
-h | --help) usage; exit 0 ;;
--print) echo "apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"; exit 0 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

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
run_logged apt-install apt-get install -y --no-install-recommends "${missing[@]}"
log "deps: done"
