package loopback

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fzCodeMark starts every code the fuzzer sends; no built-in page contains
// it, so finding it in a refused answer means the code was echoed.
const fzCodeMark = "ZQXJcode"

func FuzzCallbackQuery(f *testing.F) {
	// stateMode: 0 the right state, 1 a wrong one, 2 none, 3 the right one twice.
	f.Add("", "SplxlOBeZQQYbYS6WxSbIA", uint8(0), "", "")
	f.Add("", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", uint8(1), "", "")
	f.Add("", "abc", uint8(2), "", "")
	f.Add("", "abc", uint8(3), "", "")
	f.Add("", "abc", uint8(0), "access_denied", "The PSU denied the consent \x1b[31m")
	f.Add("", "abc", uint8(1), "access_denied", "")
	f.Add("code=other", "abc", uint8(0), "", "")
	f.Add("error_uri=https://bank.example/e&error_uri=x", "abc", uint8(0), "", "")
	f.Add("%zz&state", "abc", uint8(0), "", "")
	f.Add(";code=x", "", uint8(0), "", "")
	f.Fuzz(func(t *testing.T, raw, code string, stateMode uint8, errCode, errDesc string) {
		const state = "st-4f0c2e8a"
		r, err := Listen(Options{State: state})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		q := url.Values{}
		switch stateMode % 4 {
		case 0:
			q.Set("state", state)
		case 1:
			q.Set("state", state+"x")
		case 3:
			q["state"] = []string{state, state}
		}
		q.Set("code", fzCodeMark+code)
		if errCode != "" {
			q.Set("error", errCode)
			q.Set("error_description", errDesc)
		}
		rawQuery := q.Encode()
		if raw != "" {
			rawQuery = raw + "&" + rawQuery
		}
		req := httptest.NewRequest("GET", "http://"+r.hostport+r.path, nil)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		r.serveHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("status %d for ?%s", rec.Code, rawQuery)
		}
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			if strings.Contains(body, fzCodeMark) {
				t.Fatalf("refused callback (%d) echoes the code:\n%s", rec.Code, body)
			}
			if len(r.delivered) != 0 {
				t.Fatalf("refused callback (%d) delivered an outcome", rec.Code)
			}
			return
		}
		// Accepted: exactly one outcome, with the state we sent.
		if len(r.delivered) != 1 {
			t.Fatalf("accepted callback delivered %d outcomes", len(r.delivered))
		}
		o := <-r.delivered
		parsed, _ := url.ParseQuery(rawQuery)
		if parsed.Get("state") != state {
			t.Fatalf("accepted a callback whose state is %q", parsed.Get("state"))
		}
		if o.res != nil {
			if o.res.Code != parsed.Get("code") || o.res.State != state {
				t.Fatalf("result %+v does not match the query", o.res)
			}
			if strings.Contains(body, fzCodeMark) {
				t.Fatal("the success page echoes the code")
			}
		} else if o.authErr == nil || o.authErr.Error() == "" {
			t.Fatalf("accepted outcome is neither a code nor an error: %+v", o)
		}
	})
}

// TestCallbackQueryOverHTTP replays a few callbacks through a real Receiver
// (Listen, Wait, a loopback request), so the fuzzed handler is the one served.
func TestCallbackQueryOverHTTP(t *testing.T) {
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"state=wrong&code=" + fzCodeMark + "1", http.StatusBadRequest},
		{"code=" + fzCodeMark + "2", http.StatusBadRequest},
		{"state=st&state=st&code=" + fzCodeMark + "3", http.StatusBadRequest},
		{"state=st&code=" + fzCodeMark + "4", http.StatusOK},
	} {
		r, err := Listen(Options{State: "st"})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		go func() { _, err := r.Wait(ctx); done <- err }()
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(r.RedirectURL + "?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		bb, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := string(bb)
		if resp.StatusCode != tc.status {
			t.Errorf("?%s: status %d, want %d", tc.query, resp.StatusCode, tc.status)
		}
		if resp.StatusCode != http.StatusOK && strings.Contains(b, fzCodeMark) {
			t.Errorf("?%s: refused answer echoes the code", tc.query)
		}
		cancel()
		<-done
		r.Close()
	}
}
