#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An installed stt.ko (make install or dkms), as a user finds it: run in a
# fresh VM by tools/check-dkms.sh after it installed the module on the host
# (the guest's / is the host's).  Not part of selftests/run.sh's default
# list: without an installed module it skips.
#
#   STT_INSTALLED_KO       where modinfo must find stt.ko (.xz etc. allowed)
#   STT_INSTALLED_VERSION  the version it must report
#   STT_SYSTEM_PLUGIN=1    use ip's default plugin directory (make install
#                          or make install-plugin put link_stt.so there), not
#                          the repo's; the man page was installed with it
#
#   - stt is not loaded at the start, modinfo resolves stt to the installed
#     file, with the expected version;
#   - the installed file carries the alias rtnl-link-stt (modinfo -F
#     alias: MODULE_ALIAS_RTNL_LINK), and modprobe resolves that alias to
#     stt (depmod's modules.alias: modprobe -R);
#   - ip link add ... type stt autoloads it.  In-kernel request_module()
#     does not work in every VM (ip link add ... type dummy does not load
#     dummy either): there the point checks what request_module() would
#     run, "modprobe rtnl-link-stt", loading the installed stt;
#   - otherwise modprobe stt loads the installed file (srcversion);
#   - a device is created with the plugin, shown by ip -d link, deleted;
#     rmmod stt;
#   - with STT_SYSTEM_PLUGIN=1: man -w ip-link-stt finds the installed
#     page on man's default path (no MANPATH), and man ip-link-stt
#     formats it.

source "$(dirname "$0")/lib.sh"

ktap_header
stt_require modprobe modinfo rmmod
[ -n "${STT_INSTALLED_KO:-}" ] ||
	ktap_skip_all "no installed module to test (run by tools/check-dkms.sh)"
if [ "${STT_SYSTEM_PLUGIN:-0}" = 1 ]; then
	unset IP_LIB_DIR
else
	export IP_LIB_DIR="${IP_LIB_DIR:-$STT_REPO/tools/iproute2}"
fi
if [ "${STT_SYSTEM_PLUGIN:-0}" = 1 ]; then
	ktap_plan 13
else
	ktap_plan 11
fi

ktap_info "expecting $STT_INSTALLED_KO, version ${STT_INSTALLED_VERSION:-?}," \
	"plugin from ${IP_LIB_DIR:-the default directory of ip}"
if stt_module_loaded; then
	ktap_fail "stt is not loaded at the start"
	ktap_bail "stt already loaded: cannot test loading the installed module"
fi
ktap_pass "stt is not loaded at the start"

PATH_FOUND=$(modinfo -n stt 2>&1)
ktap_info "modinfo -n stt: $PATH_FOUND"
ktap_check "modinfo resolves stt to the installed file" \
	"$([[ $PATH_FOUND == "$STT_INSTALLED_KO"* ]] && [ -e "$PATH_FOUND" ] && echo 0)"
VER=$(modinfo -F version stt 2>&1)
ktap_check "the installed stt.ko is version ${STT_INSTALLED_VERSION:-?} (got $VER)" \
	"$([ -n "${STT_INSTALLED_VERSION:-}" ] && [ "$VER" = "$STT_INSTALLED_VERSION" ] && echo 0)"

setup_ns NS || ktap_bail "cannot create a netns"

# Autoload: request_module("rtnl-link-stt") from ip link add needs the
# alias in the file and in depmod's modules.alias.
ALIASES=$(modinfo -F alias stt 2>&1)
ktap_info "modinfo -F alias stt: $(tr '\n' ' ' <<<"$ALIASES")"
ktap_check "modinfo -F alias stt lists rtnl-link-stt (MODULE_ALIAS_RTNL_LINK)" \
	"$(grep -qx 'rtnl-link-stt' <<<"$ALIASES" && echo 0)"
RESOLVED=$(modprobe -R rtnl-link-stt 2>&1)
ktap_info "modprobe -R rtnl-link-stt: $RESOLVED"
ktap_check "modprobe resolves the alias rtnl-link-stt to stt (modules.alias)" \
	"$([ "$RESOLVED" = stt ] && echo 0)"

OUT=$(ip -n "$NS" link add stt9 type stt remote 192.0.2.2 2>&1)
RC=$?
if [ "$RC" -eq 0 ] && stt_module_loaded; then
	ktap_pass "ip link add ... type stt autoloaded stt (MODULE_ALIAS_RTNL_LINK)"
	ip -n "$NS" link del stt9
else
	ktap_info "ip link add ... type stt: exit $RC: $OUT"
	if ! grep -q '^dummy ' /proc/modules && [ "$(modinfo -n dummy 2>/dev/null)" != "(builtin)" ] &&
		! ip -n "$NS" link add d9 type dummy 2>/dev/null; then
		# No request_module() here: run what it would run.
		ktap_info "module autoload does not work in this VM (ip link add type dummy does not load dummy either): modprobe rtnl-link-stt by hand, as request_module() would"
		OUT=$(modprobe rtnl-link-stt 2>&1)
		[ -n "$OUT" ] && ktap_info "modprobe rtnl-link-stt: $OUT"
		ktap_check "modprobe rtnl-link-stt (request_module's command) loads stt" \
			"$(stt_module_loaded && echo 0)"
	else
		ip -n "$NS" link del d9 2>/dev/null
		ktap_fail "ip link add ... type stt autoloads stt (dummy does autoload)"
	fi
fi

if ! stt_module_loaded; then
	OUT=$(modprobe stt 2>&1)
	ktap_info "modprobe stt: $OUT"
fi
ktap_result "modprobe stt: loaded" stt_module_loaded
SRC_FILE=$(modinfo -F srcversion stt 2>/dev/null)
SRC_LOADED=$(cat /sys/module/stt/srcversion 2>/dev/null)
ktap_info "srcversion: installed file $SRC_FILE, loaded $SRC_LOADED"
ktap_check "the loaded module is the installed file (srcversion)" \
	"$([ -n "$SRC_FILE" ] && [ "$SRC_FILE" = "$SRC_LOADED" ] && echo 0)"

create_show()
{
	local out

	stt_try ip -n "$NS" link add stt0 type stt remote 192.0.2.2 \
		local 192.0.2.1 key 7 dstport 7471 || return 1
	out=$(ip -n "$NS" -d link show dev stt0 2>&1)
	ktap_info "$out"
	grep -q "stt remote 192.0.2.2 local 192.0.2.1 key 0x7 dstport 7471" <<<"$out"
}
ktap_result "ip link add stt0 type stt remote ... key 7, ip -d link shows it" \
	create_show

rm_ok()
{
	ip -n "$NS" link del stt0 && rmmod stt && ! stt_module_loaded
}
ktap_result "device deleted, rmmod stt" rm_ok

if [ "${STT_SYSTEM_PLUGIN:-0}" = 1 ]; then
	MAN_FOUND=$(env -u MANPATH man -w ip-link-stt 2>&1)
	ktap_info "man -w ip-link-stt: $MAN_FOUND"
	ktap_check "man -w ip-link-stt finds the installed page (default manpath)" \
		"$([ -e "$MAN_FOUND" ] && echo 0)"
	MAN_OPTS=$(env -u MANPATH MANWIDTH=80 man ip-link-stt 2>&1 | grep -cE '^ +dscp-decap \{ copy \| ignore \}$')
	ktap_check "man ip-link-stt formats the page (its dscp-decap option)" \
		"$([ "$MAN_OPTS" = 1 ] && echo 0)"
fi
check_dmesg
ktap_finished
