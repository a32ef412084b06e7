#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-dkms: the two ways to install stt.ko, on this host, each then
# loaded in a VM of the same kernel (selftests/stt_install.sh):
#
#   1. make install KVER=K: stt.ko in /lib/modules/K/updates/ (depmod),
#      link_stt.so in ip's directory, ip-link-stt.8 in man's.  While it is
#      there, dkms install refuses (dkms.conf: the build fails).  The VM:
#      modprobe stt, the system plugin, man ip-link-stt.  Then make
#      uninstall.
#   2. dkms (make dkms-add once, then dkms install -m stt -v V -k K): stt.ko
#      in /lib/modules/K/updates/dkms/ (dkms runs depmod here, on the host;
#      depmod in the guest over 9p would take minutes), and make
#      install-plugin for the plugin and the man page, as the README says.
#      While it is there, make install refuses.  The VM: modprobe stt, the
#      system plugin, man ip-link-stt.  Then dkms remove, make
#      uninstall-plugin.
#
# Everything installed is removed again on every exit path, so that
# nothing shadows the build/K/stt.ko that the selftests insmod.  Needs root
# and dkms (tools/install-deps.sh).  Run it under the same VM lock as any
# other VM run (flock /tmp/stt-vm.lock make check-dkms): the guests of
# other runs see this host's /lib/modules while it is installed.
#
#   KVERS="6.1 6.12" tools/check-dkms.sh
#
# Ends with "N passed, N failed, N skipped" (KTAP points of the guests plus
# the host-side checks) and exits non-zero on any failure.

set -u

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
IP_LIB=/usr/lib/x86_64-linux-gnu/ip
MAN_PAGE=/usr/local/share/man/man8/ip-link-stt.8
VERSION=$(sed -n 's/^#define STT_DRV_VERSION[[:space:]]*"\(.*\)"/\1/p' stt_main.c)

say() { printf '==== check-dkms: %s\n' "$*"; }

PASS=0
FAIL=0
SKIP=0
ok() { PASS=$((PASS + 1)); say "ok: $*"; }
nok() { FAIL=$((FAIL + 1)); say "FAIL: $*"; }

if [ "$(id -u)" -ne 0 ]; then
	say "must run as root (it installs into /lib/modules and /usr/src)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 4
fi
if ! command -v dkms >/dev/null; then
	say "dkms is not installed (tools/install-deps.sh installs it)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# A run killed outright (SIGKILL, a machine stopped) never reaches its
# cleanup, and what it installed would then stop every later run at "already
# installed".  So before installing anything it writes a stamp: the sha256
# of each file it is about to install, and where.  A stamp found here is a
# killed run's: the files that still match it are that run's and go; a file
# that differs is someone's own install and stays (and fails below).
STAMPS=/var/lib/stt-check-dkms
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }
# stamp NAME SRC DST [SRC DST...]: record that SRC is about to become DST.
stamp()
{
	local name=$1

	shift
	mkdir -p "$STAMPS"
	while [ $# -ge 2 ]; do
		[ -f "$1" ] && printf '%s  %s\n' "$(sha "$1")" "$2"
		shift 2
	done >"$STAMPS/$name"
}
unstamp() { rm -f "$STAMPS/$1"; }
for s in "$STAMPS"/*; do
	[ -f "$s" ] || continue
	while read -r h f; do
		if [ -n "$f" ] && [ "$(sha "$f")" = "$h" ]; then
			say "removing $f (a killed run's, by ${s##*/})"
			rm -f "$f"
		fi
	done <"$s"
	case ${s##*/} in
	install-*) tools/kenv "${s##*/install-}" -- depmod -a "${s##*/install-}" 2>/dev/null ;;
	esac
	rm -f "$s"
done

# Leave the system as we found it: ip's plugin directory may already hold a
# link_stt.so (someone's make install), and man's the page; keep them aside.
PLUGIN_SAVED=""
if [ -e "$IP_LIB/link_stt.so" ]; then
	PLUGIN_SAVED=$(mktemp)
	cp -a "$IP_LIB/link_stt.so" "$PLUGIN_SAVED"
fi
MAN_SAVED=""
if [ -e "$MAN_PAGE" ]; then
	MAN_SAVED=$(mktemp)
	cp -a "$MAN_PAGE" "$MAN_SAVED"
fi
MADE_INSTALL=""	# the kernel make install is in effect for
MADE_PLUGIN=""	# make install-plugin is in effect

# Trixie's kernels (7.x) build in the trixie tree (tools/kenv), so dkms
# runs there too, with its own registration of stt: made on the first such
# kernel (TREE_KVER), removed at the end.
TREE_KVER=""
# kdkms K ARGS...: dkms where K's modules build.
kdkms() { local k=$1; shift; tools/kenv "$k" -- dkms "$@"; }
# tree_remove K: take stt out of the tree's dkms.
tree_remove()
{
	tools/kenv "$1" -- make --no-print-directory dkms-remove &&
		[ ! -e "$(tools/kenv --root "$1")/usr/src/stt-$VERSION" ]
}

cleanup()
{
	[ -n "$MADE_INSTALL" ] &&
		make --no-print-directory uninstall KVER="$MADE_INSTALL" >/dev/null 2>&1 &&
		unstamp "install-$MADE_INSTALL"
	[ -n "$MADE_PLUGIN" ] &&
		make --no-print-directory uninstall-plugin >/dev/null 2>&1 &&
		unstamp plugin
	if dkms status -m stt -v "$VERSION" 2>/dev/null | grep -q .; then
		make --no-print-directory dkms-remove >/dev/null 2>&1
	fi
	rm -rf "/usr/src/stt-$VERSION"
	[ -n "$TREE_KVER" ] && tree_remove "$TREE_KVER" >/dev/null 2>&1
	if [ -n "$PLUGIN_SAVED" ]; then
		cp -a "$PLUGIN_SAVED" "$IP_LIB/link_stt.so"
		rm -f "$PLUGIN_SAVED"
	fi
	if [ -n "$MAN_SAVED" ]; then
		cp -a "$MAN_SAVED" "$MAN_PAGE"
		rm -f "$MAN_SAVED"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# vport_resolves K DIR HOW: openvswitch.ko asks for "vport-type-106" when
# ovs-vswitchd adds an stt port; after HOW that must load DIR/vport-stt.ko
# (DIR under /lib/modules/K), after DIR/stt.ko.
vport_resolves()
{
	local dep

	dep=$(modprobe -S "$1" --show-depends vport-type-106 2>&1)
	if grep -q "$2/stt.ko" <<<"$dep" && grep -q "$2/vport-stt.ko" <<<"$dep"; then
		ok "$1: $3: modprobe vport-type-106 (openvswitch's request) loads $2/vport-stt.ko after stt.ko"
	else
		nok "$1: $3: modprobe vport-type-106: $(tr '\n' ' ' <<<"$dep")"
	fi
}

# installed_files K: stt.ko files under /lib/modules/K/updates.
installed_files()
{
	find "/lib/modules/$1/updates/" -name 'stt.ko*' 2>/dev/null | sort
}

# guest K EXPECTED_KO [VAR=VALUE...]: selftests/stt_install.sh in a VM;
# adds its KTAP points to the totals.
guest()
{
	local k=$1 ko=$2 log p f s rc

	shift 2
	log=build/check/install-$k.log
	mkdir -p build/check
	env -u IP_LIB_DIR STT_INSTALLED_KO="$ko" STT_INSTALLED_VERSION="$VERSION" \
		"$@" tools/vm-run "$k" -- selftests/stt_install.sh 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -acE '^ok [0-9]+ ' "$log")
	s=$(grep -acE '^ok [0-9]+ .*# SKIP' "$log")
	f=$(grep -acE '^not ok [0-9]+ ' "$log")
	p=$((p - s))
	PASS=$((PASS + p))
	SKIP=$((SKIP + s))
	FAIL=$((FAIL + f))
	if [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$f" = 0 ]; then
		nok "$k: the VM exited $rc"
	elif [ "$p" = 0 ]; then
		nok "$k: no test point passed in the VM"
	fi
}

[ -n "${KVERS:-}" ] || KVERS=$(make --no-print-directory -s print-kvers)
read -r -a kvers <<<"${KVERS:-}"
t_all=$SECONDS

say "dkms $(dkms --version 2>/dev/null), stt $VERSION, kernels: ${kvers[*]}"
# A run killed half-way can leave stt/$VERSION registered, perhaps without
# its source tree (dkms add then refuses): this check installs from
# scratch, so take the stale copy away first, and say so.
if [ -e "/var/lib/dkms/stt/$VERSION" ]; then
	say "removing a stale dkms registration of stt $VERSION (an earlier run's)"
	dkms remove -m stt -v "$VERSION" --all >/dev/null 2>&1
	rm -rf "/var/lib/dkms/stt/$VERSION" "/usr/src/stt-$VERSION"
	rmdir "/var/lib/dkms/stt" 2>/dev/null
fi
if make --no-print-directory dkms-add; then
	ok "make dkms-add: /usr/src/stt-$VERSION registered"
else
	nok "make dkms-add"
	exit 1
fi

for arg in "${kvers[@]}"; do
	t0=$SECONDS
	if ! k=$(tools/vm-run --resolve "$arg" 2>&1); then
		nok "$arg: $k"
		continue
	fi
	root=$(tools/kenv --root "$k")
	root=${root%/}
	if [ -n "$root" ] && [ -z "$TREE_KVER" ]; then
		# A killed run's registration goes first, as on the host.
		if [ -e "$root/var/lib/dkms/stt/$VERSION" ]; then
			say "removing a stale dkms registration of stt $VERSION in $root"
			tree_remove "$k" >/dev/null 2>&1
			rm -rf "$root/var/lib/dkms/stt/$VERSION" "$root/usr/src/stt-$VERSION"
		fi
		TREE_KVER=$k
		if tools/kenv "$k" -- make --no-print-directory dkms-add; then
			ok "make dkms-add in $root: $root/usr/src/stt-$VERSION registered"
		else
			nok "make dkms-add in $root"
			continue
		fi
	fi
	if [ -n "$(installed_files "$k")" ]; then
		nok "$k: stt.ko already installed, not touching it: $(installed_files "$k" | tr '\n' ' ')"
		continue
	fi

	# 1. make install (built first, so that the stamp has what it installs)
	say "$k: make install KVER=$k"
	make --no-print-directory KVER="$k" modules plugin >/dev/null
	stamp "install-$k" "build/$k/stt.ko" "/lib/modules/$k/updates/stt.ko" \
		"build/$k/vport-stt.ko" "/lib/modules/$k/updates/vport-stt.ko" \
		tools/iproute2/link_stt.so "$IP_LIB/link_stt.so" \
		man/ip-link-stt.8 "$MAN_PAGE"
	MADE_INSTALL=$k
	if make --no-print-directory install KVER="$k" &&
		[ "$(installed_files "$k")" = "/lib/modules/$k/updates/stt.ko" ] &&
		[ -x "$IP_LIB/link_stt.so" ] && [ -f "$MAN_PAGE" ] &&
		grep -q "^updates/stt.ko:" "/lib/modules/$k/modules.dep"; then
		ok "$k: make install: updates/stt.ko in modules.dep, $IP_LIB/link_stt.so, $MAN_PAGE"
	else
		nok "$k: make install: $(installed_files "$k" | tr '\n' ' ')"
	fi
	[ -f "build/$k/vport-stt.ko" ] && vport_resolves "$k" updates "make install"
	out=$(kdkms "$k" install -m stt -v "$VERSION" -k "$k" 2>&1)
	rc=$?
	# The refusal is in the build's make.log (dkms.conf says why).
	out+=$(cat "$root/var/lib/dkms/stt/$VERSION/build/make.log" 2>/dev/null)
	if [ "$rc" -ne 0 ] && grep -q "installed by 'make install'" <<<"$out" &&
		[ "$(installed_files "$k")" = "/lib/modules/$k/updates/stt.ko" ]; then
		ok "$k: dkms install refused next to make install's copy"
	else
		nok "$k: dkms install next to make install's copy: exit $rc"
		printf '%s\n' "$out" | tail -5
	fi
	guest "$k" "/lib/modules/$k/updates/stt.ko" STT_SYSTEM_PLUGIN=1
	if make --no-print-directory uninstall KVER="$k" &&
		[ -z "$(installed_files "$k")" ] && [ ! -e "$IP_LIB/link_stt.so" ] &&
		[ ! -e "$MAN_PAGE" ]; then
		ok "$k: make uninstall"
	else
		nok "$k: make uninstall left $(installed_files "$k" | tr '\n' ' ')"
	fi
	MADE_INSTALL=""
	unstamp "install-$k"

	# 2. dkms
	say "$k: dkms install -m stt -v $VERSION -k $k"
	t1=$SECONDS
	if kdkms "$k" install -m stt -v "$VERSION" -k "$k" &&
		[[ $(installed_files "$k") == "/lib/modules/$k/updates/dkms/stt.ko"* ]] &&
		grep -q "^updates/dkms/stt.ko[^:]*:" "/lib/modules/$k/modules.dep"; then
		ok "$k: dkms install ($((SECONDS - t1)) s): $(installed_files "$k"), in modules.dep"
	else
		nok "$k: dkms install: $(installed_files "$k" | tr '\n' ' ')"
	fi
	[ -f "build/$k/vport-stt.ko" ] && vport_resolves "$k" updates/dkms "dkms install"
	out=$(make --no-print-directory install KVER="$k" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "dkms has installed" <<<"$out" &&
		[ ! -e "/lib/modules/$k/updates/stt.ko" ]; then
		ok "$k: make install refused next to dkms's copy"
	else
		nok "$k: make install next to dkms's copy: exit $rc"
		printf '%s\n' "$out" | tail -5
		make --no-print-directory uninstall KVER="$k" >/dev/null 2>&1
	fi
	stamp plugin tools/iproute2/link_stt.so "$IP_LIB/link_stt.so" \
		man/ip-link-stt.8 "$MAN_PAGE"
	MADE_PLUGIN=1
	if make --no-print-directory install-plugin >/dev/null &&
		[ -x "$IP_LIB/link_stt.so" ] && [ -f "$MAN_PAGE" ]; then
		ok "$k: make install-plugin: $IP_LIB/link_stt.so, $MAN_PAGE"
	else
		nok "$k: make install-plugin"
	fi
	guest "$k" "/lib/modules/$k/updates/dkms/stt.ko" STT_SYSTEM_PLUGIN=1
	if make --no-print-directory uninstall-plugin >/dev/null &&
		[ ! -e "$IP_LIB/link_stt.so" ] && [ ! -e "$MAN_PAGE" ]; then
		ok "$k: make uninstall-plugin"
	else
		nok "$k: make uninstall-plugin"
	fi
	MADE_PLUGIN=""
	unstamp plugin
	if kdkms "$k" remove -m stt -v "$VERSION" -k "$k" >/dev/null &&
		[ -z "$(installed_files "$k")" ] &&
		! grep -q "stt.ko" "/lib/modules/$k/modules.dep"; then
		ok "$k: dkms remove: no stt.ko left under /lib/modules/$k"
	else
		nok "$k: dkms remove left $(installed_files "$k" | tr '\n' ' ')"
	fi
	say "$k: $((SECONDS - t0)) s"
done

if [ -n "$TREE_KVER" ]; then
	if tree_remove "$TREE_KVER" >/dev/null 2>&1 &&
		! kdkms "$TREE_KVER" status -m stt 2>/dev/null | grep -q .; then
		ok "make dkms-remove in the trixie tree: nothing of stt left in its dkms"
	else
		nok "make dkms-remove in the trixie tree: $(kdkms "$TREE_KVER" status -m stt 2>&1)"
	fi
	TREE_KVER=""
fi
make --no-print-directory dkms-remove >/dev/null 2>&1
if [ ! -e "/usr/src/stt-$VERSION" ] && ! dkms status -m stt 2>/dev/null | grep -q .; then
	ok "make dkms-remove: nothing of stt left in dkms"
else
	nok "make dkms-remove: $(dkms status -m stt 2>&1)"
fi

say "done in $((SECONDS - t_all)) s"
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
