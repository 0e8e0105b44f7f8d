package main_test

// `xs2a proxy` seen from web pages in headless Chromium: the browser, not a
// test's guess at it, decides what a page may send and read. A browser app
// at the origin given with --cors-origin calls the API and reads the answer
// and its X-Request-ID; another page's fetch and <img> never reach the bank.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestProxyFromBrowserPages(t *testing.T) {
	path := chromium(t)
	u := authorizedUser(t)

	page := func() *httptest.Server {
		s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<!doctype html><title>page</title><body>page</body>")
		}))
		t.Cleanup(s.Close)
		return s
	}
	// Both pages are on 127.0.0.1 with ports of their own: origins other
	// than the proxy's, as a dev server's would be.
	app, other := page(), page()
	p := startProxy(t, u, "127.0.0.1", "--inject-auth", "--cors-origin", app.URL)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	browser, out := startBrowser(t, ctx, path)
	// A custom header makes the browser send a CORS preflight first.
	fetch := fmt.Sprintf(`fetch(%q, {headers: {"PSU-IP-Address": "192.0.2.1", "X-Trace": "t-1"}}).then(
		async r => r.status + " " + r.headers.get("X-Request-ID") + " " + (await r.text()),
		e => "failed: " + e)`, p.base+"/v1/card-accounts")

	tab := newTab(t, browser)
	if err := chromedp.Do(tab, chromedp.Navigate(app.URL)); err != nil {
		t.Fatalf("app page: %v\n%s", err, out)
	}
	got, err := chromedp.Run(tab, chromedp.Evaluate[string](fetch, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	status, rest, _ := strings.Cut(got, " ")
	rid, body, _ := strings.Cut(rest, " ")
	if status != "200" || len(rid) != 36 || !strings.Contains(body, "524378******8693") {
		t.Errorf("the allowed app's fetch: %.300s\nproxy log:\n%s", got, p.stderr.String())
	}
	p.logged("the app's preflight and request", "OPTIONS /v1/card-accounts 204 ", "GET /v1/card-accounts 200 - X-Request-ID "+rid)

	tab2 := newTab(t, browser)
	if err := chromedp.Do(tab2, chromedp.Navigate(other.URL)); err != nil {
		t.Fatalf("other page: %v", err)
	}
	got, err = chromedp.Run(tab2, chromedp.Evaluate[string](fetch, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "failed: ") {
		t.Errorf("another page's fetch: %.300s; want it refused", got)
	}
	p.logged("the other page's preflight", "OPTIONS /v1/card-accounts 403 ", fmt.Sprintf("Origin %q may not use", other.URL))
	// An image needs no CORS: the browser sends it without Origin, and
	// Sec-Fetch-Site gives it away.
	img := fmt.Sprintf(`new Promise(done => { const i = new Image(); i.onload = () => done("loaded"); i.onerror = () => done("error"); i.src = %q; })`,
		p.base+"/v1/card-accounts")
	if _, err := chromedp.Run(tab2, chromedp.Evaluate[string](img, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	p.logged("the other page's <img>", "GET /v1/card-accounts 403 ", "a request made by another web page (Sec-Fetch-Site: same-site)")
	if n := strings.Count(p.stderr.String(), "GET /v1/card-accounts 200 "); n != 1 {
		t.Errorf("%d requests reached the bank; want only the app's:\n%s", n, p.stderr.String())
	}
	p.stop()
	t.Logf("proxy stderr:\n%s", p.stderr.String())
}
