package loopback

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pastedURL is what the PSU's browser shows after the bank's redirect.
func pastedURL(r *Receiver, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return r.RedirectURL + "?" + q.Encode()
}

func TestDeliverPastedURL(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	if err := r.Deliver("  " + pastedURL(r, "code", "c0de-PASTED", "state", rightState) + "\r\n"); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	w := await(t, ch)
	if w.err != nil || w.res == nil || w.res.Code != "c0de-PASTED" || w.res.State != rightState {
		t.Fatalf("Wait = %+v, %v; want the pasted code", w.res, w.err)
	}
	if err := r.Deliver(pastedURL(r, "code", "again", "state", rightState)); !errors.Is(err, ErrAlreadyHandled) {
		t.Errorf("second Deliver = %v; want ErrAlreadyHandled", err)
	}
}

func TestDeliverRefusesWhatIsNotThisCallback(t *testing.T) {
	r := listen(t, Options{})
	other := strings.Replace(r.RedirectURL, "/callback", "/cb", 1)
	for _, tc := range []struct {
		line string
		want string
	}{
		{"hello", "not a URL"},
		{"", "not a URL"},
		{pastedURL(r, "code", "SECRETCODE", "state", "wrong"), "wrong state"},
		{pastedURL(r, "code", "SECRETCODE"), "without a state"},
		{pastedURL(r, "state", rightState), "neither a code nor an error"},
		{r.RedirectURL + "?state=" + rightState + "&code=SECRETCODE&code=x", "repeats the code"},
		{other + "?state=" + rightState + "&code=SECRETCODE", "goes to " + other + ", not to " + r.RedirectURL},
		{"https://bank.example/oauth/authorize?response_type=code&client_id=c&state=" + rightState, "the bank's authorization URL"},
		{strings.Replace(pastedURL(r, "code", "SECRETCODE", "state", rightState), "http:", "https:", 1), "goes to https://"},
		{r.RedirectURL + "?state=" + rightState + "&code=SECRETCODE&%zz", "malformed"},
		{r.RedirectURL + "?" + strings.Repeat("a", maxPaste), "longer than"},
	} {
		err := r.Deliver(tc.line)
		var pe *PasteError
		if !errors.As(err, &pe) {
			t.Errorf("Deliver(%.60q) = %v; want a *PasteError", tc.line, err)
			continue
		}
		if !strings.Contains(pe.Reason, tc.want) || strings.Contains(pe.Reason, "SECRETCODE") || strings.Contains(pe.Reason, "\n") {
			t.Errorf("Deliver(%.60q): %q; want one line containing %q and not the code", tc.line, pe.Reason, tc.want)
		}
	}
	if len(r.delivered) != 0 {
		t.Fatal("a refused paste delivered an outcome")
	}
}

func TestDeliverPastedError(t *testing.T) {
	r := listen(t, Options{})
	ch := startWait(context.Background(), r)
	if err := r.Deliver(pastedURL(r, "error", "access_denied", "error_description", "no\x1b[31m", "state", rightState)); err != nil {
		t.Fatal(err)
	}
	w := await(t, ch)
	var ae *AuthError
	if !errors.As(w.err, &ae) || ae.Code != "access_denied" || strings.Contains(ae.Description, "\x1b") {
		t.Fatalf("Wait error = %v; want the sanitized access_denied", w.err)
	}
}

// TestPasteReaderKeepsWaiting: garbage and a wrong state are reported and
// the wait goes on; the right URL ends it.
func TestPasteReaderKeepsWaiting(t *testing.T) {
	pr, pw := io.Pipe()
	var ev events
	r := listen(t, Options{Paste: pr, OnEvent: ev.add})
	ch := startWait(context.Background(), r)
	io.WriteString(pw, "not a url\n\n")
	io.WriteString(pw, pastedURL(r, "code", "SECRETCODE", "state", "other")+"\n")
	stillWaiting(t, ch)
	io.WriteString(pw, pastedURL(r, "code", "good", "state", rightState)+"\r\n")
	w := await(t, ch)
	if w.err != nil || w.res.Code != "good" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
	msgs := ev.all()
	if len(msgs) != 2 || !strings.Contains(msgs[0], "not a URL") || !strings.Contains(msgs[1], "wrong state") {
		t.Fatalf("events %q; want the garbage line and the wrong state, in order", msgs)
	}
	for _, m := range msgs {
		if !strings.HasSuffix(m, "still waiting") || strings.Contains(m, "SECRETCODE") {
			t.Errorf("event %q", m)
		}
	}
	pw.Close()
}

// TestPasteEOFKeepsWaiting: a script's empty stdin must not end the wait;
// the browser's callback still arrives.
func TestPasteEOFKeepsWaiting(t *testing.T) {
	r := listen(t, Options{Paste: strings.NewReader("")})
	ch := startWait(context.Background(), r)
	stillWaiting(t, ch)
	if resp := mustDo(t, "GET", callbackURL(r, "code", "c", "state", rightState)); resp.status != 200 {
		t.Fatalf("callback: %d", resp.status)
	}
	if w := await(t, ch); w.err != nil || w.res.Code != "c" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}

func TestPasteTooLongLine(t *testing.T) {
	var ev events
	r := listen(t, Options{Paste: strings.NewReader(strings.Repeat("y", 3*maxPaste) + "\nok\n"), OnEvent: ev.add})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := r.Wait(ctx); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait = %v; want the timeout", err)
	}
	msgs := ev.all()
	if len(msgs) != 2 || !strings.Contains(msgs[0], "longer than") || !strings.Contains(msgs[1], "not a URL") {
		t.Fatalf("events %q", msgs)
	}
}

func TestIdleNotice(t *testing.T) {
	t.Run("nothing arrives", func(t *testing.T) {
		idle := make(chan struct{}, 2)
		r := listen(t, Options{IdleAfter: 20 * time.Millisecond, OnIdle: func() { idle <- struct{}{} }})
		ch := startWait(context.Background(), r)
		select {
		case <-idle:
		case <-time.After(5 * time.Second):
			t.Fatal("no idle notice")
		}
		// The wait goes on, and the notice comes once.
		mustDo(t, "GET", callbackURL(r, "code", "c", "state", rightState))
		if w := await(t, ch); w.err != nil || w.res.Code != "c" {
			t.Fatalf("Wait = %+v, %v", w.res, w.err)
		}
		if len(idle) != 0 {
			t.Error("the idle notice came twice")
		}
	})
	t.Run("a refused callback is not idleness", func(t *testing.T) {
		idle := make(chan struct{}, 1)
		r := listen(t, Options{IdleAfter: 200 * time.Millisecond, OnIdle: func() { idle <- struct{}{} }})
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		defer cancel()
		ch := startWait(ctx, r)
		mustDo(t, "GET", callbackURL(r, "code", "c", "state", "wrong"))
		if w := await(t, ch); !errors.Is(w.err, ErrTimeout) {
			t.Fatalf("Wait = %v", w.err)
		}
		if len(idle) != 0 {
			t.Error("idle notice although a (refused) callback reached the listener")
		}
	})
	t.Run("a pasted line is not idleness", func(t *testing.T) {
		idle := make(chan struct{}, 1)
		r := listen(t, Options{Paste: strings.NewReader("garbage\n"), IdleAfter: 200 * time.Millisecond, OnIdle: func() { idle <- struct{}{} }})
		ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
		defer cancel()
		if _, err := r.Wait(ctx); !errors.Is(err, ErrTimeout) {
			t.Fatalf("Wait = %v", err)
		}
		if len(idle) != 0 {
			t.Error("idle notice although a line was pasted")
		}
	})
}

// FuzzPastedURL: whatever is pasted, Deliver never panics, never repeats
// the code in its explanation, and accepts only this receiver's redirect
// URI with the right state.
func FuzzPastedURL(f *testing.F) {
	f.Add("http://127.0.0.1:PORT/callback?code=" + fzCodeMark + "a&state=" + rightState)
	f.Add("http://127.0.0.1:PORT/callback?code=" + fzCodeMark + "a&state=wrong")
	f.Add("<http://127.0.0.1:PORT/callback?error=access_denied&state=" + rightState + ">")
	f.Add("'http://127.0.0.1:PORT/cb?code=" + fzCodeMark + "&state=" + rightState + "'")
	f.Add("https://bank.example/oauth/authorize?client_id=x&response_type=code")
	f.Add("http://[::1]:PORT/callback?%zz")
	f.Add("code=" + fzCodeMark + "&state=" + rightState)
	f.Add("\x1b[31m")
	f.Fuzz(func(t *testing.T, line string) {
		r, err := Listen(Options{State: rightState})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		port := r.hostport[strings.LastIndex(r.hostport, ":")+1:]
		line = strings.ReplaceAll(line, "PORT", port)
		// The code is whatever a callback would take as one; the part
		// before the query may be named in the explanation.
		code, named := "", line
		if u, perr := url.Parse(strings.TrimSpace(line)); perr == nil {
			code, named = u.Query().Get("code"), u.Scheme+u.Host+u.Path
		}
		err = r.Deliver(line)
		if err != nil {
			leaks := len(code) >= 4 && strings.Contains(err.Error(), code) && !strings.Contains(named, code)
			if leaks || strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Fatalf("explanation %q echoes the code or a control character", err)
			}
			if len(r.delivered) != 0 {
				t.Fatal("a refused paste delivered an outcome")
			}
			return
		}
		if len(r.delivered) != 1 {
			t.Fatalf("accepted paste delivered %d outcomes", len(r.delivered))
		}
		q, perr := r.parsePasted(line)
		if perr != nil || q.Get("state") != rightState {
			t.Fatalf("accepted %q whose state is not ours", line)
		}
	})
}

// TestIssuerIsChecked: with an issuer (RFC 9207), a callback or a pasted
// URL without it, or with another, is refused like a wrong state.
func TestIssuerIsChecked(t *testing.T) {
	const iss = "https://auth.bank.example"
	r := listen(t, Options{Issuer: iss})
	ch := startWait(context.Background(), r)
	for _, tc := range []struct{ line, want string }{
		{pastedURL(r, "code", "SECRETCODE", "state", rightState), "without the iss"},
		{pastedURL(r, "code", "SECRETCODE", "state", rightState, "iss", "https://evil.example"), "wrong iss"},
		{r.RedirectURL + "?state=" + rightState + "&code=SECRETCODE&iss=" + url.QueryEscape(iss) + "&iss=x", "repeats the iss"},
	} {
		err := r.Deliver(tc.line)
		var pe *PasteError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRETCODE") {
			t.Errorf("Deliver(%q) = %v; want a refusal with %q", tc.line, err, tc.want)
		}
	}
	if err := r.Deliver(pastedURL(r, "code", "c0de", "state", rightState, "iss", iss)); err != nil {
		t.Fatalf("Deliver with the right iss: %v", err)
	}
	if w := await(t, ch); w.err != nil || w.res == nil || w.res.Code != "c0de" {
		t.Fatalf("Wait = %+v, %v", w.res, w.err)
	}
}
