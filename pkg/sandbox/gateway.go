package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httpsig"
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
	// warned are the IDs of the checks the gateway warned of itself, so
	// the verifier's warning of the same check is not told twice.
	warned []string
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

// isUUID is the file's X-Request-ID: a UUID in its 36-character form
// (uuid.Validate also takes the 32-digit, braced and urn:uuid: forms).
func isUUID(s string) bool { return uuid.Validate(s) == nil && len(s) == 36 }

// apiHandler is an API endpoint: it answers or returns a Berlin Group error.
type apiHandler func(c *call) *apiError

// api wraps an endpoint in the checks every XS2A request passes, in the
// order a bank's gateway applies them.
func (s *Server) api(signed bool, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{w: w, r: r}
		// Every API call changes at least the TPP's day count.
		if err := s.dataFailed(); err != nil {
			if rid := r.Header.Get("X-Request-ID"); isUUID(rid) {
				c.rid = rid // echoed, as every answer after the id's check does
			}
			s.fail(c, reject(http.StatusServiceUnavailable, CodeServiceUnavailable, unavailable(err)))
			return
		}
		if e := s.runChecks(c, signed); e != nil {
			s.fail(c, e)
			return
		}
		// Before any handler: a refused call never counts against the
		// consent's frequencyPerDay, whatever the operation.
		if e := refuseUndeclaredQuery(c); e != nil {
			s.fail(c, e)
			return
		}
		// A panic gives back what the handler reserved.
		defer c.settle(false)
		s.catchUp(c) // what fell due is executed before any read (paysched.go)
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
	case !isUUID(rid) && (s.dialect != DialectLenient || !ValidRequestID(rid)):
		return reject(http.StatusBadRequest, CodeFormatError, fmt.Sprintf("X-Request-ID %q is not a UUID", text.Clip(rid, 60))).withPath("X-Request-ID")
	case !isUUID(rid):
		c.warnings = append(c.warnings, fmt.Sprintf("%s: X-Request-ID %q is not a UUID", httpsig.CheckRequestID, rid))
		c.warned = append(c.warned, httpsig.CheckRequestID)
	}
	c.rid = rid
	// The answers are JSON only: a client that accepts none of it gets the
	// file's 406 before anything else is done for it.
	if accept := r.Header.Values("Accept"); !AcceptsJSON(strings.Join(accept, ", ")) {
		return reject(http.StatusNotAcceptable, CodeRequestedFormatsInvalid,
			fmt.Sprintf("Accept %q admits no application/json; this ASPSP answers in JSON only", text.Clip(strings.Join(accept, ", "), 100))).withPath("Accept")
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
	if e := checkRole(tpp.Cert, "QWAC", r.URL.Path); e != nil {
		return e
	}
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
