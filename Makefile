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
#   make install          module into /lib/modules/$(uname -r)/updates, plugin
#                         into iproute2's lib dir

SRCS := Kbuild $(wildcard *.c) $(wildcard include/*.h include/uapi/linux/*.h)
RUNNING := $(shell uname -r)
IP_LIB := /usr/lib/x86_64-linux-gnu/ip

# Every installed kernel that has headers (a /lib/modules/VER/build link).
INSTALLED_KVERS := $(sort $(patsubst /lib/modules/%/build,%,$(wildcard /lib/modules/*/build)))

ifneq ($(KDIR),)
  BUILD_KVERS :=
else ifneq ($(KVER),)
  BUILD_KVERS := $(KVER)
else ifneq ($(wildcard /lib/modules/$(RUNNING)/build),)
  BUILD_KVERS := $(RUNNING)
else
  BUILD_KVERS := $(INSTALLED_KVERS)
endif
KVERS ?= $(INSTALLED_KVERS)

.PHONY: all modules plugin tools check demo install clean bench bench-smoke lint

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
build/%/stt.ko: $(SRCS)
	@test -d /lib/modules/$*/build || { echo "stt: no headers for $* (apt-get install linux-headers-$*)" >&2; exit 1; }
	@mkdir -p build/$*
	@cp -a Kbuild $(wildcard *.c) build/$*/ && rm -rf build/$*/include && cp -a include build/$*/
	$(MAKE) -C /lib/modules/$*/build M=$(CURDIR)/build/$* modules

plugin:
	$(MAKE) -C tools/iproute2

# Test tools that run on the host's / inside the VM.
tools: tools/stt-craft tools/bench/stt-rr
tools/stt-craft: tools/stt-craft.c
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

# The benchmark's 30-second tripwire (STT >= 0.5x plain), in the VM.
bench-smoke: plugin tools
	@KVERS="$(or $(KVER),$(KVERS))" CHECK_TESTS=stt_bench_smoke tools/check.sh

# Zero warnings under W=1 and sparse on every kernel, checkpatch-clean.
KERNEL_SRCS := $(wildcard *.c include/*.h include/uapi/linux/*.h)
lint:
	@mkdir -p build
	@set -e; for k in $(KVERS); do \
	  echo "lint: W=1 C=2 against $$k"; \
	  rm -rf build/$$k; \
	  $(MAKE) --no-print-directory KVER=$$k W=1 C=2 modules 2>&1 | tee build/lint-$$k.log; \
	  if grep -E 'warning:|error:' build/lint-$$k.log; then echo "lint: $$k: not clean" >&2; exit 1; fi; \
	done
	@cp=$${CHECKPATCH:-$$(tools/get-checkpatch.sh)}; \
	$$cp --no-tree --strict -q -f $(KERNEL_SRCS) && echo "lint: checkpatch clean"

install: all
	install -d /lib/modules/$(RUNNING)/updates
	install -m 644 build/$(RUNNING)/stt.ko /lib/modules/$(RUNNING)/updates/stt.ko
	depmod -a $(RUNNING)
	install -d $(DESTDIR)$(IP_LIB)
	install -m 755 tools/iproute2/link_stt.so $(DESTDIR)$(IP_LIB)/link_stt.so

clean:
	rm -rf build *.o *.ko *.mod *.mod.c *.mod.o .*.cmd modules.order Module.symvers
	rm -f tools/stt-craft tools/bench/stt-rr
	$(MAKE) -C tools/iproute2 clean
