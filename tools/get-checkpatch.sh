#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch checkpatch.pl (+ spelling.txt, const_structs.checkpatch) from
# Debian's linux-source-6.12 into build/checkpatch/.  Prints its path.
set -euo pipefail
out=${1:-build/checkpatch}
if [ -x "$out/scripts/checkpatch.pl" ]; then
	echo "$out/scripts/checkpatch.pl"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "get-checkpatch: downloading linux-source-6.12 (about 150 MB)..." >&2
(cd "$tmp" && apt-get download linux-source-6.12 >&2)
dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
	tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.12.tar.xz'
mkdir -p "$out"
tar -xJf "$tmp"/usr/src/linux-source-6.12.tar.xz -C "$out" --strip-components=1 \
	--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
	'*/scripts/const_structs.checkpatch'
echo "$out/scripts/checkpatch.pl"
