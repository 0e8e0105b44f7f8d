package sandbox

import (
	"testing"
	"time"
)

func TestStorePrunesWhatCanNoLongerBeUsed(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st := newStore()
	st.tokens["live"] = &token{value: "live", expires: now.Add(time.Hour)}
	st.tokens["dead"] = &token{value: "dead", expires: now.Add(-time.Second)}
	st.codes["recent"] = &authCode{value: "recent", expires: now.Add(-time.Minute)} // kept: reuse still detected
	st.codes["old"] = &authCode{value: "old", expires: now.Add(-codeRetention - time.Minute)}
	st.sessions["gone"] = &authSession{id: "gone", expires: now.Add(-time.Second)}
	st.consents["valid"] = &Consent{ID: "valid", Status: StatusValid, ValidUntil: now.AddDate(0, 0, 30)}
	st.consents["deleted-now"] = &Consent{ID: "deleted-now", Status: StatusTerminatedByTpp, LastAction: now.Add(-time.Hour)}
	st.consents["deleted-long-ago"] = &Consent{ID: "deleted-long-ago", Status: StatusTerminatedByTpp, LastAction: now.Add(-consentRetention - time.Hour)}
	st.consents["valid-but-expired"] = &Consent{ID: "valid-but-expired", Status: StatusValid, ValidUntil: now.AddDate(0, 0, -3)}

	st.prune(now)
	for _, k := range []string{"live"} {
		if st.tokens[k] == nil {
			t.Errorf("token %s pruned", k)
		}
	}
	if st.tokens["dead"] != nil || st.codes["old"] != nil || st.sessions["gone"] != nil {
		t.Error("expired token, old code or expired session kept")
	}
	if st.codes["recent"] == nil {
		t.Error("a just-expired code was pruned: its reuse could no longer be told apart from an unknown code")
	}
	for k, want := range map[string]bool{"valid": true, "deleted-now": true, "deleted-long-ago": false, "valid-but-expired": false} {
		if (st.consents[k] != nil) != want {
			t.Errorf("consent %s kept = %v; want %v", k, st.consents[k] != nil, want)
		}
	}
	// At most once a minute.
	st.tokens["dead2"] = &token{value: "dead2", expires: now.Add(-time.Second)}
	st.prune(now.Add(30 * time.Second))
	if st.tokens["dead2"] == nil {
		t.Error("pruned twice within a minute")
	}
	st.prune(now.Add(2 * time.Minute))
	if st.tokens["dead2"] != nil {
		t.Error("not pruned after a minute")
	}
}
