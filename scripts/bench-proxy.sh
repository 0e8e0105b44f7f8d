#!/usr/bin/env bash
# make bench, proxy part: GET /v1/card-accounts against the sandbox (rate
# limits off) from 32 keep-alive clients, sent by the session's signed Go
# client directly and through `xs2a proxy`'s handler (plain HTTP in, signed
# mutual TLS out) with the same client, in alternating batches within one
# benchmark so that a neighbour's load falls on both sides alike. Both sign
# every request; the ratio is what the proxy's hop costs. Three runs, medians.
# Target (2 cores): the proxy at least 80% of the direct throughput.
# A report: exit 0 whatever the target says.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-8000}
out="$(go test -run '^$' -bench 'LoadProxyVsDirect$' -benchtime="${N}x" -count=3 ./pkg/signproxy/)"
echo "$out" | grep '^Benchmark'
# metric NAME: the median over the runs of a reported metric.
metric() {
  echo "$out" | awk -v m="$1" '/^BenchmarkLoadProxyVsDirect/ { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
awk -v p="$(metric proxy-req/s)" -v d="$(metric direct-req/s)" -v pp="$(metric proxy-p99-ms)" -v dp="$(metric direct-p99-ms)" -v r="$(metric ratio-%)" 'BEGIN {
  printf "\n%-28s %12s %12s\n", "", "via proxy", "direct"
  printf "%-28s %12.0f %12.0f\n", "requests/s (median of 3)", p, d
  printf "%-28s %12.2f %12.2f\n", "p99 latency ms (median)", pp, dp
  printf "%-28s %11.0f%%   target >= 80%%  %s\n", "throughput ratio (median)", r, (r >= 80 ? "PASS" : "FAIL")
}'
