package qcert

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// Twins makes certificate sets from one pool of keys, one serial seed and
// one clock, so that two of its sets differ only where their options do: a
// broken set and its good twin differ in the defect alone, which is what a
// negative test compares field by field. The zero value works; keys are
// generated on first use and reused by every set after.
type Twins struct {
	// Now is every set's clock (zero: the time of the first Set, to the hour).
	Now time.Time
	// Seed feeds the serial numbers, the same sequence for every set.
	Seed [32]byte

	once sync.Once
	keys map[int][]*rsa.PrivateKey
	err  error
}

// twinKeys is how many keys of each size one set can ask for: CA,
// intermediate, QWAC, QSealC and server; the rsa-1024 defect's QWAC and QSealC.
var twinKeys = map[int]int{2048: 5, 1024: 2}

// Set generates DefaultOrg's set with defect brk ("" for a good one), the
// QWAC issued by an intermediate when intermediate is set.
func (tw *Twins) Set(brk string, intermediate bool) (*Set, error) {
	tw.once.Do(func() {
		if tw.Now.IsZero() {
			tw.Now = time.Now().Truncate(time.Hour)
		}
		tw.keys = map[int][]*rsa.PrivateKey{}
		for bits, n := range twinKeys {
			for range n {
				k, err := rsa.GenerateKey(rand.Reader, bits)
				if err != nil {
					tw.err = err
					return
				}
				tw.keys[bits] = append(tw.keys[bits], k)
			}
		}
	})
	if tw.err != nil {
		return nil, tw.err
	}
	used := map[int]int{}
	now := tw.Now
	return GenerateSet(Options{Org: DefaultOrg, Now: func() time.Time { return now },
		Serials: mrand.NewChaCha8(tw.Seed), Intermediate: intermediate, Break: brk,
		KeyGen: func(bits int) (*rsa.PrivateKey, error) {
			if used[bits] >= len(tw.keys[bits]) {
				return nil, fmt.Errorf("twins: no %d-bit key left", bits)
			}
			used[bits]++
			return tw.keys[bits][used[bits]-1], nil
		}})
}
