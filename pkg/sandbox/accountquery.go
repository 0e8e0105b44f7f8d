package sandbox

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/text"
)

// declaredQuery lists the query parameters the Berlin Group OpenAPI file
// 1.3.12 declares, keyed by the file's path of the operation; every
// operation not listed declares none (consents, payments, funds
// confirmation, signing baskets: the file has query parameters on the
// account reads alone). GET /v1/card-accounts, its /{account-id} and
// /balances declare none: withBalance, which the file declares for payment
// accounts ("might be ignored by the ASPSP"), is not a parameter of the
// card paths, whose balances come with the consent (cardAccountList's
// example carries them without it). `page` is the sandbox's own paging
// parameter, sent back only as the bank gave it in its _links (the file
// leaves the link's form to the ASPSP).
var declaredQuery = map[string]map[string]bool{
	"/v1/card-accounts/{account-id}/transactions": {"dateFrom": true, "dateTo": true, "entryReferenceFrom": true, "bookingStatus": true, "deltaList": true, "page": true},
	// Without this check a `page` parameter on a path without pages was
	// taken for a later page of a report, which counts no access
	// (consentrules.go): balances read without limit.
	"/v1/accounts":                           {"withBalance": true},
	"/v1/accounts/{account-id}":              {"withBalance": true},
	"/v1/accounts/{account-id}/transactions": {"dateFrom": true, "dateTo": true, "entryReferenceFrom": true, "bookingStatus": true, "deltaList": true, "withBalance": true, "page": true},
}

// fileParams are the file's names of the path parameters the routes name
// otherwise; the other names are the same in both.
var fileParams = strings.NewReplacer("{accountId}", "{account-id}", "{paymentProduct}", "{payment-product}")

// operationOf is the file's path of the operation r's route serves
// (the mux's pattern, "GET /v1/accounts/{accountId}", in the file's
// names), "" outside the mux.
func operationOf(r *http.Request) string {
	_, path, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return ""
	}
	return fileParams.Replace(path)
}

// refuseUndeclaredQuery refuses a query parameter the file does not
// declare for the operation the route serves (every one: api), as a
// strict bank validating requests against the file does: 400
// FORMAT_ERROR naming it. Not PARAMETER_NOT_SUPPORTED: the
// Guidelines' message code table keeps that code for parameters the
// specification marks "optional if supported by API provider", and these
// are no parameters of the interface at all. Checked before the consent, so
// a refused call never counts against frequencyPerDay.
func refuseUndeclaredQuery(c *call) *apiError {
	op := operationOf(c.r)
	if op == "" {
		return nil
	}
	q := c.r.URL.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		if !declaredQuery[op][k] {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	name := names[0]
	shown := text.Clip(name, 64)
	why := fmt.Sprintf("query parameter %q is not defined for %s %s (Berlin Group OpenAPI 1.3.12)", shown, c.r.Method, op)
	if name == "withBalance" && strings.HasPrefix(op, "/v1/card-accounts") {
		why += "; card balances come with the consent: they are in the answer when the consent gives balances for the card"
	}
	return reject(http.StatusBadRequest, CodeFormatError, why).withPath(shown)
}
