package cmdutil

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/budget"
	"github.com/xs2a-dev/xs2a/pkg/oauth"
	"github.com/xs2a-dev/xs2a/pkg/origin"
	"github.com/xs2a-dev/xs2a/pkg/xs2a"
)

// NetError gives a network step's failure its exit code and a next step.
func NetError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	var re *origin.RedirectError
	if errors.As(err, &re) {
		return RedirectFix(err, "base_url", ExitRejected)
	}
	var le *origin.LinkError
	if errors.As(err, &le) {
		return &ExitError{Code: ExitRejected, Err: err}
	}
	var ae2 *oauth.AnswerError
	var ie *oauth.IssuerError
	if errors.As(err, &ae2) || errors.As(err, &ie) {
		return &ExitError{Code: ExitAuth, Err: err}
	}
	var be *budget.ExceededError
	if errors.As(err, &be) {
		return &ExitError{Code: ExitBudget, Err: be} // without the URL: nothing was sent
	}
	var ae *xs2a.APIError
	if errors.As(err, &ae) {
		code := ExitRejected
		switch {
		case ae.HasCode("SIGNATURE_INVALID") || ae.HasCode("SIGNATURE_MISSING"):
			code = ExitSignature
		case ae.SignatureProblem():
			code = ExitCertificate
		case ae.AuthProblem():
			code = ExitAuth
		}
		if h := ae.Hint(); h != "" {
			err = fmt.Errorf("%w; hint: %s", err, h)
		}
		return &ExitError{Code: code, Err: err}
	}
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return &ExitError{Code: ExitAuth, Err: err}
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var ce x509.CertificateInvalidError
	switch {
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &hne), errors.As(err, &ce):
		return &ExitError{Code: ExitCertificate, Err: fmt.Errorf("%w; hint: the ASPSP's server certificate is not trusted: set ca_bundle in the profile (for the sandbox: its ca.pem)", err)}
	case strings.Contains(err.Error(), "remote error: tls:"):
		return &ExitError{Code: ExitCertificate, Err: fmt.Errorf("%w; hint: the ASPSP refused the TLS handshake, usually the client certificate: check qwac_cert/qwac_key (xs2a certs check)", err)}
	case errors.Is(err, context.Canceled):
		return &ExitError{Code: ExitInterrupted, Err: errors.New("interrupted")}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return &ExitError{Code: ExitFailure, Err: fmt.Errorf("%w; hint: is the ASPSP reachable at the profile's base_url?", err)}
	}
	return err
}

// RedirectFix gives a refused redirect (an *origin.RedirectError in err)
// its exit code and the fix: the final URL belongs in the profile key.
func RedirectFix(err error, key string, code int) error {
	var re *origin.RedirectError
	if !errors.As(err, &re) {
		return err
	}
	return &ExitError{Code: code, Err: fmt.Errorf("%w; configure the final URL in the profile: %s", err, key)}
}
