#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Kbuild runs $(srctree)/scripts/checker-valid.sh CHECK CHECKFLAGS and turns
# C=1/C=2 off unless it prints 1.  Debian's linux-headers for 7.x ship
# without it, so sparse would silently not run; tools/install-deps.sh puts
# this in its place.  Prints 1 when the checker runs with these flags.
"$@" -E -x c /dev/null >/dev/null 2>&1 && echo 1
exit 0
