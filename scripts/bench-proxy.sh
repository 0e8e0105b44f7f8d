#!/usr/bin/env bash
# make bench, proxy part: GET /v1/card-accounts against the sandbox (rate
# limits off) from 32 keep-alive clients, once sent by the session's signed Go
# client directly and once through `xs2a proxy`'s handler (plain HTTP in,
# signed mutual TLS out) with the same client. Both sign every request; the
# ratio is what the proxy's hop costs. The two run back to back, three times,
# so that a neighbour's load falls on both of a pair. Target (2 cores): the
# proxy at least 80% of the direct throughput. A report: exit 0 whatever the
# target says.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-4000}
RUNS=${RUNS:-3}
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/signproxy.test" ./pkg/signproxy/
out=""
for _ in $(seq "$RUNS"); do
  out+="$("$tmp/signproxy.test" -test.run '^$' -test.bench 'LoadDirect$|LoadThroughProxy$' -test.benchtime="${N}x" | grep '^Benchmark')"$'\n'
done
printf '%s' "$out"
echo "$out" | awk '
  { for (i = 2; i < NF; i++) { if ($(i+1) == "req/s") rps = $i; if ($(i+1) == "p99-ms") p99 = $i } }
  $1 ~ /LoadDirect/ { d[++nd] = rps; dp[nd] = p99 }
  $1 ~ /LoadThroughProxy/ { p[++np] = rps; pp[np] = p99; r[np] = rps / d[np] }
  function median(a, n,   i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (b[j] < b[i]) { t = b[i]; b[i] = b[j]; b[j] = t }
    return b[int((n + 1) / 2)]
  }
  END {
    ratio = median(r, np)
    printf "\n%-34s %12s %12s\n", "", "via proxy", "direct"
    printf "%-34s %12.0f %12.0f\n", "requests/s (median of " np ")", median(p, np), median(d, nd)
    printf "%-34s %12.2f %12.2f\n", "p99 latency ms (median)", median(pp, np), median(dp, nd)
    printf "%-34s %11.0f%%   target >= 80%%  %s\n", "throughput ratio (median of pairs)", ratio * 100, (ratio >= 0.8 ? "PASS" : "FAIL")
  }'
