package sandbox

import (
	"container/list"
	"encoding/base64"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/text"

	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// DefaultRemember is how many records the sandbox keeps by default.
const DefaultRemember = 1000

// rememberBytes bounds what the records hold all together: a record keeps
// a body of up to MaxBody, and a thousand of those would be a gigabyte.
const rememberBytes = 64 << 20

// RejectionsPath is where a TPP reads why a request was rejected:
// GET RejectionsPath + X-Request-ID on the API listener (mutual TLS).
const RejectionsPath = "/sandbox/v1/rejections/"

// maxRequestIDLen bounds the X-Request-IDs kept and looked up: a UUID is
// 36 characters; a non-UUID one is kept so that the FORMAT_ERROR about it
// can be read too.
const maxRequestIDLen = 200

// Record is what the sandbox keeps of a rejected request, and in the
// lenient dialect of an accepted one with warnings: enough to print the
// report `xs2a sign verify` prints, from the bank's side.
type Record struct {
	RequestID string    `json:"x_request_id"`
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	// Accepted is true for a request the lenient dialect let through with
	// warnings.
	Accepted bool   `json:"accepted"`
	Dialect  string `json:"dialect"`
	// Messages are the tppMessages answered (empty when accepted).
	Messages []TPPMessage `json:"tpp_messages,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`
	// OrganizationID is the TPP's when its QWAC was identified before the
	// rejection, else that of the client certificate of the TLS handshake,
	// even one the checks would refuse; only that organisation may read the
	// record. Empty only when no certificate was presented.
	OrganizationID string `json:"organization_id,omitempty"`
	// owner is the key of the TPP that sent the request, when a trusted
	// CA issued its certificate (even one the checks refused); "" else.
	owner string
	// certOnly binds a record without an owner to the presented
	// certificate's thumbprint, so that it is not readable by every TPP.
	certOnly string
	// Request is the request as received, what the -v trace hides
	// (Authorization, the API key, cookies, secret query and form fields)
	// replaced by httplog.Redact fingerprints.
	Request *RecordedRequest `json:"request"`
	// Diagnosis is the signature verifier's, when the signature checks ran.
	Diagnosis *httpsig.Diagnosis `json:"diagnosis,omitempty"`
}

// RecordedRequest is an HTTP request in JSON: the body as text when it is
// UTF-8, else base64.
type RecordedRequest struct {
	Method     string          `json:"method"`
	Target     string          `json:"target"`
	Headers    []RecordedField `json:"headers"`
	Body       string          `json:"body,omitempty"`
	BodyBase64 string          `json:"body_base64,omitempty"`
}

// RecordedField is one header line.
type RecordedField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Message is the request as an httpmsg.Request.
func (r *RecordedRequest) Message() *httpmsg.Request {
	m := &httpmsg.Request{Method: r.Method, Target: r.Target, Proto: "HTTP/1.1"}
	for _, h := range r.Headers {
		m.Header = append(m.Header, httpmsg.Field{Name: h.Name, Value: h.Value})
	}
	if r.BodyBase64 != "" {
		m.Body, _ = base64.StdEncoding.DecodeString(r.BodyBase64)
	} else if r.Body != "" {
		m.Body = []byte(r.Body)
	}
	return m
}

// rejections keeps the newest records of each TPP (its key: organisation
// and CA) apart, at most max each, so that no TPP's requests push another's
// out; the requests no trusted certificate identified share one more shelf
// of their own. A request ID sent again by the same sender replaces its
// record and counts as new; the same ID from another sender is another
// record. The bytes kept are bounded all together, and over that budget
// the largest shelf gives up its oldest record first.
type rejections struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int
	shelves  map[string]*shelf // by owner: a TPP's key, or "" for the unidentified
	ids      map[string]int    // how many records of each X-Request-ID are kept
	n        int
}

// shelf is one owner's records, oldest first.
type shelf struct {
	order *list.List               // of *Record
	byKey map[string]*list.Element // by recordKey
	bytes int
}

func newRejections(max int) *rejections {
	return &rejections{max: max, maxBytes: rememberBytes, shelves: map[string]*shelf{}, ids: map[string]int{}}
}

// recordKey tells apart, on the unidentified shelf, the same X-Request-ID
// sent with different certificates (or with none).
func recordKey(r *Record) string { return r.certOnly + "\x00" + r.RequestID }

// size is about what a record holds in memory: its strings, and the
// slice entries that point at them (a string header is 16 bytes), which
// for a headers parameter of thousands of names are most of it.
func (r *Record) size() int {
	const str = 16
	n := 512 + len(r.RequestID) + len(r.Method) + len(r.Path)
	for _, w := range r.Warnings {
		n += str + len(w)
	}
	if r.Request != nil {
		n += len(r.Request.Target) + len(r.Request.Body) + len(r.Request.BodyBase64)
		for _, h := range r.Request.Headers {
			n += 2*str + len(h.Name) + len(h.Value)
		}
	}
	if d := r.Diagnosis; d != nil {
		n += len(d.SigningString) + len(d.KeyID) + len(d.CertSubject) + len(d.Algorithm)
		for _, h := range d.Headers {
			n += str + len(h)
		}
		for _, c := range d.Checks {
			n += 7*str + len(c.ID) + len(c.Title) + len(c.Expected) + len(c.Got) + len(c.Detail) + len(c.Reason)
		}
		for _, c := range d.Causes {
			n += 4*str + len(c.ID) + len(c.Summary) + len(c.Fix)
		}
	}
	for _, m := range r.Messages {
		n += 4*str + len(m.Code) + len(m.Path) + len(m.Text)
	}
	return n
}

// drop removes e from shelf sh of owner; call with the lock held.
func (m *rejections) drop(owner string, sh *shelf, e *list.Element) {
	old := sh.order.Remove(e).(*Record)
	sz := old.size()
	sh.bytes -= sz
	m.bytes -= sz
	m.n--
	delete(sh.byKey, recordKey(old))
	if m.ids[old.RequestID]--; m.ids[old.RequestID] <= 0 {
		delete(m.ids, old.RequestID)
	}
	if sh.order.Len() == 0 {
		delete(m.shelves, owner)
	}
}

func (m *rejections) put(r *Record) {
	if m.max <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sh := m.shelves[r.owner]
	if sh == nil {
		sh = &shelf{order: list.New(), byKey: map[string]*list.Element{}}
		m.shelves[r.owner] = sh
	}
	if e, ok := sh.byKey[recordKey(r)]; ok {
		m.drop(r.owner, sh, e)
		m.shelves[r.owner] = sh // kept even if drop emptied it
	}
	e := sh.order.PushBack(r)
	sh.byKey[recordKey(r)] = e
	sz := r.size()
	sh.bytes += sz
	m.bytes += sz
	m.n++
	m.ids[r.RequestID]++
	for sh.order.Len() > m.max {
		m.drop(r.owner, sh, sh.order.Front())
	}
	// The newest record stays even when it alone is over the budget.
	for m.bytes > m.maxBytes {
		owner, big := "", (*shelf)(nil)
		for o, s := range m.shelves {
			if s == sh && s.order.Len() == 1 {
				continue
			}
			if big == nil || s.bytes > big.bytes {
				owner, big = o, s
			}
		}
		if big == nil {
			break
		}
		m.drop(owner, big, big.order.Front())
	}
}

// lookup finds the record of id that reader may read: its own, one sent
// with its very certificate that the checks refused, or one sent without a
// certificate; elsewhere says a record of id is kept for another sender.
func (m *rejections) lookup(reader *TPP, id string) (rec *Record, elsewhere bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sh := m.shelves[reader.Key]; sh != nil {
		if e, ok := sh.byKey["\x00"+id]; ok {
			return e.Value.(*Record), false
		}
	}
	if sh := m.shelves[""]; sh != nil {
		for _, k := range []string{reader.Thumbprint + "\x00" + id, "\x00" + id} {
			if e, ok := sh.byKey[k]; ok {
				return e.Value.(*Record), false
			}
		}
	}
	return nil, m.ids[id] > 0
}

// get is any record of id (tests).
func (m *rejections) get(id string) *Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, sh := range m.shelves {
		for e := sh.order.Front(); e != nil; e = e.Next() {
			if r := e.Value.(*Record); r.RequestID == id {
				return r
			}
		}
	}
	return nil
}

func (m *rejections) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// ValidRequestID reports an X-Request-ID the sandbox keeps and looks up:
// not empty, at most 200 bytes, printable UTF-8.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// remember keeps the record of call c: its answer (e, nil when accepted
// with warnings) and what the verifier found.
func (s *Server) remember(c *call, status int, e *apiError) {
	rid := c.r.Header.Get("X-Request-ID")
	if !ValidRequestID(rid) {
		return
	}
	if e != nil && c.w != nil {
		// Said on the answer (before it is written: both callers remember
		// first), so the client's hint can name `xs2a sandbox why`.
		c.w.Header().Set(xs2a.SandboxRejectionHeader, RejectionsPath+rid)
	}
	rec := &Record{RequestID: rid, Time: s.now().UTC(), Method: c.r.Method, Path: c.r.URL.Path, Status: status,
		Accepted: e == nil, Dialect: string(s.dialect), Warnings: c.warnings, Diagnosis: c.diag}
	if e != nil {
		rec.Messages = e.msgs
	}
	switch {
	case c.tpp != nil:
		rec.OrganizationID, rec.owner = c.tpp.OrganizationID, c.tpp.Key
	case c.r.TLS != nil && len(c.r.TLS.PeerCertificates) > 0:
		// Not identified yet (a request id that is no UUID is easy to
		// guess), or refused, but the handshake says who sent it: the TPP
		// of its organisation and CA when a trusted CA issued it, else
		// that very certificate.
		cert := c.r.TLS.PeerCertificates[0]
		rec.OrganizationID = qcert.OrganizationIdentifier(cert)
		if ca := s.anchorOf(cert, c.r.TLS.PeerCertificates[1:]); ca != "" && rec.OrganizationID != "" {
			rec.owner = tppKey(rec.OrganizationID, ca)
		} else {
			rec.certOnly = thumbprint(cert)
		}
	}
	rec.Request = s.recordRequest(c)
	if rec.Diagnosis != nil {
		d := *rec.Diagnosis
		d.SigningString = s.redactLines(d.SigningString)
		rec.Diagnosis = &d
	}
	s.memory.put(rec)
}

// redactor hides what the -v trace hides (credentials by header name, the
// secret query, form and JSON fields), the API key header included: a
// record is readable over the network, so it keeps only fingerprints.
func (s *Server) redactor() httplog.Redactor {
	return httplog.Redactor{SecretHeaders: []string{s.opts.APIKeyHeader}}
}

// redactTarget keeps a request-target's path and redacts its secret query
// parameters.
func redactTarget(red httplog.Redactor, target string) string {
	if path, query, ok := strings.Cut(target, "?"); ok {
		return path + "?" + red.Query(query)
	}
	return target
}

// redactLines redacts a signing string as the request: the secret query
// parameters of the request-target, the secret headers (a lenient TPP may
// sign its Authorization header or a cookie).
func (s *Server) redactLines(ss string) string {
	if ss == "" {
		return ss
	}
	red := s.redactor()
	lines := strings.Split(ss, "\n")
	for i, l := range lines {
		name, v, ok := strings.Cut(l, ": ")
		switch {
		case !ok:
		case name == httpsig.RequestTarget:
			if method, target, ok := strings.Cut(v, " "); ok {
				lines[i] = name + ": " + method + " " + redactTarget(red, target)
			}
		default:
			lines[i] = name + ": " + red.Header(name, v)
		}
	}
	return strings.Join(lines, "\n")
}

// recordRequest is the request as received. Its body is what the checks
// read (nothing when they stopped before the body), never read again here.
func (s *Server) recordRequest(c *call) *RecordedRequest {
	r := c.r
	red := s.redactor()
	rr := &RecordedRequest{Method: r.Method, Target: redactTarget(red, r.URL.RequestURI())}
	if r.Host != "" {
		rr.Headers = append(rr.Headers, RecordedField{Name: "Host", Value: r.Host})
	}
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			rr.Headers = append(rr.Headers, RecordedField{Name: name, Value: red.Header(name, v)})
		}
	}
	body := c.body
	// A token request posted to an API path carries its secrets here.
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); {
	case mt == "application/x-www-form-urlencoded":
		body = []byte(red.Form(string(body)))
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var ok bool
		if body, ok = red.JSON(body); !ok && utf8.Valid(body) {
			body = []byte(red.LooseJSON(string(body)))
		}
	}
	if utf8.Valid(body) {
		rr.Body = string(body)
	} else {
		rr.BodyBase64 = base64.StdEncoding.EncodeToString(body)
	}
	return rr
}

// handleRejection answers GET /sandbox/v1/rejections/{requestId}: the
// record, to a QWAC of the organisation that sent the request: the one its
// QWAC was identified as, else the one its TLS client certificate names (any
// trusted QWAC only when the request came without a client certificate).
func (s *Server) handleRejection(w http.ResponseWriter, r *http.Request) {
	if rid := r.Header.Get("X-Request-ID"); ValidRequestID(rid) {
		w.Header().Set("X-Request-ID", rid)
	}
	fail := func(e *apiError) {
		codeTo(w, e.Code())
		writeAPIError(w, e)
	}
	tpp, e := s.tppFromTLS(r)
	if e != nil {
		fail(e)
		return
	}
	id := r.PathValue("requestId")
	if !ValidRequestID(id) {
		fail(reject(http.StatusBadRequest, CodeFormatError,
			fmt.Sprintf("%q is not an X-Request-ID (1 to %d printable characters)", text.Clip(id, 60), maxRequestIDLen)).withPath("requestId"))
		return
	}
	rec, elsewhere := s.memory.lookup(tpp, id)
	switch {
	case rec == nil && elsewhere:
		fail(reject(http.StatusForbidden, CodeResourceUnknown,
			fmt.Sprintf("the request with X-Request-ID %s came from another TPP; only a QWAC of that TPP (its organisation, from the same CA) may read why it was rejected", id)))
	case rec == nil:
		kept := fmt.Sprintf("the sandbox keeps the newest %d of each TPP in memory, since it started", s.opts.Remember)
		if s.opts.Remember < 0 {
			kept = "this sandbox keeps none (it was started to remember no rejections)"
		}
		fail(reject(http.StatusNotFound, CodeResourceUnknown,
			fmt.Sprintf("no rejection of a request with X-Request-ID %s is kept: %s", id, kept)))
	default:
		writeJSON(w, http.StatusOK, rec)
	}
}
