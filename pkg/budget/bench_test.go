package budget_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/state"
)

// BenchmarkCountedCall is what counting adds to one API call: the locked
// read-modify-write of the profile's state file (a bank that answers at
// once stands in for the network).
func BenchmarkCountedCall(b *testing.B) {
	store := state.Open(b.TempDir())
	lim, _ := budget.ParseLimits("", "0", "", "")
	now := time.Date(2027, 1, 15, 12, 0, 0, 0, time.UTC)
	ok := roundTripper(func(req *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}, nil
	})
	tr := &budget.Transport{Base: ok, Limits: lim, BaseURL: "https://bank.example", Now: func() time.Time { return now }, Warn: io.Discard,
		Update: func(fn func(*budget.Ledger) error) error {
			return store.Update("p", func(st *state.State) error {
				if st.Budget == nil {
					st.Budget = &budget.Ledger{}
				}
				return fn(st.Budget)
			})
		}}
	req, _ := http.NewRequest("GET", "https://bank.example/v1/card-accounts", nil)
	req.Header.Set("Consent-ID", "c1")
	b.ResetTimer()
	for b.Loop() {
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	st, _ := store.Load("p")
	if got := st.Budget.Consents["c1"].Calls; got < 1 {
		b.Fatalf("counted %d calls", got)
	}
}
