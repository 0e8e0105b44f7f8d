package httpsig

import (
	"sync"
)

// boundedCache remembers recent results. A bank sees the same few QSealCs
// over and over, so parsing a certificate and its issuer DN once per
// certificate rather than once per request is what keeps Verify close to
// the cost of the RSA operation itself. When full it simply starts over,
// which bounds memory for servers fed by strangers.
type boundedCache[V any] struct {
	mu  sync.Mutex
	m   map[string]V
	max int
}

func newCache[V any](max int) *boundedCache[V] {
	return &boundedCache[V]{m: make(map[string]V), max: max}
}

func (c *boundedCache[V]) get(k string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// getBytes looks up without converting k to a string on the heap.
func (c *boundedCache[V]) getBytes(k []byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[string(k)]
	return v, ok
}

func (c *boundedCache[V]) put(k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}

var (
	dnCache  = newCache[[]string](1024)   // raw Name → formatted in each DNForm, in DNForms order
	kidCache = newCache[KeyIDMatch](1024) // keyId + certificate signature → match
)
