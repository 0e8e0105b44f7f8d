package qcert_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// fzRoleSets are the role combinations TPPs hold.
var fzRoleSets = [][]qcert.Role{
	nil,
	{qcert.RoleAI},
	{qcert.RolePI},
	{qcert.RoleAS},
	{qcert.RoleIC},
	{qcert.RolePI, qcert.RoleAI},
	{qcert.RoleAS, qcert.RolePI, qcert.RoleAI, qcert.RoleIC},
}

func fzQCStatementSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	var seeds [][]byte
	for _, typ := range []qcert.QcType{"", qcert.QcTypeESign, qcert.QcTypeESeal, qcert.QcTypeWeb} {
		for _, roles := range fzRoleSets {
			for _, wrap := range []bool{false, true} {
				spec := qcert.StatementsSpec{Type: typ, Roles: roles, NCAName: "Finnish Financial Supervisory Authority", NCAID: "FI-FINFSA", NoPSD2Wrap: wrap}
				b, err := qcert.MarshalQCStatements(spec)
				if err != nil {
					tb.Fatalf("MarshalQCStatements(%+v): %v", spec, err)
				}
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

func FuzzParseQCStatements(f *testing.F) {
	for _, s := range fzQCStatementSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		q, err := qcert.ParseQCStatements(der)
		if err != nil {
			return
		}
		if q == nil {
			t.Fatal("nil statements without an error")
		}
		for _, r := range qcert.Roles {
			q.HasRole(r)
		}
		q.HasType(qcert.QcTypeWeb)
		if q.PSD2 == nil || len(q.PSD2.Roles) == 0 {
			return
		}
		var roles []qcert.Role
		for _, r := range q.PSD2.Roles {
			if r.Known == "" {
				return // an unknown role OID cannot be written by MarshalQCStatements
			}
			roles = append(roles, r.Known)
		}
		spec := qcert.StatementsSpec{Roles: roles, NCAName: q.PSD2.NCAName, NCAID: q.PSD2.NCAID}
		b, err := qcert.MarshalQCStatements(spec)
		if err != nil {
			if utf8.ValidString(spec.NCAName) && utf8.ValidString(spec.NCAID) {
				t.Fatalf("re-marshalling parsed statement %+v: %v", spec, err)
			}
			return // a T61String with invalid UTF-8 cannot be written as a UTF8String
		}
		q2, err := qcert.ParseQCStatements(b)
		if err != nil {
			t.Fatalf("re-marshalled statements do not parse: %v", err)
		}
		if q2.PSD2 == nil {
			t.Fatalf("re-marshalled statements lost the PSD2 statement: %+v", q2)
		}
		var roles2 []qcert.Role
		for _, r := range q2.PSD2.Roles {
			roles2 = append(roles2, r.Known)
		}
		if !slices.Equal(roles, roles2) || q2.PSD2.NCAName != spec.NCAName || q2.PSD2.NCAID != spec.NCAID {
			t.Fatalf("round trip changed the PSD2 statement:\n got roles %v nca %q/%q\nwant roles %v nca %q/%q",
				roles2, q2.PSD2.NCAName, q2.PSD2.NCAID, roles, spec.NCAName, spec.NCAID)
		}
		for _, r := range roles {
			if !q2.HasRole(r) {
				t.Fatalf("HasRole(%s) false after the round trip", r)
			}
		}
	})
}

var (
	fzKeyOnce sync.Once
	fzKey     *rsa.PrivateKey
)

func fzKeyGen(int) (*rsa.PrivateKey, error) {
	var err error
	fzKeyOnce.Do(func() { fzKey, err = rsa.GenerateKey(rand.Reader, 2048) })
	return fzKey, err
}

func FuzzInspect(f *testing.F) {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, KeyGen: fzKeyGen})
	if err != nil {
		f.Fatal(err)
	}
	for _, is := range []*qcert.Issued{set.CA, set.QWAC, set.QSeal, set.Server} {
		f.Add(is.Cert.Raw)
	}
	f.Add([]byte{0x30, 0x00})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		if r := qcert.Inspect(c, now); r == nil {
			t.Fatal("Inspect returned nil for a parsed certificate")
		}
		_, _ = qcert.FromCertificate(c)
		_ = qcert.OrganizationIdentifier(c)
		qcert.KeyInfo(c)
	})
}
