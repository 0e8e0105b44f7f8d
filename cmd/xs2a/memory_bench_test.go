package main_test

// The memory benchmark of issue 14: `xs2a -v accounts transactions` against
// a hostile bank whose answer is about 1 MB of gzip that inflates to 1 GiB.
// Go's transport asks for gzip itself and inflates the answer as it is
// read; the client reads at most 16 MiB of it and the -v trace keeps 64 KiB.
// The benchmark runs the built binary and reports its peak resident set
// size (the kernel's maxrss of the child). scripts/bench-memory.sh (part of
// `make bench`) runs it and prints the verdict. Target: under 100 MB.

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// gzipBomb returns a gzip body that inflates to a transactions answer of
// about inflated bytes that never closes: a member with its opening, then one
// member of 1 MiB of transactions, repeated (several members are one gzip
// body, RFC 1952 §2.2), which keeps the building fast.
func gzipBomb(b testing.TB, inflated int) []byte {
	b.Helper()
	const chunk = 1 << 20
	member := func(plain []byte) []byte {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			b.Fatal(err)
		}
		zw.Write(plain)
		zw.Close()
		return buf.Bytes()
	}
	// Each transaction is followed by whitespace, as JSON allows, so the
	// 1 GiB compresses to about the 1.5 MB of the attack.
	unit := []byte(`{"transactionId":"t-1","bookingDate":"2026-10-01","transactionAmount":{"currency":"EUR","amount":"-1.00"}}` +
		strings.Repeat(" ", 6000) + ",")
	one := member(bytes.Repeat(unit, chunk/len(unit))) // whole transactions: the JSON stays valid as far as it goes
	out := bytes.NewBuffer(member([]byte(`{"transactions":{"booked":[`)))
	for range inflated / chunk {
		out.Write(one)
	}
	return out.Bytes()
}

// BenchmarkVerboseGzipBombMemory reports peak-RSS-MB, the xs2a process's
// maximum resident set size. XS2A_BENCH_INFLATED_MB sets the inflated size
// (default 1024); XS2A_BENCH_BIN runs another build of xs2a.
func BenchmarkVerboseGzipBombMemory(b *testing.B) {
	inflatedMB := 1024
	if v := os.Getenv("XS2A_BENCH_INFLATED_MB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("XS2A_BENCH_INFLATED_MB=%q", v)
		}
		inflatedMB = n
	}
	xs2aBin := bin
	if v := os.Getenv("XS2A_BENCH_BIN"); v != "" {
		xs2aBin = v
	}
	gz := gzipBomb(b, inflatedMB<<20)

	srv := hostileBank(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(len(gz)))
			w.Write(gz)
			return
		}
		w.WriteHeader(http.StatusNotAcceptable)
	}))
	u := hostileUser(b, srv.URL)
	cfg := u.cfg

	var peakKB int64
	var stderr bytes.Buffer
	b.ResetTimer()
	for range b.N {
		stderr.Reset()
		cmd := exec.Command(xs2aBin, "--config", cfg, "-v", "accounts", "transactions", "card-1")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "NO_COLOR=1"}, u.env...)
		cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &stderr
		err := cmd.Run()
		if cmd.ProcessState == nil {
			b.Fatalf("running xs2a: %v", err)
		}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			b.Fatalf("xs2a was killed by %v (out of memory?)", ws.Signal())
		}
		ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		if !ok {
			b.Fatal("no rusage for the child on this platform")
		}
		peakKB = max(peakKB, ru.Maxrss) // KiB on Linux
	}
	b.StopTimer()
	if !strings.Contains(stderr.String(), "< Content-Type: application/json") {
		b.Fatalf("the -v trace did not show the answer:\n%s", tailOf(stderr.String(), 2000))
	}
	b.Logf("gzip body %d bytes, inflating to %d MiB; xs2a's stderr ends:\n%s", len(gz), inflatedMB, tailOf(stderr.String(), 400))
	b.ReportMetric(float64(len(gz))/1e6, "gzip-MB")
	b.ReportMetric(float64(inflatedMB), "inflated-MiB")
	b.ReportMetric(float64(peakKB)*1024/1e6, "peak-RSS-MB")
}

func tailOf(s string, n int) string { return s[max(0, len(s)-n):] }
