package sandbox

import (
	"strconv"
	"strings"
)

// AcceptsJSON reports whether an Accept header value (RFC 9110 section
// 12.5.1; several header lines joined with commas) admits
// application/json: absent or empty, application/json, application/* or
// */* with a non-zero q-value, the most specific matching range deciding
// (so "application/json;q=0, */*" refuses JSON, as RFC 9110 says).
// Parameters other than q are ignored; a range that is not type/subtype,
// or whose q is not a number between 0 and 1, is skipped.
func AcceptsJSON(accept string) bool {
	if strings.TrimSpace(accept) == "" {
		return true
	}
	best, bestQ := 0, 0.0 // specificity of the deciding range: 3 json, 2 application/*, 1 */*
	for _, rng := range strings.Split(accept, ",") {
		params := strings.Split(rng, ";")
		typ, sub, ok := strings.Cut(strings.ToLower(strings.TrimSpace(params[0])), "/")
		if !ok || typ == "" || sub == "" {
			continue
		}
		spec := 0
		switch {
		case typ == "application" && sub == "json":
			spec = 3
		case typ == "application" && sub == "*":
			spec = 2
		case typ == "*" && sub == "*":
			spec = 1
		default:
			continue
		}
		q := 1.0
		valid := true
		for _, p := range params[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 || len(strings.TrimSpace(v)) > 5 {
				valid = false
				break
			}
			q = f
		}
		if valid && (spec > best || spec == best && q > bestQ) {
			best, bestQ = spec, q
		}
	}
	return bestQ > 0
}
