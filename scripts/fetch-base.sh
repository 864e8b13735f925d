#!/usr/bin/env bash
# Download the base's pinned Debian source package (configs/bases/$BASE.env)
# into the cache, once, without installing it and without touching the
# system's apt sources: a package of the system's own suites comes through
# them (`apt-get download`); one of another suite (BASE_DEB_SUITE, e.g.
# trixie-backports on bookworm) through a private sources list whose lists
# and cache live under $PCOMPACT_CACHE/apt/SUITE, on the system's own Debian
# mirror. Prints the path of the kernel tarball, extracted from the .deb.
#
# usage: BASE=7.3|6.12 scripts/fetch-base.sh [-h]
#
# If the pinned version is no longer served, the newest one of the same
# package is taken, with a loud warning: make check then shows whether
# the series still applies.
. "$(dirname "$0")/lib.sh"

case "${1:-}" in -h | --help) usage; exit 0 ;; esac

tarball=$DEB_DIR/$BASE_DEB_PACKAGE-$BASE_DEB_FETCHED.tar.xz
if [ -f "$DEB_DIR/$BASE_DEB_PACKAGE.version" ] && [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi
mkdir -p "$DEB_DIR"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null ||
	die "apt-get and dpkg-deb are needed to fetch $BASE_DEB_PACKAGE (a Debian system), or set KERNEL_DIR to your own v$BASE_UPSTREAM_VERSION tree"

APT=(apt-get)
CACHE_APT=(apt-cache)
if [ -n "$BASE_DEB_SUITE" ]; then
	# the system's Debian mirror: the archive its own release comes from
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
		awk -v c="$codename" '$2 == c && $3 == "main" { print $1; exit }')
	[ -n "$mirror" ] || die "no Debian mirror for '$codename' main in the system's apt sources: cannot fetch $BASE_DEB_PACKAGE from $BASE_DEB_SUITE; set KERNEL_DIR to your own v$BASE_UPSTREAM_VERSION tree"
	apt_dir=$PCOMPACT_CACHE/apt/$BASE_DEB_SUITE
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "$keyring is missing: apt-get install debian-archive-keyring"
	echo "deb [signed-by=$keyring] $mirror $BASE_DEB_SUITE main" >"$apt_dir/sources.list"
	opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
	APT+=("${opts[@]}")
	CACHE_APT+=("${opts[@]}")
	log "fetch: $BASE_DEB_PACKAGE from $BASE_DEB_SUITE (private list: $apt_dir/sources.list)"
	run_logged apt-update-"$BASE_DEB_SUITE" "${APT[@]}" update ||
		die "apt-get update of the private $BASE_DEB_SUITE list failed (log above)"
else
	log "fetch: $BASE_DEB_PACKAGE from the system's apt sources"
	if ! apt-cache show "$BASE_DEB_PACKAGE" >/dev/null 2>&1; then
		[ "$(id -u)" = 0 ] || die "$BASE_DEB_PACKAGE is unknown to apt: run 'apt-get update' as root"
		run_logged apt-update apt-get update
	fi
fi

served=$("${CACHE_APT[@]}" madison "$BASE_DEB_PACKAGE" 2>/dev/null || true)
version=$BASE_DEB_VERSION
if ! grep -qF "| $BASE_DEB_VERSION |" <<<"$served"; then
	version=$(awk -F'|' 'NR == 1 { gsub(/ /, "", $2); print $2 }' <<<"$served")
	[ -n "$version" ] || die "no $BASE_DEB_PACKAGE in the package archive; set KERNEL_DIR to a v$BASE_UPSTREAM_VERSION git tree"
	warn "pinned $BASE_DEB_PACKAGE $BASE_DEB_VERSION is no longer served; taking the newest, $version.
*** The series was made against $BASE_DEB_VERSION: make check proves it still applies.
*** Update configs/bases/$BASE.env once it does."
fi
tmp=$(mktemp -d "$DEB_DIR/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt's download sandbox user must be able to write it
(cd "$tmp" && run_logged apt-download-"$BASE_DEB_PACKAGE" "${APT[@]}" download "$BASE_DEB_PACKAGE=$version") ||
	die "apt-get download $BASE_DEB_PACKAGE=$version failed (log above)"
deb=$(ls "$tmp"/*.deb)
log "fetch: $(basename "$deb") ($(du -m "$deb" | cut -f1) MB); extracting $BASE_DEB_TARBALL"
tarball=$DEB_DIR/$BASE_DEB_PACKAGE-$version.tar.xz
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$BASE_DEB_TARBALL" >"$tmp/tarball" ||
	die "$(basename "$deb") has no $BASE_DEB_TARBALL"
mv "$tmp/tarball" "$tarball"
echo "$version" >"$DEB_DIR/$BASE_DEB_PACKAGE.version"
echo "$tarball"
