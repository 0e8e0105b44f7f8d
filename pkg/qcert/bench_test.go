package qcert

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"
)

// BenchmarkGenerateSet makes a full certificate set (four 2048-bit keys and
// four certificates) and splits the time with Set.KeyGenTime: keygen-ns/op
// is RSA key generation, rest-ns/op everything else (templates,
// QCStatements, signing, parsing back), rest-% the share of the latter.
func BenchmarkGenerateSet(b *testing.B) {
	var total, keygen time.Duration
	n := 0
	for b.Loop() {
		t := time.Now()
		set, err := GenerateSet(Options{Org: DefaultOrg})
		total += time.Since(t)
		if err != nil {
			b.Fatal(err)
		}
		keygen += set.KeyGenTime
		n++
	}
	rest := total - keygen
	b.ReportMetric(float64(keygen.Nanoseconds())/float64(n), "keygen-ns/op")
	b.ReportMetric(float64(rest.Nanoseconds())/float64(n), "rest-ns/op")
	b.ReportMetric(100*float64(rest)/float64(total), "rest-%")
}

// BenchmarkGenerateSetPregeneratedKeys makes the same set with keys
// generated once, before the timer starts, so ns/op is only the part of
// GenerateSet that is not key generation.
func BenchmarkGenerateSetPregeneratedKeys(b *testing.B) {
	const bits = 2048
	keys := make([]*rsa.PrivateKey, 4) // CA, QWAC, QSealC, server
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = k
	}
	next := 0
	opts := Options{Org: DefaultOrg, KeySize: bits, KeyGen: func(n int) (*rsa.PrivateKey, error) {
		if n != bits {
			b.Fatalf("KeyGen asked for %d bits, the benchmark has %d-bit keys", n, bits)
		}
		k := keys[next%len(keys)]
		next++
		return k, nil
	}}
	for b.Loop() {
		if _, err := GenerateSet(opts); err != nil {
			b.Fatal(err)
		}
	}
}
