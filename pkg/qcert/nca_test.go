package qcert

import (
	"regexp"
	"strings"
	"testing"
)

func TestNCAMismatch(t *testing.T) {
	for _, c := range []struct {
		subjectC, orgID, ncaID, want string
	}{
		{"FI", "PSDFI-FINFSA-1", "FI-FINFSA", ""},
		{"SE", "PSDSE-FINA-44059", "SE-FINA", ""},
		{"DE", "PSDDE-XY1-1", "DE-XY1", ""}, // not a known NCA: taken as given
		{"SE", "PSDSE-FINFSA-1", "SE-FINFSA", "NCA FINFSA is FI's (FI-FINFSA, Finnish Financial Supervisory Authority), not SE's"},
		{"SE", "PSDSE-FINA-1", "FI-FINFSA", `organizationIdentifier "PSDSE-FINA-1" names NCA SE-FINA but the PSD2 statement names "FI-FINFSA"`},
		{"SE", "PSDFI-FINFSA-1", "FI-FINFSA", "subject country SE but the NCA in organizationIdentifier"},
		{"", "", "SE-FINFSA", "NCA FINFSA is FI's"},
		// One abbreviation, two countries: each is its own.
		{"AT", "PSDAT-FMA-1", "AT-FMA", ""},
		{"LI", "PSDLI-FMA-1", "LI-FMA", ""},
		{"DE", "PSDDE-FMA-1", "DE-FMA", "NCA FMA is AT's"},
	} {
		got := NCAMismatch(c.subjectC, c.orgID, c.ncaID)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("NCAMismatch(%q, %q, %q) = %q, want %q", c.subjectC, c.orgID, c.ncaID, got, c.want)
		}
	}
}

func TestSplitNCAID(t *testing.T) {
	for in, want := range map[string][2]string{"FI-FINFSA": {"FI", "FINFSA"}, "se-fina": {"SE", "FINA"}, "BAFIN": {"", "BAFIN"}, " DE-BAFIN ": {"DE", "BAFIN"}} {
		if c, id := SplitNCAID(in); c != want[0] || id != want[1] {
			t.Errorf("SplitNCAID(%q) = %q, %q", in, c, id)
		}
	}
}

// The table holds one NCA per country, in the nCAId form's rules (2 to 8
// letters or digits), and an ID two countries share is told apart by the
// country.
func TestKnownNCAs(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range KnownNCAs {
		if seen[n.Country] || !regexp.MustCompile(`^[A-Z]{2}$`).MatchString(n.Country) || !regexp.MustCompile(`^[A-Z0-9]{2,8}$`).MatchString(n.ID) || n.Name == "" {
			t.Errorf("KnownNCAs: %+v", n)
		}
		seen[n.Country] = true
		if got, ok, _ := NCAByID(n.Country, n.ID); !ok || got != n {
			t.Errorf("NCAByID(%s, %s) = %+v, %v", n.Country, n.ID, got, ok)
		}
	}
}
