package sandbox

import "testing"

func TestDuplicateKey(t *testing.T) {
	for body, want := range map[string]string{
		`{"a":1,"b":2}`: "",
		`{"a":1,"a":2}`: "a",
		`{"access":{"allPsd2":"x","allPsd2":"y"}}`:                                                                                       "access.allPsd2",
		`{"access":{"accounts":[{"maskedPan":"1"},{"maskedPan":"2"}]},"x":1}`:                                                            "",
		`{"access":{"accounts":[{"maskedPan":"1","maskedPan":"2"}]}}`:                                                                    "access.accounts.maskedPan",
		`{"recurringIndicator":true,"validUntil":"9999-12-31","frequencyPerDay":1,"combinedServiceIndicator":false,"frequencyPerDay":4}`: "frequencyPerDay",
		`[1,2,{"a":{"b":1},"b":2}]`: "",
	} {
		got, ok := duplicateKey([]byte(body))
		if got != want || ok != (want != "") {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", body, got, ok, want)
		}
	}
}
