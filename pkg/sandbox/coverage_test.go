package sandbox

// The coverage rule of the strict bank: every operation the official file
// tags "Account Information Service (AIS)" (17 in 1.3.12), and the PIIS's
// checkAvailabilityOfFunds, gets a 2xx from
// the sandbox in some test of this package, through a specRig, so that its
// answer was validated against the file; so does every PIS operation it
// serves (servedPIS). TestMain checks it after a whole
// run of the package (not when -run picks tests, not when the file is
// absent and the rigs skipped).

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/xs2a-dev/xs2a/pkg/spec"
)

// servedPIS are the operations of the file's "Payment Initiation Service
// (PIS)" tag the sandbox serves (payments.go): each must get a validated
// 2xx too. Not served: updatePaymentPsuData and
// updatePaymentCancellationPsuData (the PSU authorises on the bank's
// OAuth2 pages, as for consents).
var servedPIS = []string{"initiatePayment", "getPaymentInformation", "cancelPayment", "getPaymentInitiationStatus",
	"startPaymentAuthorisation", "getPaymentInitiationAuthorisation", "getPaymentInitiationScaStatus",
	"startPaymentInitiationCancellationAuthorisation", "getPaymentInitiationCancellationAuthorisationInformation", "getPaymentCancellationScaStatus"}

// specCoverage is what the rigs of this run saw: operationIds with a
// validated 2xx answer, and the file's AIS operations.
var specCoverage struct {
	mu   sync.Mutex
	ok   map[string]bool
	ais  map[string]string // operationId → "GET /v1/accounts"
	used bool
}

// coverOperation notes a 2xx answer of op, and the file's AIS operations
// the first time.
func coverOperation(doc *openapi3.T, opID string) {
	specCoverage.mu.Lock()
	defer specCoverage.mu.Unlock()
	if specCoverage.ais == nil {
		specCoverage.ais, specCoverage.ok = spec.AISOperations(doc), map[string]bool{}
		// The PIIS's one operation is served too, so it is held to the
		// same rule.
		specCoverage.ais["checkAvailabilityOfFunds"] = "POST /v1/funds-confirmations"
		pis := taggedOperations(doc, "Payment Initiation Service (PIS)")
		for _, id := range servedPIS {
			op, ok := pis[id]
			if !ok {
				op = "not a PIS operation of the file"
			}
			specCoverage.ais[id] = op
		}
	}
	specCoverage.used = true
	if opID != "" {
		specCoverage.ok[opID] = true
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := aisCoverage(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// taggedOperations are the file's operations under tag, operationId →
// "METHOD path".
func taggedOperations(doc *openapi3.T, tag string) map[string]string {
	ops := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if slices.Contains(op.Tags, tag) {
				ops[op.OperationID] = method + " " + path
			}
		}
	}
	return ops
}

// aisCoverage reports the AIS operations, and the PIS ones served, no
// test got a 2xx from.
func aisCoverage() error {
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		return nil
	}
	specCoverage.mu.Lock()
	defer specCoverage.mu.Unlock()
	if !specCoverage.used {
		return nil // no rig ran: the file is absent and the tests skipped
	}
	var missing []string
	for id, op := range specCoverage.ais {
		if !specCoverage.ok[id] {
			missing = append(missing, op+" ("+id+")")
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("FAIL: AIS/PIS coverage: %d of the file's %d AIS operations and the PIS ones served got no validated 2xx from the sandbox in any test: %v",
		len(missing), len(specCoverage.ais), missing)
}

// cover notes ex's operation as answered 2xx, for steps that validate in
// their own way (stepOneOf: the file's oneOf bodies no answer can match
// unambiguously) and found nothing wrong.
func (c *specChecker) cover(ex exchange) {
	if ex.status/100 != 2 {
		return
	}
	if res := c.Check(spec.Exchange{Request: ex.req, Body: ex.reqBody}); res.Operation != "" {
		coverOperation(c.Doc, res.Operation)
	}
}
