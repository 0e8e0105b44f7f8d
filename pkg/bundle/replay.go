package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/text"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// Results of a replayed exchange.
const (
	Same    = "same"
	Changed = "changed"
	Skipped = "skipped"
)

// replayStripped are the recorded headers a replay never sends again: the
// signature set (signed afresh), the credentials (the current ones are
// added) and what the HTTP client writes itself.
var replayStripped = []string{"host", "content-length", "x-request-id", "digest", "signature", "tpp-signature-certificate",
	"authorization", "x-api-key", "consent-id", "accept-encoding", "connection", "user-agent"}

// Answer is a status and Berlin Group code, or the error instead of them.
type Answer struct {
	Status int    `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (a Answer) String() string {
	switch {
	case a.Error != "":
		return "error"
	case a.Status == 0:
		return "-"
	case a.Code != "":
		return strconv.Itoa(a.Status) + " " + a.Code
	}
	return strconv.Itoa(a.Status)
}

// Recorded is the answer the recording holds.
func (e *Exchange) Recorded() Answer {
	if e.Response == nil {
		return Answer{Error: e.Error}
	}
	return Answer{Status: e.Response.Status, Code: e.Response.Code}
}

// Result is one replayed exchange.
type Result struct {
	Method string `json:"method"`
	// Path is the recorded path; Sent is what was sent instead, when a
	// consent, payment or authorisation id was replaced in it.
	Path   string `json:"path"`
	Sent   string `json:"sent,omitempty"`
	Old    Answer `json:"recorded"`
	New    Answer `json:"now"`
	Result string `json:"result"` // Same, Changed or Skipped
	Note   string `json:"note,omitempty"`
}

// Replayer sends recorded API requests again. Its Client signs (the
// signature headers of the recording are dropped); Inject adds the current
// credentials. Use one Replayer for the exchanges of one bundle, in order:
// it remembers which consent, payment and authorisation ids the replay
// created.
type Replayer struct {
	Client *http.Client
	// BaseURL replaces the recorded base_url.
	BaseURL string
	// Inject adds the credentials the request needs now (token, API key,
	// Consent-ID); nil adds none.
	Inject func(*http.Request) error
	// Strip are further header names never re-sent (the profile's API
	// key header).
	Strip []string

	ids map[string]string
}

// Replay re-sends e, unless it is a token-endpoint exchange, and compares
// the answer's status and Berlin Group code with the recorded ones.
func (r *Replayer) Replay(ctx context.Context, e *Exchange) Result {
	res := Result{Method: e.Request.Method, Path: e.Path(), Old: e.Recorded()}
	if e.Kind != KindAPI {
		res.Result = Skipped
		res.Note = "token endpoint: tokens come from the profile's state, refreshed when expired"
		return res
	}
	rel := e.ReplayTarget()
	if m := r.mapIDs(rel); m != rel {
		rel, res.Sent = m, m
	}
	// Checked here too, not only by Check: the live credentials go
	// wherever this URL points.
	u, err := Resolve(r.BaseURL, rel)
	if err != nil {
		return failed(res, fmt.Errorf("not sent: %w", err))
	}
	body, err := e.Request.Body.Bytes()
	if err != nil {
		return failed(res, err)
	}
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, e.Request.Method, u.String(), rd)
	if err != nil {
		return failed(res, err)
	}
	for _, h := range e.Request.Headers {
		l := strings.ToLower(h.Name)
		if slices.Contains(replayStripped, l) || slices.ContainsFunc(r.Strip, func(s string) bool { return strings.EqualFold(s, l) }) ||
			strings.Contains(h.Value, "[redacted sha256:") {
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	// Fresh, not left to a signer: an unsigned profile sends one too.
	req.Header.Set("X-Request-ID", uuid.NewString())
	if r.Inject != nil {
		if err := r.Inject(req); err != nil {
			return failed(res, err)
		}
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		return failed(res, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return failed(res, err)
	}
	res.New = Answer{Status: resp.StatusCode, Code: TPPCode(answer)}
	if e.Request.Method == http.MethodPost && e.Response != nil && resourcePath(rel) {
		// A POST that created a resource (a consent, a payment, an
		// authorisation of either) created another one now: the bank
		// never sees the recorded X-Request-ID again, so nothing is
		// deduplicated. Later paths follow the new one.
		var notes []string
		for _, f := range createdIDs {
			old, now := idField(e.Response.Body, f.field), idField(&Body{Text: string(answer)}, f.field)
			if old != "" && now != "" && old != now {
				if r.ids == nil {
					r.ids = map[string]string{}
				}
				r.ids[old] = now
				notes = append(notes, f.what+" "+old+" is now "+now)
			}
		}
		res.Note = strings.Join(notes, "; ")
	}
	res.Result = Same
	if res.New != res.Old {
		res.Result = Changed
	}
	return res
}

func failed(res Result, err error) Result {
	res.New = Answer{Error: text.OneLine(err.Error())}
	res.Result = Changed
	if res.Old.Error != "" {
		res.Result = Same
	}
	res.Note = res.New.Error
	return res
}

// createdIDs are the answer fields naming a resource a POST created, and
// what the replay's note calls it.
var createdIDs = []struct{ field, what string }{
	{"consentId", "consent"}, {"paymentId", "payment"}, {"authorisationId", "authorisation"},
}

// resourceStart is where the ids of a consent-management path
// (/v1/consents/{consentId}/authorisations/{authorisationId}) or a payment
// path (/v1/{payment-service}/{payment-product}/{paymentId}/...) start in
// its segments, or -1 for any other path.
func resourceStart(segs []string) int {
	// The resource's name at most two segments in: after the version
	// (/v1/consents), or its own base_url's path holding the version.
	for i, s := range segs {
		if i > 2 {
			break
		}
		switch {
		case s == "consents":
			return i + 1
		case slices.Contains(xs2a.PaymentServices, s) && i+1 < len(segs):
			return i + 2
		}
	}
	return -1
}

// resourcePath reports a consent-management or payment path.
func resourcePath(rel string) bool {
	path, _, _ := strings.Cut(rel, "?")
	return resourceStart(strings.Split(path, "/")) >= 0
}

// mapIDs puts the ids this replay created (consents, payments and their
// authorisations) in place of the recorded ones in consent-management and
// payment paths; other calls get their Consent-ID from Inject.
func (r *Replayer) mapIDs(rel string) string {
	path, query, hasQuery := strings.Cut(rel, "?")
	segs := strings.Split(path, "/")
	i := resourceStart(segs)
	if i < 0 || len(r.ids) == 0 {
		return rel
	}
	for j := i; j < len(segs); j++ {
		// Only an id that is one plain path segment: the bank chose it.
		if n, ok := r.ids[segs[j]]; ok && n != "" && url.PathEscape(n) == n && n != "." && n != ".." {
			segs[j] = n
		}
	}
	out := strings.Join(segs, "/")
	if hasQuery {
		out += "?" + query
	}
	return out
}

// idField is the answer's string field name (consentId, paymentId...).
func idField(b *Body, name string) string {
	raw, err := b.Bytes()
	if err != nil || len(raw) == 0 {
		return ""
	}
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(v[name], &id) != nil {
		return ""
	}
	return id
}
