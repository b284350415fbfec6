#!/usr/bin/env bash
# Merges the "reliability: ..." lines that test packages append to the file
# named by RELIABILITY_REPORT (each package is its own process) into the one
# line the suite ends with: counts are summed, rejected=<r>/<total> per part,
# and kinds (how many managed kinds a package covered) is the largest.
set -euo pipefail
[ -s "${1:-}" ] || exit 0
awk '
/^reliability: / {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "rejected") { split(kv[2], rt, "/"); r += rt[1]; t += rt[2]; continue }
		if (!(kv[1] in sum)) order[++n] = kv[1]
		if (kv[1] == "kinds") { if (kv[2] > sum[kv[1]]) sum[kv[1]] = kv[2]; continue }
		sum[kv[1]] += kv[2]
	}
}
END {
	line = "reliability:"
	for (i = 1; i <= n; i++) line = line " " order[i] "=" sum[order[i]]
	print line " rejected=" r "/" t
}' "$1"
