package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
	"github.com/xs2a-dev/xs2a/pkg/qcert"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"golang.org/x/time/rate"
)

// MaxBody is the largest request body the sandbox reads.
const MaxBody = 1 << 20

// call is one API request on its way through the checks.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	tpp  *TPP
	body []byte
	rid  string
	// diag is the verifier's diagnosis, when the signature checks ran;
	// warnings are what the dialect let through.
	diag     *httpsig.Diagnosis
	warnings []string
	// saved are the data-file commits of what this call changed.
	saved pending
	// settlers keep or give back what the handler reserved (an access
	// of frequencyPerDay, consentrules.go): kept when the answer is 2xx.
	settlers []func(ok bool)
}

// settle runs the settlers once: ok keeps what they reserved.
func (c *call) settle(ok bool) {
	fs := c.settlers
	c.settlers = nil
	for _, f := range fs {
		f(ok)
	}
}

// reply answers with JSON and echoes X-Request-ID, as every XS2A answer does.
func (c *call) reply(status int, v any) *apiError {
	c.settle(status/100 == 2)
	if e := c.committed(); e != nil {
		return e
	}
	c.w.Header().Set("X-Request-ID", c.rid)
	writeJSON(c.w, status, v)
	return nil
}

// committed waits until what the call changed is in the data file.
func (c *call) committed() *apiError {
	if err := c.saved.wait(); err != nil {
		return reject(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", saveFailed(err))
	}
	return nil
}

// apiHandler is an API endpoint: it answers or returns a Berlin Group error.
type apiHandler func(c *call) *apiError

// logWriter records what was answered, for the one-line request log.
type logWriter struct {
	http.ResponseWriter
	status   int
	code     string
	warnings []string
}

func (l *logWriter) WriteHeader(s int) {
	if l.status == 0 {
		l.status = s
	}
	l.ResponseWriter.WriteHeader(s)
}

func (l *logWriter) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	return l.ResponseWriter.Write(b)
}

func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &logWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				// A bug must not take the bank down for everyone else.
				if lw.status == 0 {
					if lw.Header().Get("X-Request-ID") == "" {
						lw.Header().Set("X-Request-ID", uuid.NewString())
					}
					writeAPIError(lw, reject(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", fmt.Sprint("sandbox internal error: ", p)))
				}
				lw.code = "INTERNAL_SERVER_ERROR"
			}
			rid := r.Header.Get("X-Request-ID")
			if rid == "" {
				rid = "-"
			}
			code := lw.code
			if code == "" {
				code = "-"
			}
			warn := ""
			if len(lw.warnings) > 0 {
				warn = " warnings: " + oneLine(strings.Join(lw.warnings, "; "))
			}
			// The path is percent-decoded, the id and the warnings came
			// with the request: each is escaped, so a request can neither
			// drive the operator's terminal nor forge a line.
			fmt.Fprintf(s.opts.Log, "%s %s %s %d %s %s %s%s\n", start.UTC().Format(time.RFC3339), termsafe.Line(r.Method), termsafe.Line(r.URL.Path),
				lw.status, termsafe.Line(code), termsafe.Line(rid), time.Since(start).Round(time.Microsecond), termsafe.Line(warn))
		}()
		h.ServeHTTP(lw, r)
	})
}

func codeTo(w http.ResponseWriter, code string) {
	if lw, ok := w.(*logWriter); ok {
		lw.code = code
	}
}

// api wraps an endpoint in the checks every XS2A request passes, in the
// order a bank's gateway applies them.
func (s *Server) api(signed bool, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		// Every API call changes at least the TPP's day count.
		if err := s.dataFailed(); err != nil {
			if rid := r.Header.Get("X-Request-ID"); uuid.Validate(rid) == nil && len(rid) == 36 {
				c.rid = rid // echoed, as every answer after the id's check does
			}
			s.fail(c, reject(http.StatusServiceUnavailable, CodeServiceUnavailable, unavailable(err)))
			return
		}
		if e := s.runChecks(c, signed); e != nil {
			s.fail(c, e)
			return
		}
		// A panic gives back what the handler reserved.
		defer c.settle(false)
		if e := h(c); e != nil {
			s.fail(c, e)
			return
		}
		c.settle(true) // a 2xx written without c.reply
		if len(c.warnings) > 0 {
			status := http.StatusOK
			if lw, ok := w.(*logWriter); ok {
				lw.warnings = c.warnings
				status = lw.status
			}
			s.remember(c, status, nil)
		}
	})
}

func (s *Server) fail(c *call, e *apiError) {
	c.settle(false)    // a refused call uses no access
	_ = c.saved.wait() // the day's count, at least, was changed
	if c.rid == "" {
		// The file gives every answer an X-Request-ID (a UUID): a request
		// without a usable one gets a fresh id, never none.
		c.rid = uuid.NewString()
	}
	c.w.Header().Set("X-Request-ID", c.rid)
	codeTo(c.w, e.Code())
	if lw, ok := c.w.(*logWriter); ok {
		lw.warnings = c.warnings
	}
	// Kept first: a client may ask why the moment the answer arrives.
	s.remember(c, e.status, e)
	writeAPIError(c.w, e)
}

func (s *Server) runChecks(c *call, signed bool) *apiError {
	r := c.r
	// X-Request-ID first, so that every later rejection, the body's too,
	// echoes it.
	rid := r.Header.Get("X-Request-ID")
	switch {
	case rid == "":
		return reject(http.StatusBadRequest, CodeFormatError, "X-Request-ID header is missing; every request carries a UUID").withPath("X-Request-ID")
	case (uuid.Validate(rid) != nil || len(rid) != 36) && (s.dialect != DialectLenient || !ValidRequestID(rid)):
		return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf("X-Request-ID %q is not a UUID", clip(rid, 60))).withPath("X-Request-ID")
	case uuid.Validate(rid) != nil || len(rid) != 36:
		c.warnings = append(c.warnings, fmt.Sprintf("%s: X-Request-ID %q is not a UUID", httpsig.CheckRequestID, rid))
	}
	c.rid = rid
	// The answers are JSON only: a client that accepts none of it gets the
	// file's 406 before anything else is done for it.
	if accept := r.Header.Values("Accept"); !AcceptsJSON(strings.Join(accept, ", ")) {
		return reject(http.StatusNotAcceptable, CodeRequestedFormatsInvalid,
			fmt.Sprintf("Accept %q admits no application/json; this ASPSP answers in JSON only", clip(strings.Join(accept, ", "), 100))).withPath("Accept")
	}
	// The body, bounded, read once: the digest needs its exact bytes.
	if r.Body != nil {
		b, err := io.ReadAll(http.MaxBytesReader(c.w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf("the body is larger than %d bytes", MaxBody))
			}
			return reject(http.StatusBadRequest, CodeFormatError, "the body could not be read: "+err.Error())
		}
		c.body = b
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	tpp, e := s.tppFromTLS(r)
	if e != nil {
		return e
	}
	c.tpp = tpp
	if e := s.rateLimit(tpp.Key, "requests", true, &c.saved); e != nil {
		return e
	}
	if signed {
		if e := s.checkSignature(c); e != nil {
			return e
		}
	}
	return checkPSUIP(r.Header)
}

// newLimit is a TPP's limiter: the second's in memory, the day's count
// (persisted with a data directory) starting at zero.
func (s *Server) newLimit() *tppLimit {
	l := &tppLimit{}
	if s.opts.RatePerSecond > 0 {
		burst := int(s.opts.RatePerSecond)
		if burst < 1 {
			burst = 1
		}
		l.sec = rate.NewLimiter(rate.Limit(s.opts.RatePerSecond), burst)
	}
	return l
}

// rateLimit counts a request of the TPP with this key (a TPP's key for the
// API, "token " and the key for the token endpoint): what is the kind of
// request the refusal names; daily applies RatePerDay too.
func (s *Server) rateLimit(key, what string, daily bool, saved *pending) *apiError {
	// A negative RatePerSecond or RatePerDay turns off that limit only.
	if s.opts.RatePerSecond < 0 && (s.opts.RatePerDay < 0 || !daily) {
		return nil
	}
	now := s.now()
	s.limMu.Lock()
	defer s.limMu.Unlock()
	l := s.limiters[key]
	if l == nil {
		l = s.newLimit()
		s.limiters[key] = l
	}
	day := s.bankDay(now)
	if l.day != day {
		l.day, l.n = day, 0
	}
	if daily && s.opts.RatePerDay > 0 && l.n >= s.opts.RatePerDay {
		midnight := time.Date(now.In(s.zone).Year(), now.In(s.zone).Month(), now.In(s.zone).Day()+1, 0, 0, 0, 0, s.zone)
		e := reject(http.StatusTooManyRequests, CodeAccessExceeded,
			fmt.Sprintf("the daily limit of %d %s for this TPP is used up; it resets at the bank's midnight (%s)", s.opts.RatePerDay, what, midnight.Format(time.RFC3339)))
		e.header = http.Header{"Retry-After": {strconv.Itoa(int(midnight.Sub(now).Seconds()) + 1)}}
		return e
	}
	if l.sec != nil {
		res := l.sec.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			e := reject(http.StatusTooManyRequests, CodeAccessExceeded,
				fmt.Sprintf("more than %g %s a second from this TPP; retry after %s", s.opts.RatePerSecond, what, d.Round(time.Millisecond)))
			secs := int(d/time.Second) + 1
			e.header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
			return e
		}
	}
	if !daily {
		return nil
	}
	l.n++
	if s.opts.RatePerDay > 0 {
		saved.add(s.store.save(limitRecord{Org: key, Day: l.day, N: l.n}))
	}
	return nil
}

// checkSignature verifies Digest, Signature and TPP-Signature-Certificate
// with the same engine as `xs2a sign verify`, and turns its diagnosis into
// tppMessages.
func (s *Server) checkSignature(c *call) *apiError {
	m, err := httpmsg.FromHTTP(c.r)
	if err != nil {
		return reject(http.StatusBadRequest, CodeFormatError, err.Error())
	}
	m.Body = c.body
	vo := s.dialect.VerifyOptions()
	vo.Now = s.now
	d := httpsig.Verify(m, vo)
	c.diag = d
	if !d.Valid {
		return diagnosisError(d, c.rid)
	}
	// The X-Request-ID warning may already come from the first check.
	ridWarned := slices.ContainsFunc(c.warnings, func(w string) bool { return strings.HasPrefix(w, httpsig.CheckRequestID+":") })
	for _, w := range warningTexts(d) {
		if !(ridWarned && strings.HasPrefix(w, httpsig.CheckRequestID+":")) {
			c.warnings = append(c.warnings, w)
		}
	}
	cert, _ := httpsig.ParseCertificateHeader(c.r.Header.Get("TPP-Signature-Certificate"))
	// The QSealC may come from another QTSP than the QWAC: the QWAC
	// identifies the TPP, the QSealC must name the same organisation.
	if _, e := s.checkPSD2Cert(cert, nil, "QSealC", qcert.QcTypeESeal); e != nil {
		return e
	}
	if org := qcert.OrganizationIdentifier(cert); org != c.tpp.OrganizationID {
		return reject(http.StatusUnauthorized, CodeCertificateInvalid,
			fmt.Sprintf("the QSealC belongs to %q but the QWAC to %q: both must name the same TPP", org, c.tpp.OrganizationID))
	}
	return nil
}

// diagnosisError maps a failed verification to the code a bank answers and
// keeps the whole diagnosis in the texts.
func diagnosisError(d *httpsig.Diagnosis, rid string) *apiError {
	code := CodeSignatureInvalid
	for _, ch := range d.Checks {
		if ch.Status != httpsig.Fail {
			continue
		}
		switch {
		case ch.ID == httpsig.CheckSignatureHeader && ch.Got == "":
			code = CodeSignatureMissing
		case ch.ID == httpsig.CheckCertificate && strings.Contains(ch.Detail, "no TPP-Signature-Certificate") && code == CodeSignatureInvalid:
			code = CodeCertificateMissing
		case ch.ID == httpsig.CheckCertificate && code == CodeSignatureInvalid:
			code = CodeCertificateInvalid
		case ch.ID == httpsig.CheckValidity && strings.Contains(ch.Detail, "expired") && code == CodeSignatureInvalid:
			code = CodeCertificateExpired
		case (ch.ID == httpsig.CheckValidity || ch.ID == httpsig.CheckKeyUsage) && code == CodeSignatureInvalid:
			// Not yet valid, or a key that may not sign: the certificate is
			// at fault, not the signature.
			code = CodeCertificateInvalid
		}
		if code == CodeSignatureMissing {
			break
		}
	}
	var texts []string
	for _, ch := range d.Checks {
		if ch.Status != httpsig.Fail {
			continue
		}
		t := "check " + ch.ID + " failed"
		if ch.Detail != "" {
			t += ": " + ch.Detail
		}
		if ch.Expected != "" {
			t += "; expected " + ch.Expected
		}
		if ch.Got != "" {
			t += "; got " + ch.Got
		}
		texts = append(texts, t)
	}
	for _, cause := range d.Causes {
		t := "cause: " + cause.Summary
		if cause.Fix != "" {
			t += "; fix: " + cause.Fix
		}
		texts = append(texts, t)
	}
	texts = append(texts, "the sandbox keeps the full report: `xs2a sandbox why "+rid+"` prints it (or run `xs2a sign verify` on the request)")
	return reject(http.StatusUnauthorized, code, texts...)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
