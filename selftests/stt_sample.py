#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A /proc/net/stt sampler, for the flood test.

  stt_sample.py FILE PERIOD_MS STOPFILE [NAME]
      read /proc/net/stt every PERIOD_MS until STOPFILE exists; print
      "samples=N max=M last=L slab_first=F slab_max=S" for counter NAME
      (default reasm_bytes) and write one "time value slab" line per sample
      to FILE.  slab is the bytes of slab objects in use, the sum of
      active_objs x objsize over /proc/slabinfo: the allocator's own count
      of the memory where every sk_buff and every kmalloc'd packet head
      lives, a measure of the same memory that owes nothing to stt.ko's
      accounting.  It counts objects, not pages, so objects freed earlier
      and reused do not hide it; SLUB counts the free objects of each
      CPU's current slab as in use, an excess of a slab or so per cache
      and CPU.

(The transfers the selftests used to run from here are tools/stt-xfer.)
"""

import os
import sys
import time


def read_counter(name):
    with open("/proc/net/stt") as f:
        for line in f:
            w = line.split()
            if len(w) == 2 and w[0] == name:
                return int(w[1])
    return None


def read_slab():
    total = 0
    with open("/proc/slabinfo") as f:
        for line in f:
            w = line.split()
            if len(w) > 3 and w[0] not in ("slabinfo", "#"):
                total += int(w[1]) * int(w[3])
    return total


def sample(out, period_ms, stopfile, name="reasm_bytes"):
    period = period_ms / 1000.0
    vmax = None
    last = None
    slab_first = None
    slab_max = None
    n = 0
    t0 = time.monotonic()
    with open(out, "w") as f:
        while not os.path.exists(stopfile):
            v = read_counter(name)
            if v is not None:
                slab = read_slab()
                n += 1
                last = v
                vmax = v if vmax is None else max(vmax, v)
                if slab_first is None:
                    slab_first = slab
                slab_max = slab if slab_max is None else max(slab_max, slab)
                f.write("%.3f %d %d\n" % (time.monotonic() - t0, v, slab))
                f.flush()
            time.sleep(period)
    print("samples=%d max=%s last=%s slab_first=%s slab_max=%s" %
          (n, vmax, last, slab_first, slab_max))
    return 0 if n else 1


def main(argv):
    try:
        if len(argv) >= 3:
            return sample(argv[0], float(argv[1]), argv[2],
                          argv[3] if len(argv) > 3 else "reasm_bytes")
    except (OSError, ValueError) as e:
        print("stt_sample.py: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
