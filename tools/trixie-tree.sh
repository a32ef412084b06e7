#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The trixie tree: Debian 13 in a directory (STT_TRIXIE_ROOT, default
# /var/cache/stt-trixie), for trixie-backports' kernels (7.x), whose
# modules need trixie's gcc 14.  Run by tools/install-deps.sh, as root.
#
# Creates the tree with debootstrap the first time, updates it every time
# after, and installs in it the kernel image and headers that
# trixie-backports' meta packages (linux-image-amd64, linux-headers-amd64)
# point to today, with gcc, sparse, pahole, kmod and dkms (make check-dkms
# runs dkms for these kernels in the tree).  Then makes that
# kernel visible to the host as tools/vm-run and the Makefile expect:
#   /lib/modules/KVER/*  -> the tree's, all but build and source (its
#                           headers only build in the tree, see tools/kenv)
# and removes such links for the tree's older kernels, so make check
# follows the meta package (7.4 replaces 7.3 when it lands).
#
# The mirror is the one the host's apt uses for bookworm.

set -uo pipefail

T=${STT_TRIXIE_ROOT:-/var/cache/stt-trixie}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

say() { echo "trixie-tree: $*"; }
die()
{
	say "$*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root"

# in_tree CMD...: CMD chrooted in the tree, with /proc and /dev, in a
# private mount namespace (nothing stays mounted).
in_tree()
{
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m --propagation private /bin/bash -euc '
		t=$1
		shift
		mount -t proc proc "$t/proc"
		mount --rbind /dev "$t/dev"
		exec chroot "$t" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
			INITRD=No PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
	' in_tree "$T" "$@"
}

retry()
{
	local i

	for i in 1 2 3; do
		"$@" && return 0
		say "'$*' failed (try $i of 3)" >&2
		sleep $((i * 10))
	done
	return 1
}

# The host's Debian mirror (deb822 sources first, then sources.list).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
	/etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v security | grep -E '/debian/?$' | head -n1)
[ -n "$mirror" ] ||
	mirror=$(awk '$1 == "deb" && $0 !~ /security/ && $2 ~ /\/debian\/?$/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
[ -n "$mirror" ] || die "no Debian mirror in the host's apt sources"

start=$SECONDS
if [ ! -x "$T/usr/bin/apt-get" ]; then
	command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
	# Only an empty directory, or what a failed debootstrap of ours left.
	if [ -e "$T" ] && [ -n "$(ls -A "$T" 2>/dev/null)" ] && [ ! -e "$T/debootstrap" ]; then
		die "$T is not empty and not a trixie tree: not touching it (STT_TRIXIE_ROOT?)"
	fi
	say "debootstrap trixie into $T"
	rm -rf "$T"
	retry debootstrap --variant=minbase trixie "$T" "$mirror" >"$T.debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $T.debootstrap.log"
fi
echo "deb $mirror trixie main" >"$T/etc/apt/sources.list"
echo "deb $mirror trixie-backports main" >"$T/etc/apt/sources.list.d/backports.list"
# No service starts in the tree.
printf '#!/bin/sh\nexit 101\n' >"$T/usr/sbin/policy-rc.d"
chmod 755 "$T/usr/sbin/policy-rc.d"

say "apt-get update and install in the tree"
retry in_tree apt-get -q update >/dev/null || die "apt-get update failed in the tree"
retry in_tree apt-get -q -y --no-install-recommends -o Dpkg::Use-Pty=0 \
	install -t trixie-backports linux-image-amd64 linux-headers-amd64 \
	initramfs-tools gcc make libc6-dev libelf-dev sparse dwarves kmod \
	xz-utils zstd dkms >"$T.apt.log" 2>&1 ||
	die "apt-get install failed in the tree, see $T.apt.log"

# The kernel the meta package stands for today.
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
kver=$(in_tree dpkg-query -W -f '${Depends}' linux-image-amd64 |
	grep -o 'linux-image-[0-9][^ ,]*' | head -n1)
kver=${kver#linux-image-}
if [ -z "$kver" ] || [ ! -e "$T/boot/vmlinuz-$kver" ] || [ ! -e "$T/lib/modules/$kver/build" ]; then
	die "no kernel image with headers in the tree (meta package says '$kver')"
fi

# Debian's 7.x headers lack the kernel's scripts/checker-valid.sh, without
# which Kbuild turns sparse off (see tools/lint-log.sh).
for c in "$T"/usr/src/linux-headers-*-common; do
	[ -e "$c/scripts/checker-valid.sh" ] ||
		install -m 755 "$HERE/checker-valid.sh" "$c/scripts/checker-valid.sh"
done

# Host links, for this kernel only.
for d in /lib/modules/*/; do
	d=${d%/}
	case $(readlink "$d/modules.dep" 2>/dev/null) in
	"$T"/*) ;;
	*) continue ;;
	esac
	v=${d##*/}
	[ "$v" = "$kver" ] && continue
	say "unlinking $v (no longer what trixie-backports' linux-image-amd64 is)"
	rm -rf "$d"
done
mkdir -p "$T/lib/modules/$kver/updates" "/lib/modules/$kver" || exit 1
for e in "$T/lib/modules/$kver"/*; do
	case ${e##*/} in build | source) continue ;; esac
	ln -sfn "$e" "/lib/modules/$kver/${e##*/}" || exit 1
done
# Its image stays in the tree's /boot (tools/vm-run looks there): in the
# host's, the boot loader's scripts would offer it, without an initrd.
for f in vmlinuz config System.map; do
	case $(readlink "/boot/$f-$kver") in
	"$T"/*) rm -f "/boot/$f-$kver" ;;
	esac
done
say "$kver ready ($(in_tree gcc -dumpfullversion), sparse $(in_tree sparse --version)) after $((SECONDS - start)) s"
