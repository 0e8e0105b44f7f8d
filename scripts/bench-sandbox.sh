#!/usr/bin/env bash
# make bench, sandbox part: signed, mutually authenticated GET /v1/card-accounts
# from 32 keep-alive clients against the sandbox and against a bare Go TLS
# server answering the same bytes, and the heap with 10,000 consents held.
# Targets (2 cores): at least 60% of the bare server's throughput, p99 under
# 20 ms, under 200 MB. A report: exit 0 whatever the targets say.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-6000}
out="$(go test -run '^$' -bench 'LoadSandboxCardAccounts$|LoadBareTLSServer$' -benchtime="${N}x" -count=3 ./pkg/sandbox/)"
mem="$(go test -run '^$' -bench 'Memory10kConsents$' -benchtime=1x ./pkg/sandbox/)"
echo "$out" | grep '^Benchmark'
echo "$mem" | grep '^Benchmark'
# metric NAME BENCH: the median over the runs of a reported metric.
metric() {
  echo "$out" | awk -v b="$2" -v m="$1" '$1 ~ b { for (i = 2; i < NF; i++) if ($(i+1) == m) print $i }' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
sb_rps=$(metric req/s LoadSandbox); bare_rps=$(metric req/s LoadBare)
sb_p99=$(metric p99-ms LoadSandbox); bare_p99=$(metric p99-ms LoadBare)
heap=$(echo "$mem" | awk '/Memory10k/ { for (i = 2; i < NF; i++) if ($(i+1) == "heap-MB") print $i }')
awk -v s="$sb_rps" -v b="$bare_rps" -v sp="$sb_p99" -v bp="$bare_p99" -v h="$heap" 'BEGIN {
  r = s / b
  printf "\n%-28s %12s %12s\n", "", "sandbox", "bare TLS"
  printf "%-28s %12.0f %12.0f\n", "requests/s (median of 3)", s, b
  printf "%-28s %12.2f %12.2f\n", "p99 latency ms", sp, bp
  printf "%-28s %11.0f%%   target >= 60%%  %s\n", "throughput ratio", r * 100, (r >= 0.6 ? "PASS" : "FAIL")
  printf "%-28s %12.2f   target < 20 ms  %s\n", "sandbox p99 ms", sp, (sp < 20 ? "PASS" : "FAIL")
  printf "%-28s %12.1f   target < 200 MB %s\n", "heap, 10,000 consents (MB)", h, (h < 200 ? "PASS" : "FAIL")
}'
