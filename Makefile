# SPDX-License-Identifier: GPL-2.0
#
# stt.ko: STT (draft-davie-stt-03) tunnel netdevice, out of tree.
#
#   make                  module (+ iproute2 plugin) for the running kernel,
#                         or for every installed kernel with headers
#   make KVER=6.12.x      module for one kernel   (or KDIR=/path/to/build)
#   make check            build, boot each kernel in QEMU, run selftests
#   make check SANITIZE=1 the same with slub_debug=FZPU (+ KFENCE on 6.12)
#   make demo             live tunnel between two namespaces, in a VM
#   make bench            STT vs plain/vxlan/geneve/gretap in a VM, on every
#                         kernel with headers (KVER=... for one); writes
#                         bench-results/KVER/ (tools/bench/bench.sh)
#   make bench-ovs        Open vSwitch over stt/geneve/vxlan/gre, the Nicira
#                         table as ratios: bench-results/ovs/KVER/
#   make bench-jumbo      inner MTU 9000 and 65000 over a 1500-byte underlay:
#                         bench-results/jumbo/KVER/
#   make bench-streams    128 TCP streams against 4, every frame reassembled:
#                         bench-results/streams/KVER/
#   make bench-scale      1,000 devices, netns churn, 10,000 lwtunnel routes:
#                         bench-results/KVER/scale.md (tools/bench/scale.sh)
#   make profile          plain vs stt flat profiles from the host (KVER=)
#   make install          stt.ko (and vport-stt.ko, Open vSwitch's stt port
#                         type, where it was built) into
#                         /lib/modules/$(uname -r)/updates (or KVER's),
#                         depmod, plugin into iproute2's lib dir, the man
#                         page ip-link-stt(8) into $(MANDIR)/man8
#   make uninstall        undo make install (KVER= too)
#   make install-plugin   only the plugin and the man page (when dkms
#                         installs the module); make uninstall-plugin
#   make dkms-add         sources into /usr/src/stt-VERSION for dkms (then
#                         dkms install -m stt -v VERSION -k KVER)
#   make dkms-remove      dkms remove for every kernel, sources removed
#   make check-dkms       make install and dkms on this host, modprobe in a
#                         VM (make check runs it too)
#   make check-docs       links in README.md and docs/, the man page against
#                         the plugin's help (make check runs it too)
#   make debug-kernel     a 6.12 kernel with KASAN, kmemleak, lockdep and
#                         the net refcount trackers, built once per machine
#                         (tools/debug-kernel/build.sh); then
#                         make check KVERS=debug runs the suite on it

SRCS := Kbuild $(wildcard *.c) $(wildcard include/*.h include/uapi/linux/*.h)
RUNNING := $(shell uname -r)
IP_LIB := /usr/lib/x86_64-linux-gnu/ip
# On man-db's default manpath (Debian's /etc/manpath.config).
MANDIR := /usr/local/share/man
VERSION := $(shell sed -n 's/^\#define STT_DRV_VERSION[[:space:]]*"\(.*\)"/\1/p' stt_main.c)
INSTALL_KVER := $(or $(KVER),$(RUNNING))
DKMS_SRC := /usr/src/stt-$(VERSION)

# Every installed kernel that has headers (a /lib/modules/VER/build link),
# but make debug-kernel's, which is only used when asked for (KVERS=debug).
# Trixie's kernels (7.x) have theirs in the trixie tree that
# tools/install-deps.sh keeps (STT_TRIXIE_ROOT), built there by tools/kenv;
# one counts when the host has its /lib/modules/VER (install-deps links it).
STT_TRIXIE_ROOT ?= /var/cache/stt-trixie
export STT_TRIXIE_ROOT
TRIXIE_KVERS := $(foreach k,\
	$(patsubst $(STT_TRIXIE_ROOT)/lib/modules/%/build,%,\
		$(wildcard $(STT_TRIXIE_ROOT)/lib/modules/*/build)),\
	$(if $(wildcard /lib/modules/$(k)/modules.dep),$(k)))
INSTALLED_KVERS := $(sort $(filter-out %-stt-debug,\
	$(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/*/build)) \
	$(TRIXIE_KVERS)))

ifneq ($(KDIR),)
  BUILD_KVERS :=
else ifneq ($(KVER),)
  BUILD_KVERS := $(KVER)
else ifneq ($(wildcard /lib/modules/$(RUNNING)/build),)
  BUILD_KVERS := $(RUNNING)
else
  BUILD_KVERS := $(INSTALLED_KVERS)
endif
# What make check and lint run on: the newest of each installed series and
# flavour (6.1, 6.12, 6.12 rt, 7.3), so a kernel update installed next to
# its predecessor is not tested twice.  The flavour is what follows the
# version and Debian's ABI number: 6.12.118+deb12-rt-amd64 is 6.12's
# rt-amd64.  KVERS="..." names others.
KVERS ?= $(shell printf '%s\n' $(INSTALLED_KVERS) | sort -V | \
	   awk '{ split($$0, v, "."); f = $$0; \
		  sub(/^[0-9.]+(-[0-9]+)?(\+[a-z0-9.~]+)?-/, "", f); \
		  s[v[1] "." v[2] " " f] = $$0 } \
		END { for (k in s) print s[k] }' | sort -V)

.PHONY: all modules plugin tools check demo install install-plugin uninstall \
	uninstall-plugin print-kvers \
	clean bench bench-ovs bench-jumbo bench-streams bench-scale bench-smoke profile lint \
	dkms-add dkms-remove check-dkms check-docs debug-kernel

all: modules plugin tools

ifneq ($(KDIR),)
modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
modules: $(foreach k,$(BUILD_KVERS),build/$(k)/stt.ko)
	@if [ -z "$(BUILD_KVERS)" ]; then \
	  echo "stt: no kernel headers found for $(RUNNING) or any installed kernel." >&2; \
	  echo "stt: install them, e.g.: apt-get install linux-headers-$(RUNNING)" >&2; \
	  echo "stt: (or linux-headers-amd64 / linux-headers-6.12-amd64), or pass KDIR=." >&2; \
	  exit 1; fi
	@for k in $(BUILD_KVERS); do echo "built build/$$k/stt.ko"; done
endif

# One object directory per kernel, so builds for 6.1 and 6.12 never mix.
# tools/kenv runs the build where the kernel's compiler is: here, or in
# the trixie tree for 7.x.
build/%/stt.ko: $(SRCS)
	@test -d $$(tools/kenv --root $*)/lib/modules/$*/build || { echo "stt: no headers for $* (apt-get install linux-headers-$*)" >&2; exit 1; }
	@mkdir -p build/$*
	@cp -a Kbuild $(wildcard *.c) build/$*/ && rm -rf build/$*/include && cp -a include build/$*/
	@tools/kenv $* -- tools/ovs-layout.sh $* build/$*/include/stt_ovs_layout.h || \
	  echo "stt: vport-stt.ko (Open vSwitch's stt port type) is not built for $*"
	tools/kenv $* -- $(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/build/$* modules

plugin:
	$(MAKE) -C tools/iproute2

# Test tools that run on the host's / inside the VM.
tools: tools/stt-craft tools/stt-xfer tools/bench/stt-rr
tools/stt-craft: tools/stt-craft.c
	$(CC) -Wall -Wextra -O2 -o $@ $<
tools/stt-xfer: tools/stt-xfer.c
	$(CC) -Wall -Wextra -O2 -o $@ $<
tools/bench/stt-rr: tools/bench/stt-rr.c
	$(CC) -Wall -Wextra -O2 -o $@ $<

check: plugin tools
	@KVERS="$(KVERS)" SANITIZE="$(SANITIZE)" tools/check.sh

DEMO_KVER = $(firstword $(KVER) $(lastword $(KVERS)))
demo: plugin
	$(MAKE) --no-print-directory KVER=$(DEMO_KVER) modules
	@KVER="$(DEMO_KVER)" tools/demo.sh

# The benchmark of issue 6; BENCH_SECS, BENCH_ROUNDS, BENCH_PROFILES,
# BENCH_KINDS, BENCH_WORKLOADS shrink it (tools/bench/bench.sh).
bench: plugin tools
	@KVERS="$(or $(KVER),$(KVERS))" tools/bench/bench.sh

# make bench with other kinds, profiles and workloads, into another
# directory; BENCH_* and KVER given on the command line still win.
# $(call bench_variant,OUT,KINDS,PROFILES,WORKLOADS,KVERS)
bench_variant = KVERS="$(or $(KVER),$(5))" BENCH_OUT="$(or $(BENCH_OUT),$(1))" \
	BENCH_KINDS="$(or $(BENCH_KINDS),$(2))" \
	BENCH_PROFILES="$(or $(BENCH_PROFILES),$(3))" \
	BENCH_WORKLOADS="$(or $(BENCH_WORKLOADS),$(4))" tools/bench/bench.sh

# Open vSwitch over STT, geneve, vxlan and GRE (issue 14): the Nicira table
# (one TCP stream, and four) as ratios, in bench-results/ovs/KVER/.  6.x
# kernels only: 7.x's openvswitch.ko has no vport interface for ovs-stt
# (docs/ovs.md).
bench-ovs: plugin tools
	@$(call bench_variant,bench-results/ovs,plain stt ovs-stt ovs-geneve ovs-vxlan ovs-gre,nic-tso wire,tcp1 tcp4,$(filter 6.%,$(KVERS)))

# Jumbo inner frames (issue 18): stt at inner MTU 1500, 9000 and 65000 and
# vxlan at 1450 and 9000 over the same 1500-byte underlay, against plain,
# for TCP and 64-byte UDP, also with 0.1% loss: bench-results/jumbo/KVER/.
bench-jumbo: plugin tools
	@$(call bench_variant,bench-results/jumbo,plain stt stt9k stt64k vxlan vxlan9k,nic-tso wire wire-loss,tcp1 udp64,$(KVERS))

# 128 parallel TCP streams against 4 in wire-nogro (issue 18), where every
# STT frame is reassembled: aggregate throughput, reassembly timeouts,
# evictions and B's sampled peak reasm_bytes: bench-results/streams/KVER/.
bench-streams: plugin tools
	@BENCH_REASM_PEAK=1 $(call bench_variant,bench-results/streams,plain stt,wire-nogro,tcp4 tcp128,$(KVERS))

# Issue 18's scale targets (tools/bench/scale.sh); SCALE_DEVS, SCALE_BLOCK,
# SCALE_NETNS, SCALE_ROUTES, SCALE_PARTS, BENCH_SECS, BENCH_ROUNDS shrink it.
bench-scale: plugin tools
	@KVERS="$(or $(KVER),$(KVERS))" tools/bench/scale.sh

# Where the time goes: plain vs stt, vCPUs sampled over QEMU's gdbstub
# (perf's sampling does not work under TCG); PROF_PROFILE, PROF_SECS.
profile: plugin
	@tools/bench/profile.sh $(or $(KVER),6.12)

print-kvers:
	@echo $(KVERS)

# The benchmark's 30-second tripwire (STT >= 0.5x plain), in the VM.
bench-smoke: plugin tools
	@KVERS="$(or $(KVER),$(KVERS))" CHECK_TESTS=stt_bench_smoke tools/check.sh

# Zero warnings under W=1 and sparse on every kernel, checkpatch-clean, and
# shellcheck-clean shell scripts.
KERNEL_SRCS := $(wildcard *.c include/*.h include/uapi/linux/*.h)
lint:
	@mkdir -p build
	@set -e; for k in $(KVERS); do \
	  k=$$(tools/vm-run --resolve $$k); \
	  echo "lint: W=1 C=2 against $$k"; \
	  rm -rf build/$$k; \
	  { set +e; $(MAKE) --no-print-directory KVER=$$k W=1 C=2 \
	      $$(tools/lint-log.sh --sparse-flags $$k) modules 2>&1; \
	    echo $$? >build/lint-$$k.rc; } | tee build/lint-$$k.log; \
	  if [ "$$(cat build/lint-$$k.rc)" != 0 ]; then echo "lint: $$k: build failed" >&2; exit 1; fi; \
	  tools/lint-log.sh $$k build/lint-$$k.log || exit 1; \
	done
	@cp=$${CHECKPATCH:-$$(tools/get-checkpatch.sh)}; \
	$$cp --no-tree --strict -q -f $(KERNEL_SRCS) && echo "lint: checkpatch clean"
	@shellcheck -x -P selftests $$(git ls-files '*.sh' 2>/dev/null || find . -name '*.sh' ! -path './build/*') .ci/run tools/kenv tools/vm-run && \
	  echo "lint: shellcheck clean"

# One copy of stt.ko per kernel: refuse while dkms has installed one.
install:
	@for f in $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/dkms/stt.ko*; do \
	  [ -e "$$f" ] || continue; \
	  echo "stt: dkms has installed $$f: use dkms for this kernel," >&2; \
	  echo "stt: or remove it first (dkms remove -m stt -v $(VERSION) -k $(INSTALL_KVER))" >&2; \
	  exit 1; done
	$(MAKE) --no-print-directory KVER=$(INSTALL_KVER) modules plugin
	install -D -m 644 build/$(INSTALL_KVER)/stt.ko \
		$(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/stt.ko
	if [ -f build/$(INSTALL_KVER)/vport-stt.ko ]; then \
	  install -D -m 644 build/$(INSTALL_KVER)/vport-stt.ko \
		$(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/vport-stt.ko; fi
	$(if $(DESTDIR),,tools/kenv $(INSTALL_KVER) -- depmod -a $(INSTALL_KVER))
	$(MAKE) --no-print-directory install-plugin

# The plugin and its man page alone (with a dkms-installed module).
install-plugin: plugin
	install -D -m 755 tools/iproute2/link_stt.so $(DESTDIR)$(IP_LIB)/link_stt.so
	install -D -m 644 man/ip-link-stt.8 $(DESTDIR)$(MANDIR)/man8/ip-link-stt.8

uninstall-plugin:
	rm -f $(DESTDIR)$(IP_LIB)/link_stt.so $(DESTDIR)$(MANDIR)/man8/ip-link-stt.8

uninstall: uninstall-plugin
	rm -f $(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/stt.ko \
		$(DESTDIR)/lib/modules/$(INSTALL_KVER)/updates/vport-stt.ko
	$(if $(DESTDIR),,tools/kenv $(INSTALL_KVER) -- depmod -a $(INSTALL_KVER))

# The module's sources only (no build/, no tools but the dkms hook).
DKMS_FILES := Makefile Kbuild dkms.conf $(wildcard *.c) \
	$(wildcard include/*.h include/uapi/linux/*.h) tools/dkms-pre-install.sh \
	tools/ovs-layout.sh
dkms-add:
	@grep -q '^PACKAGE_VERSION="$(VERSION)"$$' dkms.conf || \
	  { echo "stt: dkms.conf's PACKAGE_VERSION is not $(VERSION) (STT_DRV_VERSION)" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	install -d $(DKMS_SRC)
	cp -a --parents $(DKMS_FILES) $(DKMS_SRC)/
	dkms add -m stt -v $(VERSION)

dkms-remove:
	-dkms remove -m stt -v $(VERSION) --all
	rm -rf $(DKMS_SRC)

# dkms builds and installs for each kernel on this host; a VM then loads
# it with modprobe (tools/check-dkms.sh).  Root, dkms and QEMU needed.
check-dkms: plugin
	@KVERS="$(KVERS)" tools/check-dkms.sh

# Host only, no root: tools/check-docs.py.
check-docs: plugin
	@tools/check-docs.py

debug-kernel:
	@tools/debug-kernel/build.sh

clean:
	rm -rf build *.o *.ko *.mod *.mod.c *.mod.o .*.cmd modules.order Module.symvers
	rm -f tools/stt-craft tools/stt-xfer tools/bench/stt-rr
	if [ -d tools/iproute2 ]; then $(MAKE) -C tools/iproute2 clean; fi
