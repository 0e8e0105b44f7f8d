package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xs2a-dev/xs2a/pkg/httplog"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

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
				warn = " warnings: " + text.OneLine(strings.Join(lw.warnings, "; "))
			}
			// The path is percent-decoded, the id and the warnings came
			// with the request: each is escaped, so a request can neither
			// drive the operator's terminal nor forge a line.
			target := r.URL.Path
			if r.URL.RawQuery != "" {
				// The query is what an undeclared withBalance or a wrong
				// dateFrom is; a secret parameter in it stays redacted.
				target += "?" + httplog.Redactor{}.Query(r.URL.RawQuery)
			}
			fmt.Fprintf(s.opts.Log, "%s %s %s %d %s %s %s%s\n", start.UTC().Format(time.RFC3339), termsafe.Line(r.Method), termsafe.Line(target),
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
