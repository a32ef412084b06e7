#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make debug-kernel: a 6.12 kernel with KASAN, kmemleak, lockdep (PROVE_LOCKING,
# PROVE_RCU), DEBUG_ATOMIC_SLEEP, the netdev/netns refcount trackers and
# DEBUG_NET, built from Debian's linux-source-6.12 with only what the VM and
# the selftests need (tools/debug-kernel/stt-debug.config over
# x86_64_defconfig + kvm_guest.config, all built in).
#
# Cached outside the tree, in $STT_DEBUG_CACHE (/var/cache/stt-debug-kernel):
# the source, the object tree and a stamp of what built it; a second run with
# the same source and config does nothing.  It installs the kernel as release
# 6.12.N-stt-debug: /boot/vmlinuz-REL, /lib/modules/REL (modules.builtin, for
# modprobe) with its build link to the object tree, so that
#   make KVER=6.12.N-stt-debug        builds stt.ko against it
#   tools/vm-run debug -- CMD         boots it
#   make check KVERS=debug            runs the suite on it
# Nothing is installed through dpkg, and the release is kept out of the
# kernels make, make check and make lint pick by default.
#
# Root is needed (apt-get, /boot, /lib/modules).  Needs bc, flex, bison,
# libelf-dev, libssl-dev (tools/install-deps.sh installs them).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
CACHE=${STT_DEBUG_CACHE:-/var/cache/stt-debug-kernel}
FRAGMENT=$REPO/tools/debug-kernel/stt-debug.config
JOBS=${JOBS:-$(nproc)}
OUT=$CACHE/build
SRC=$CACHE/src

say() { printf 'debug-kernel: %s\n' "$*"; }
die() { say "error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get download, /boot, /lib/modules)"
mkdir -p "$CACHE"

# The source: Debian's linux-source-6.12, the version apt has now.
# shellcheck disable=SC2012,SC2015 # Debian's file names; no match is ""
deb=$(cd "$CACHE" && ls linux-source-6.12_*_all.deb 2>/dev/null | sort -V | tail -n1 || true)
want=$(apt-cache policy linux-source-6.12 2>/dev/null | awk '/Candidate:/ { print $2 }')
if [ -z "$deb" ] || { [ -n "$want" ] && [ "$want" != "(none)" ] &&
	[ "$deb" != "linux-source-6.12_${want//:/%3a}_all.deb" ]; }; then
	say "downloading linux-source-6.12 ${want:-} (about 150 MB)"
	(cd "$CACHE" && apt-get download linux-source-6.12 >/dev/null) ||
		die "apt-get download linux-source-6.12 failed"
	# shellcheck disable=SC2012 # Debian's file names
	deb=$(cd "$CACHE" && ls linux-source-6.12_*_all.deb | sort -V | tail -n1)
fi
if [ "$(cat "$SRC/.stt-deb" 2>/dev/null)" != "$deb" ]; then
	say "extracting $deb"
	rm -rf "$SRC" "$OUT"
	mkdir -p "$SRC"
	dpkg-deb --fsys-tarfile "$CACHE/$deb" |
		tar -xO --wildcards './usr/src/linux-source-6.12.tar.xz' |
		tar -xJ -C "$SRC" --strip-components=1
	echo "$deb" >"$SRC/.stt-deb"
fi

# The config: defconfig, then the two fragments; every option the fragment
# sets must come out as set, or Kconfig dropped it (a missing dependency).
stamp="$deb $(sha256sum "$FRAGMENT" | cut -d' ' -f1)"
mkdir -p "$OUT"
if [ "$(cat "$OUT/.stt-stamp" 2>/dev/null)" != "$stamp" ] || [ ! -e "$OUT/.config" ]; then
	say "configuring"
	make -s -C "$SRC" O="$OUT" x86_64_defconfig >/dev/null
	"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" "$OUT/.config" \
		"$SRC/kernel/configs/kvm_guest.config" "$FRAGMENT" >"$OUT/merge.log"
	make -s -C "$SRC" O="$OUT" LOCALVERSION=-stt-debug olddefconfig >/dev/null
	bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=n) opt=${line%=n}
			grep -q "^$opt=" "$OUT/.config" && { say "$opt is set, wanted off"; bad=1; } ;;
		CONFIG_*=*)
			grep -qx "$line" "$OUT/.config" || { say "$line did not stick"; bad=1; } ;;
		esac
	done <"$FRAGMENT"
	[ "$bad" = 0 ] || die "the config lost options (see $OUT/merge.log)"
fi

rel=$(make -s -C "$SRC" O="$OUT" LOCALVERSION=-stt-debug kernelrelease)
say "building $rel with $JOBS jobs in $OUT (log: $OUT/build.log)"
start=$SECONDS
# Progress: one line a minute with the number of objects done.
set +e
make -C "$SRC" O="$OUT" LOCALVERSION=-stt-debug -j"$JOBS" bzImage modules \
	>"$OUT/build.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	sleep 60
	kill -0 "$pid" 2>/dev/null &&
		say "$(grep -c '^  CC' "$OUT/build.log") objects compiled, $(((SECONDS - start) / 60)) min"
done
wait "$pid"
rc=$?
set -e
[ "$rc" = 0 ] || { tail -n 30 "$OUT/build.log" >&2; die "the kernel build failed"; }
say "built in $((SECONDS - start)) s"

# Install beside Debian's kernels, outside dpkg.
make -s -C "$SRC" O="$OUT" LOCALVERSION=-stt-debug modules_install >/dev/null
ln -sfn "$OUT" "/lib/modules/$rel/build"
install -m 644 "$OUT/arch/x86/boot/bzImage" "/boot/vmlinuz-$rel"
install -m 644 "$OUT/System.map" "/boot/System.map-$rel"
install -m 644 "$OUT/.config" "/boot/config-$rel"
echo "$stamp" >"$OUT/.stt-stamp"
say "installed $rel (tools/vm-run debug, make check KVERS=debug)"
