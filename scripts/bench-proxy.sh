#!/usr/bin/env bash
# make bench, proxy part: GET /v1/card-accounts against the sandbox (rate
# limits off) from 32 keep-alive clients, once through `xs2a proxy`'s handler
# (plain HTTP in, signed mutual TLS out) and once sent by the same signed Go
# client directly. Both sign every request; the ratio is what the proxy's hop
# costs. Target (2 cores): the proxy at least 80% of the direct throughput.
# A report: exit 0 whatever the target says.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-4000}
out="$(go test -run '^$' -bench 'LoadDirect$|LoadThroughProxy$' -benchtime="${N}x" -count=3 ./pkg/signproxy/)"
echo "$out" | grep '^Benchmark'
# metric NAME BENCH: the median over the runs of a reported metric.
metric() {
  echo "$out" | awk -v b="$2" -v m="$1" '$1 ~ b { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
px_rps=$(metric req/s LoadThroughProxy); d_rps=$(metric req/s LoadDirect)
px_p99=$(metric p99-ms LoadThroughProxy); d_p99=$(metric p99-ms LoadDirect)
awk -v p="$px_rps" -v d="$d_rps" -v pp="$px_p99" -v dp="$d_p99" 'BEGIN {
  r = p / d
  printf "\n%-28s %12s %12s\n", "", "via proxy", "direct"
  printf "%-28s %12.0f %12.0f\n", "requests/s (median of 3)", p, d
  printf "%-28s %12.2f %12.2f\n", "p99 latency ms", pp, dp
  printf "%-28s %11.0f%%   target >= 80%%  %s\n", "throughput ratio", r * 100, (r >= 0.8 ? "PASS" : "FAIL")
}'
