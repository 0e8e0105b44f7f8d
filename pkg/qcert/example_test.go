package qcert_test

import (
	"crypto/x509"
	"fmt"
	"log"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/qcert"
)

// Generate a test set (CA, QWAC, QSealC, server certificate) and read back
// what a bank reads from the QSealC: the organizationIdentifier and the PSD2
// QCStatement with its roles.
func ExampleGenerateSet() {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("subject:", set.QSeal.Cert.Subject.Organization[0])
	fmt.Println("organizationIdentifier:", qcert.OrganizationIdentifier(set.QSeal.Cert))

	qc, err := qcert.FromCertificate(set.QSeal.Cert)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("qcTypes:", qc.Types, "NCA:", qc.PSD2.NCAID)
	for _, r := range qc.PSD2.Roles {
		fmt.Println("role:", r.Name)
	}
	// Output:
	// subject: Example TPP Oy
	// organizationIdentifier: PSDFI-FINFSA-1234567-8
	// qcTypes: [eseal] NCA: FI-FINFSA
	// role: PSP_AI
}

// Check is the readiness check a TPP runs before going live: here the
// generated pair passes once the test CA is trusted.
func ExampleCheck() {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg})
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(set.CA.Cert)
	problems := qcert.Check(qcert.CheckInput{
		QWAC: set.QWACChain(), QSeal: []*x509.Certificate{set.QSeal.Cert},
		QWACKey: set.QWAC.Key, QSealKey: set.QSeal.Key,
		Roots: roots, Service: "ais", Now: time.Now(),
	})
	fmt.Println("problems:", len(problems))
	// Output:
	// problems: 0
}

// The same check on a set built with a defect: certificates without the
// PSP_AI role, which an AIS bank refuses with ROLE_INVALID.
func ExampleCheck_defect() {
	set, err := qcert.GenerateSet(qcert.Options{Org: qcert.DefaultOrg, Break: qcert.DefectNoPSPAI})
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(set.CA.Cert)
	for _, p := range qcert.Check(qcert.CheckInput{
		QWAC: set.QWACChain(), QSeal: []*x509.Certificate{set.QSeal.Cert},
		Roots: roots, Service: "ais", Now: time.Now(),
	}) {
		fmt.Println(p.Cert, p.Code)
	}
	// Output:
	// qwac ROLE_INVALID
	// qseal ROLE_INVALID
}
