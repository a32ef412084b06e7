#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# OVN over STT: Debian's OVN 23.03 (ovn-northd, ovn-controller) and Open
# vSwitch 3.1, with ovn-encap-type=stt, on vport-stt.ko.
#
#   central: NB and SB ovsdb-servers (SB on ptcp:6642:192.0.2.100) and
#            ovn-northd
#   chassis ch1..ch3 (ch4 later): each a netns with its own ovsdb-server,
#            ovs-vswitchd and ovn-controller (own run/db/log directories),
#            external_ids ovn-remote, ovn-encap-type=stt, ovn-encap-ip
#   underlay: a bridge in its own netns, 192.0.2.0/24, central .100,
#            chassis chN .N
#   logical:  ls1 10.0.1.0/24 (vm1 on ch1, vm2 on ch2), ls2 10.0.2.0/24
#            (vm3 on ch3), joined by the distributed router lr0; every VM
#            is a netns whose veth is plugged into its chassis's br-int
#            with external_ids:iface-id
#
#  1. OVN comes up: every chassis registers with encap stt, ovn-controller
#     creates br-int and one type=stt tunnel port per other chassis (no
#     error), the datapath has stt_sys_7471, the VM ports are bound;
#  2. ping and iperf3 vm1 <-> vm2 (ls1, ch1 <-> ch2) and vm1 <-> vm3
#     (through lr0, ch1 <-> ch3);
#  3. tshark on ch1's underlay port: TCP 7471 STT frames whose Context IDs
#     are exactly OVN's: ovn-controller (physical.c, put_encapsulation)
#     loads datapath tunnel_key | outport key << 24 | inport key << 40
#     into tun_id, all keys read back from the SB database; no STT expert
#     info;
#  4. a fourth chassis joins (every chassis then has three tunnels), vm2
#     moves from ch2 to ch4 (port deleted on ch2, its veth moved, added on
#     ch4 with the same iface-id): the binding follows, ping works again,
#     and the capture shows STT to ch4's encap IP and none to ch2;
#  5. dmesg clean.
#
# In-VM request_module does not work here, so the test loads vport-stt.ko
# itself, as modprobe would on "vport-type-106".  Skips only without
# openvswitch.ko in the kernel under test, without vport-stt.ko built for
# it, or without the OVS/OVN programs.

source "$(dirname "$0")/lib.sh"

ktap_header
stt_require ovs-vsctl ovs-vswitchd ovsdb-server ovsdb-tool ovs-appctl \
	ovn-northd ovn-controller ovn-nbctl ovn-sbctl iperf3 ping dumpcap tshark
for f in /usr/share/ovn/ovn-nb.ovsschema /usr/share/ovn/ovn-sb.ovsschema \
	/usr/share/openvswitch/vswitch.ovsschema; do
	[ -f "$f" ] || ktap_skip_all "OVN/OVS schema missing: $f"
done
stt_require_vport
stt_load_module || { echo "Bail out! cannot load stt.ko"; exit "$KSFT_FAIL"; }
stt_tmpdir TMP || exit "$KSFT_FAIL"
ktap_plan 17

CENTRAL_IP=192.0.2.100
SB_REMOTE=tcp:$CENTRAL_IP:6642
VM_IP=([1]=10.0.1.1 [2]=10.0.1.2 [3]=10.0.2.3)
VM_MAC=([1]=00:00:00:00:01:01 [2]=00:00:00:00:01:02 [3]=00:00:00:00:02:03)
VM_GW=([1]=10.0.1.254 [2]=10.0.1.254 [3]=10.0.2.254)

# elapsed WHAT: how long the test has taken so far, as a note (TCG is slow,
# and the runtime is part of what this test reports).
elapsed() { ktap_info "$1 after ${SECONDS}s"; }

###########################################################################
# Cleanup: every daemon by its pidfile, the netns, then vport-stt.ko once
# its datapath ports are gone with the netns.
###########################################################################

ovn_stop()
{
	local f pid pids=() i

	for f in "$TMP"/*/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	for ((i = 0; i < 25; i++)); do
		for pid in "${pids[@]}"; do
			[ -d "/proc/$pid" ] && break
			pid=""
		done
		[ -z "$pid" ] && break
		stt_sleep 0.2
	done
	for pid in "${pids[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	for f in "${STT_NS_LIST[@]}"; do
		for pid in $(ip netns pids "$f" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$f" 2>/dev/null
	done
	# The netns' datapaths (and their stt_sys_7471 ports) go away in the
	# kernel's netns cleanup work, after ip netns del returns.
	if [ -d /sys/module/vport_stt ]; then
		stt_wait_for 20 eval '[ "$(cat /sys/module/vport_stt/refcnt 2>/dev/null)" = 0 ]'
		rmmod vport-stt 2>/dev/null ||
			echo "# cleanup: rmmod vport-stt failed (refcnt $(cat /sys/module/vport_stt/refcnt 2>/dev/null))"
	fi
}
STT_CLEANUP_HOOKS+=(ovn_stop)

stt_load_vport

###########################################################################
# Underlay: a bridge in U; central and chassis hang off it.
###########################################################################

setup_ns U C H1 H2 H3 H4 V1 V2 V3 || ktap_bail "cannot create the netns"
H=([1]=$H1 [2]=$H2 [3]=$H3 [4]=$H4)
V=([1]=$V1 [2]=$V2 [3]=$V3)

# ul_attach NS NAME IP: a veth from the underlay bridge into NS, as eth0.
ul_attach()
{
	ip link add "$2" netns "$U" type veth peer name eth0 netns "$1" &&
		ip -n "$U" link set "$2" master br0 up &&
		ip -n "$1" -batch - <<-EOF
			addr add $3/24 dev eth0
			link set eth0 up
		EOF
}

# Loaded here: in-VM module autoload does not work.
modprobe -q bridge 2>/dev/null
ok=1
if ip -n "$U" -batch - <<-EOF
	link add br0 type bridge
	link set br0 up
EOF
then
	ok=0
	ul_attach "$C" ul0 "$CENTRAL_IP" || ok=1
	for i in 1 2 3 4; do
		ul_attach "${H[i]}" "ul$i" "192.0.2.$i" || ok=1
	done
fi
[ "$ok" = 0 ] || ktap_bail "cannot build the underlay"

###########################################################################
# Central: NB and SB databases, ovn-northd.
###########################################################################

CD=$TMP/central
mkdir -p "$CD"
# cx CMD...: CMD in the central netns with the central's directories.
cx()
{
	nsx "$C" env OVS_RUNDIR="$CD" OVS_LOGDIR="$CD" OVS_DBDIR="$CD" \
		OVN_RUNDIR="$CD" OVN_LOGDIR="$CD" OVN_DBDIR="$CD" "$@"
}
# The control commands reach the daemons through their unix sockets, which
# work from any netns: no ip netns exec for them (each costs under TCG, and
# the waits below poll them).
nbctl() { ovn-nbctl --db="unix:$CD/nb.sock" --timeout=60 "$@"; }
sbctl() { ovn-sbctl --db="unix:$CD/sb.sock" --timeout=60 "$@"; }

# ovn_wait SECS CMD...: poll CMD once a second for up to SECS seconds
# (stt_wait_for's five times a second would take CPU from the daemons
# being waited for).
ovn_wait()
{
	local i

	for ((i = 0; i < $1; i++)); do
		"${@:2}" && return 0
		stt_sleep 1
	done
	"${@:2}"
}

central_start()
{
	ovsdb-tool create "$CD/nb.db" /usr/share/ovn/ovn-nb.ovsschema &&
		ovsdb-tool create "$CD/sb.db" /usr/share/ovn/ovn-sb.ovsschema &&
		cx ovsdb-server "$CD/nb.db" --remote="punix:$CD/nb.sock" \
			--pidfile="$CD/ovsdb-nb.pid" --unixctl="$CD/ovsdb-nb.ctl" \
			--detach --no-chdir --log-file="$CD/ovsdb-nb.log" \
			-vconsole:off 2>/dev/null &&
		cx ovsdb-server "$CD/sb.db" --remote="punix:$CD/sb.sock" \
			--remote="ptcp:6642:$CENTRAL_IP" \
			--pidfile="$CD/ovsdb-sb.pid" --unixctl="$CD/ovsdb-sb.ctl" \
			--detach --no-chdir --log-file="$CD/ovsdb-sb.log" \
			-vconsole:off 2>/dev/null &&
		cx ovn-northd --ovnnb-db="unix:$CD/nb.sock" \
			--ovnsb-db="unix:$CD/sb.sock" --pidfile="$CD/ovn-northd.pid" \
			--detach --no-chdir --log-file="$CD/ovn-northd.log" \
			-vconsole:off 2>/dev/null &&
		nbctl init && sbctl init
}
if central_start; then
	ktap_pass "central: NB and SB ovsdb-server (SB on $SB_REMOTE) and ovn-northd run"
else
	tail -n 5 "$CD"/*.log 2>/dev/null | ktap_info
	ktap_bail "cannot start the OVN central"
fi

###########################################################################
# Chassis: ovsdb-server, ovs-vswitchd, ovn-controller each.
###########################################################################

# hx N CMD...: CMD in chassis N's netns with its own directories (OVS_RUNDIR
# also tells ovn-controller where br-int.mgmt is; OVN_RUNDIR is where
# ovn-controller 23.03 puts its control socket).
hx() { stt_ovs_env "$TMP/ch$1" ip netns exec "${H[$1]}" "${@:2}"; }
vsctl() { ovs-vsctl --db="unix:$TMP/ch$1/db.sock" --timeout=60 "${@:2}"; }
# appctl N CMD...: ovs-appctl to chassis N's ovs-vswitchd (found by its
# pidfile in OVS_RUNDIR).
appctl() { OVS_RUNDIR="$TMP/ch$1" ovs-appctl -t ovs-vswitchd "${@:2}"; }

chassis_start()
{
	local n=$1 d=$TMP/ch$1

	stt_ovs_db "${H[$n]}" "$d" &&
		vsctl "$n" --no-wait init -- set open_vswitch . \
			external_ids:system-id="ch$n" \
			external_ids:hostname="ch$n" \
			external_ids:ovn-remote="$SB_REMOTE" \
			external_ids:ovn-encap-type=stt \
			external_ids:ovn-encap-ip="192.0.2.$n" &&
		stt_ovs_switchd "${H[$n]}" "$d" &&
		hx "$n" ovn-controller "unix:$d/db.sock" \
			--pidfile="$d/ovn-controller.pid" --detach --no-chdir \
			--log-file="$d/ovn-controller.log" -vconsole:off 2>/dev/null
}

# chassis_ready N: br-int exists and the chassis is in SB with an stt
# encap on its IP.
chassis_ready()
{
	vsctl "$1" br-exists br-int 2>/dev/null &&
		[ "$(sbctl --bare --columns=type,ip find encap chassis_name="ch$1" 2>/dev/null |
			tr -s '\n' ' ')" = "stt 192.0.2.$1 " ]
}

# tunnels_ok N COUNT: chassis N has COUNT type=stt ports in br-int, each
# with an OpenFlow port and no error, and the datapath has stt_sys_7471.
tunnels_ok()
{
	local out

	out=$(vsctl "$1" --format=csv --data=bare --no-headings \
		--columns=name,ofport,error find interface type=stt 2>/dev/null)
	[ "$(grep -c . <<<"$out")" = "$2" ] || return 1
	# "name,ofport,": an OpenFlow port and no error.
	! grep -vqE '^[^,]+,[1-9][0-9]*,$' <<<"$out" || return 1
	appctl "$1" dpctl/show 2>/dev/null | grep -q 'port [0-9]*: stt_sys_7471'
}

# tunnels_show N: the tunnel ports as KTAP notes.
tunnels_show()
{
	vsctl "$1" --format=csv --columns=name,type,options,error,ofport \
		find interface type=stt 2>&1 | ktap_info
}

ok=0
for i in 1 2 3; do
	chassis_start "$i" || ok=1
done
for i in 1 2 3; do
	ovn_wait 60 chassis_ready "$i" || {
		ok=1
		ktap_info "ch$i not ready:"
		tail -n 5 "$TMP/ch$i"/*.log 2>/dev/null | ktap_info
	}
done
sbctl --columns=name,encaps list chassis 2>&1 | grep -v '^$' | ktap_info
ktap_check "three chassis: ovsdb-server, ovs-vswitchd, ovn-controller; br-int created, registered with encap stt" "$ok"

ok=0
for i in 1 2 3; do
	ovn_wait 60 tunnels_ok "$i" 2 || ok=1
	ktap_info "ch$i:"
	tunnels_show "$i"
done
ktap_check "each chassis has a type=stt tunnel port to each other one (no error) and stt_sys_7471 in its datapath" "$ok"
elapsed "OVN up"

###########################################################################
# Logical topology and the VMs.
###########################################################################

nbctl ls-add ls1 -- ls-add ls2 -- lr-add lr0 \
	-- lrp-add lr0 lr0-ls1 00:00:00:00:01:fe 10.0.1.254/24 \
	-- lrp-add lr0 lr0-ls2 00:00:00:00:02:fe 10.0.2.254/24 \
	-- lsp-add ls1 ls1-lr0 -- lsp-set-type ls1-lr0 router \
	-- lsp-set-addresses ls1-lr0 router -- lsp-set-options ls1-lr0 router-port=lr0-ls1 \
	-- lsp-add ls2 ls2-lr0 -- lsp-set-type ls2-lr0 router \
	-- lsp-set-addresses ls2-lr0 router -- lsp-set-options ls2-lr0 router-port=lr0-ls2 \
	-- lsp-add ls1 vm1 -- lsp-set-addresses vm1 "${VM_MAC[1]} ${VM_IP[1]}" \
	-- lsp-add ls1 vm2 -- lsp-set-addresses vm2 "${VM_MAC[2]} ${VM_IP[2]}" \
	-- lsp-add ls2 vm3 -- lsp-set-addresses vm3 "${VM_MAC[3]} ${VM_IP[3]}" \
	>"$TMP/nbctl.out" 2>&1
ok=$?
ktap_info <"$TMP/nbctl.out"

# vm_plug N CHASSIS: vmN's veth "vmN" into the chassis's br-int.
vm_plug()
{
	vsctl "$2" add-port br-int "vm$1" -- set interface "vm$1" \
		external_ids:iface-id="vm$1" >/dev/null
}

# bound_to PORT CHASSIS: the port is bound to the chassis and up.
bound_to()
{
	local ch

	ch=$(sbctl --bare --columns=chassis find port_binding logical_port="$1" 2>/dev/null) &&
		[ -n "$ch" ] &&
		[ "$(sbctl --bare get chassis "$ch" name 2>/dev/null)" = "$2" ] &&
		[ "$(nbctl get logical_switch_port "$1" up 2>/dev/null)" = true ]
}

for i in 1 2 3; do
	ip link add eth0 netns "${V[i]}" address "${VM_MAC[i]}" type veth \
		peer name "vm$i" netns "${H[i]}" &&
		ip -n "${H[i]}" link set "vm$i" up &&
		ip -n "${V[i]}" -batch - <<-EOF &&
			addr add ${VM_IP[i]}/24 dev eth0
			link set eth0 up
			route add default via ${VM_GW[i]}
		EOF
		vm_plug "$i" "$i" || ok=1
done
for i in 1 2 3; do
	ovn_wait 60 bound_to "vm$i" "ch$i" || {
		ok=1
		ktap_info "vm$i is not bound to ch$i: its Port_Binding, its OVS" \
			"interface, ch$i's ovn-controller log:"
		sbctl --columns=logical_port,chassis,up find port_binding \
			logical_port="vm$i" 2>&1 | ktap_info
		vsctl "$i" --columns=name,ofport,error,external_ids list interface \
			"vm$i" 2>&1 | ktap_info
		tail -n 10 "$TMP/ch$i/ovn-controller.log" 2>&1 | ktap_info
	}
done
nbctl --wait=hv --timeout=60 sync || ok=1
nbctl show 2>&1 | ktap_info
ktap_check "ls1, ls2 and lr0 configured; vm1, vm2, vm3 bound on ch1, ch2, ch3 and up" "$ok"
elapsed "VMs bound"

# OVN's keys, from the SB database.
dp_key() { sbctl --bare --columns=tunnel_key find datapath_binding external_ids:name="$1"; }
port_key() { sbctl --bare --columns=tunnel_key find port_binding logical_port="$1"; }
DP_LS1=$(dp_key ls1)
DP_LS2=$(dp_key ls2)
PK_vm1=$(port_key vm1)
PK_vm2=$(port_key vm2)
PK_vm3=$(port_key vm3)
PK_ls1_lr0=$(port_key ls1-lr0)
PK_ls2_lr0=$(port_key ls2-lr0)
ktap_info "tunnel keys: datapath ls1 $DP_LS1, ls2 $DP_LS2; ports vm1 $PK_vm1, vm2 $PK_vm2, vm3 $PK_vm3, ls1-lr0 $PK_ls1_lr0, ls2-lr0 $PK_ls2_lr0"

# ctx DP OUTPORT INPORT: the Context ID OVN's put_encapsulation() writes.
ctx() { printf '0x%016x' $(($1 | ($2 << 24) | ($3 << 40))); }

###########################################################################
# Traffic, captured on ch1's underlay port.
###########################################################################

PCAP1=$TMP/phase1.pcap
stt_cap_start "$U" ul1 "$PCAP1" "tcp port 7471" 1000 || true

ktap_result "ping vm1 (ch1) -> vm2 (ch2), same switch ls1: 5 of 5" \
	stt_ping "${V[1]}" "${VM_IP[2]}" 5
ktap_result "ping vm1 (ch1) -> vm3 (ch3) through router lr0: 5 of 5" \
	stt_ping "${V[1]}" "${VM_IP[3]}" 5
MBPS=$(stt_iperf "${V[2]}" "${VM_IP[2]}" "${V[1]}" 2)
ktap_info "iperf3 vm1 -> vm2 (ls1): ${MBPS:-0} Mbit/s"
MBPS3=$(stt_iperf "${V[1]}" "${VM_IP[1]}" "${V[3]}" 2)
ktap_info "iperf3 vm3 -> vm1 (lr0): ${MBPS3:-0} Mbit/s"
ktap_check "iperf3 vm1 -> vm2 (ch1 -> ch2, switch ls1) moves data" \
	"$([ -n "$MBPS" ] && echo 0)"
ktap_check "iperf3 vm3 -> vm1 (ch3 -> ch1, router lr0) moves data" \
	"$([ -n "$MBPS3" ] && echo 0)"
stt_cap_stop
elapsed "traffic done"

# ctx_seen PCAP: "src dst context_id" of every STT frame head, sorted
# with counts.
ctx_seen()
{
	stt_decode "$1" -Y stt.context_id -T fields -e ip.src -e ip.dst \
		-e stt.context_id -E occurrence=f | sort | uniq -c
}

# ctx_check SEEN SRC DST WANT: frames SRC -> DST were seen, all with
# Context ID WANT.
ctx_check()
{
	local got

	got=$(awk -v s="$2" -v d="$3" '$2 == s && $3 == d { print $4 }' <<<"$1" | sort -u)
	if [ -z "$got" ]; then
		ktap_info "no STT frame $2 -> $3"
		return 1
	fi
	if [ "$(printf '%d' "$got" 2>/dev/null)" != "$(printf '%d' "$4")" ]; then
		ktap_info "$2 -> $3: Context ID $(tr '\n' ' ' <<<"$got")instead of $4"
		return 1
	fi
}

SEEN1=$(ctx_seen "$PCAP1")
elapsed "first capture decoded"
ktap_info "STT frames on ch1's underlay port (count, src, dst, Context ID):"
ktap_info "$SEEN1"
ktap_info "expected: dp | outport << 24 | inport << 40"
ok=0
W12=$(ctx "$DP_LS1" "$PK_vm2" "$PK_vm1")
W21=$(ctx "$DP_LS1" "$PK_vm1" "$PK_vm2")
ktap_info "ch1 -> ch2: ls1 $DP_LS1 | vm2 $PK_vm2 << 24 | vm1 $PK_vm1 << 40 = $W12"
ktap_info "ch2 -> ch1: ls1 $DP_LS1 | vm1 $PK_vm1 << 24 | vm2 $PK_vm2 << 40 = $W21"
ctx_check "$SEEN1" 192.0.2.1 192.0.2.2 "$W12" || ok=1
ctx_check "$SEEN1" 192.0.2.2 192.0.2.1 "$W21" || ok=1
ktap_check "STT on TCP 7471 ch1 <-> ch2 carries OVN's Context IDs for ls1 (vm1 <-> vm2)" "$ok"
ok=0
W13=$(ctx "$DP_LS2" "$PK_vm3" "$PK_ls2_lr0")
W31=$(ctx "$DP_LS1" "$PK_vm1" "$PK_ls1_lr0")
ktap_info "ch1 -> ch3: ls2 $DP_LS2 | vm3 $PK_vm3 << 24 | ls2-lr0 $PK_ls2_lr0 << 40 = $W13"
ktap_info "ch3 -> ch1: ls1 $DP_LS1 | vm1 $PK_vm1 << 24 | ls1-lr0 $PK_ls1_lr0 << 40 = $W31"
ctx_check "$SEEN1" 192.0.2.1 192.0.2.3 "$W13" || ok=1
ctx_check "$SEEN1" 192.0.2.3 192.0.2.1 "$W31" || ok=1
ktap_check "STT ch1 <-> ch3 (routed) carries the destination switch's Context IDs (router port as inport)" "$ok"

###########################################################################
# A fourth chassis; vm2 moves from ch2 to ch4.
###########################################################################

ok=0
chassis_start 4 || ok=1
ovn_wait 60 chassis_ready 4 || ok=1
for i in 1 2 3 4; do
	ovn_wait 60 tunnels_ok "$i" 3 || { ok=1; ktap_info "ch$i:"; tunnels_show "$i"; }
done
ktap_check "ch4 joins: every chassis has three STT tunnel ports" "$ok"
elapsed "ch4 up"

ok=0
vsctl 2 del-port br-int vm2 &&
	ip -n "${H[2]}" link set vm2 netns "${H[4]}" &&
	ip -n "${H[4]}" link set vm2 up &&
	vm_plug 2 4 || ok=1
ovn_wait 60 bound_to vm2 ch4 || ok=1
nbctl --wait=hv --timeout=60 sync || ok=1
ktap_info "vm2's binding: $(sbctl --bare --columns=chassis find port_binding logical_port=vm2) = $(sbctl --bare get chassis "$(sbctl --bare --columns=chassis find port_binding logical_port=vm2)" name 2>&1)"
ktap_check "vm2 moved from ch2 to ch4: its port binding follows to ch4" "$ok"

PCAP2=$TMP/phase2.pcap
stt_cap_start "$U" ul1 "$PCAP2" "tcp port 7471" 1000 || true
ktap_result "ping vm1 (ch1) -> vm2 (now on ch4): 5 of 5" \
	stt_ping "${V[1]}" "${VM_IP[2]}" 5
stt_cap_stop

SEEN2=$(ctx_seen "$PCAP2")
ktap_info "STT frames on ch1's underlay port after the move:"
ktap_info "$SEEN2"
ok=0
ctx_check "$SEEN2" 192.0.2.1 192.0.2.4 "$W12" || ok=1
ctx_check "$SEEN2" 192.0.2.4 192.0.2.1 "$W21" || ok=1
if awk '$3 == "192.0.2.2" || $2 == "192.0.2.2" { f = 1 } END { exit !f }' <<<"$SEEN2"; then
	ktap_info "STT still goes to or comes from ch2"
	ok=1
fi
ktap_check "traffic follows vm2: STT ch1 <-> ch4 (192.0.2.4) with the same Context IDs, none to ch2" "$ok"

ktap_result "no STT expert info in either capture" stt_expert_clean "$PCAP1" "$PCAP2"
elapsed "captures checked"

check_dmesg
ktap_finished
