#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint's judge of one kernel's W=1 C=2 build log.
#
#   tools/lint-log.sh --sparse-flags KVER   extra make arguments for sparse
#   tools/lint-log.sh KVER LOG              exit 0 if LOG is clean
#
# Clean means: no compiler or sparse "warning:"/"error:", nothing "not
# found", and sparse really ran (Kbuild turns C=2 off with only a make
# $(warning) when its scripts/checker-valid.sh says no).
#
# Kernels from 6.14 on use __typeof_unqual__, which Debian's sparse (0.6.4,
# its latest release, in bookworm and trixie alike) does not parse: on
# them sparse runs with __typeof_unqual__ defined as __typeof__ (the
# qualifiers it keeps only make sparse stricter), and the one message that
# still comes from the headers alone, "bad constant expression" on the
# static_assert(__builtin_strlen()) that MODULE_INFO() expands to, is
# excused on lines that are MODULE_*() or module_param*() invocations, and
# counted.  Every other sparse message fails as on the older kernels.

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

# new_headers KVER: KVER's headers use __typeof_unqual__ (Debian's arch
# headers include the -common tree's Makefile, which has include/linux).
new_headers()
{
	# shellcheck disable=SC2016 # expanded by the inner shell
	tools/kenv "$1" -- /bin/sh -c '
		b=/lib/modules/$1/build
		c=$(sed -n "s|^include \(.*\)/Makefile\$|\1|p" "$b/Makefile")
		grep -qs __typeof_unqual__ "$b/include/linux/compiler_types.h" \
			"${c:-$b}/include/linux/compiler_types.h"' sh "$1"
}

if [ "${1:-}" = --sparse-flags ]; then
	[ $# -eq 2 ] || exit 2
	if new_headers "$2"; then
		echo "CF=-D__typeof_unqual__=__typeof__"
	fi
	exit 0
fi

[ $# -eq 2 ] || {
	echo "usage: tools/lint-log.sh KVER LOG | --sparse-flags KVER" >&2
	exit 2
}
kver=$1
log=$2
bad=0

if grep -q 'specified, but .* is not available or not up to date' "$log"; then
	echo "lint: $kver: sparse did not run (Kbuild: $(grep -o 'C=.*not up to date' "$log" | head -n1))" >&2
	bad=1
fi
if ! grep -q '^ *CHECK ' "$log"; then
	echo "lint: $kver: no CHECK line: sparse did not run" >&2
	bad=1
fi

excused=0
while IFS= read -r line; do
	if new_headers "$kver" &&
		[[ $line =~ ^([^:]+):([0-9]+):[0-9]+:\ error:\ bad\ constant\ expression$ ]]; then
		src=$(sed -n "${BASH_REMATCH[2]}p" "${BASH_REMATCH[1]}" 2>/dev/null)
		if [[ $src =~ ^(MODULE_[A-Z_]+|module_param[a-z_]*)\( ]]; then
			excused=$((excused + 1))
			continue
		fi
	fi
	printf '%s\n' "$line"
	bad=1
done < <(grep -E 'warning:|error:|not found' "$log")

[ "$excused" = 0 ] ||
	echo "lint: $kver: $excused sparse \"bad constant expression\" on MODULE_INFO() lines excused (sparse 0.6.4 on >= 6.14 headers)"
if [ "$bad" != 0 ]; then
	echo "lint: $kver: not clean" >&2
	exit 1
fi
echo "lint: $kver: W=1 and sparse clean"
