package sandbox

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// TestRoleFor: every path family the file defines needs the role of its
// service; what no service owns needs none.
func TestRoleFor(t *testing.T) {
	for path, want := range map[string]qcert.Role{
		"/v1/consents":                            qcert.RoleAI,
		"/v1/consents/c-1/authorisations":         qcert.RoleAI,
		"/v1/accounts/acc-2343/transactions":      qcert.RoleAI,
		"/v1/card-accounts":                       qcert.RoleAI,
		"/v1/payments/sepa-credit-transfers":      qcert.RolePI,
		"/v1/periodic-payments/target-2-payments": qcert.RolePI,
		"/v1/bulk-payments/sepa-credit-transfers": qcert.RolePI,
		"/v1/signing-baskets":                     qcert.RolePI,
		"/v1/funds-confirmations":                 qcert.RoleIC,
		"/v2/consents/confirmation-of-funds":      qcert.RoleIC,
		"/v2/consents/confirmation-of-funds/c-1":  qcert.RoleIC,
		"/v1/consentsX":                           "",
		RejectionsPath + "x":                      "",
	} {
		if got, _ := roleFor(path); got != want {
			t.Errorf("roleFor(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestCheckRole: a certificate generated with and without each role is
// let through or refused with ROLE_INVALID naming the missing role, for
// the QWAC and the QSealC alike.
func TestCheckRole(t *testing.T) {
	sets := map[string]*qcert.Set{"ai": extraSet(t, "ai-only"), "pi": extraSet(t, "pi-only"), "ic": extraSet(t, "ic-only"), "all": sharedSet(t)}
	paths := map[qcert.Role]string{qcert.RoleAI: "/v1/consents", qcert.RolePI: "/v1/payments/sepa-credit-transfers", qcert.RoleIC: "/v1/funds-confirmations"}
	has := map[string]qcert.Role{"ai": qcert.RoleAI, "pi": qcert.RolePI, "ic": qcert.RoleIC}
	for name, set := range sets {
		for role, path := range paths {
			for use, cert := range map[string]*x509.Certificate{"QWAC": set.QWAC.Cert, "QSealC": set.QSeal.Cert} {
				e := checkRole(cert, use, path)
				if name == "all" || has[name] == role {
					if e != nil {
						t.Errorf("%s set, %s on %s: refused: %v", name, use, path, e)
					}
					continue
				}
				if e == nil {
					t.Errorf("%s set, %s on %s: let through without %s", name, use, path, role)
					continue
				}
				if e.status != 401 || e.Code() != CodeRoleInvalid || !containsText(e, "do not include "+string(role)) || !containsText(e, "the "+use+"'s") {
					t.Errorf("%s set, %s on %s: %d %s %v", name, use, path, e.status, e.Code(), e)
				}
			}
		}
	}
}

func containsText(e *apiError, s string) bool {
	for _, m := range e.msgs {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

// TestRolesOverHTTP: the gateway applies the rule: a PSP_IC-only QWAC is
// refused for AIS naming PSP_AI; a PSP_AI QWAC with a PSP_IC-only QSealC
// is refused naming the QSealC.
func TestRolesOverHTTP(t *testing.T) {
	ic := extraSet(t, "ic-only")
	ai := extraSet(t, "ai-only")
	app := App{Name: "ai only", ClientID: "ai-client", ClientSecret: "s", APIKey: "k", OrganizationID: qcert.DefaultOrg.OrganizationIdentifier()}
	s := startSandbox(t, Options{RatePerSecond: -1, Trust: []*x509.Certificate{ic.CA.Cert, ai.CA.Cert}, Apps: []App{app}})

	tr := mtlsTransport(s, ic.QWAC)
	defer tr.CloseIdleConnections()
	req := mustGet(s.URL + "/v1/consents/cns-x")
	req.Header.Set("X-Request-ID", uuid.NewString())
	wantAPIError(t, do(t, &http.Client{Transport: tr}, req), 401, CodeRoleInvalid, "", "QWAC's PSD2 roles [PSP_IC] do not include PSP_AI, which account information needs")

	p := newParty(t, s, app, ai.QWAC, ic.QSeal)
	wantAPIError(t, p.call("POST", "/v1/consents", p.clientToken(), consentBody(nil), nil), 401, CodeRoleInvalid, "", "QSealC's PSD2 roles [PSP_IC] do not include PSP_AI")
	ok := newParty(t, s, app, ai.QWAC, ai.QSeal)
	wantStatus(t, ok.call("POST", "/v1/consents", ok.clientToken(), consentBody(nil), nil), 201)
}
