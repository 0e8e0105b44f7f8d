package qcert

import (
	"fmt"
	"regexp"
	"strings"
)

// NCA is a national competent authority as PSD2 certificates name it: the
// nCAId of ETSI TS 119 495 ("SE-FINA": country, hyphen, 2 to 8 letters)
// and its name.
type NCA struct {
	Country, ID, Name string
}

// NCAIdentifier is the nCAId form, country + "-" + ID.
func (n NCA) NCAIdentifier() string { return n.Country + "-" + n.ID }

// KnownNCAs are the NCA identifiers QTSPs write for the authorities whose
// TPPs are most often tested against (the form of the EBA register, as in
// ETSI TS 119 495's examples): what `certs generate --country` takes its
// default NCA from, and what `certs check` holds an NCA's country to. An
// NCA not listed is taken as given.
var KnownNCAs = []NCA{
	{"AT", "FMA", "Austrian Financial Market Authority"},
	{"BE", "NBB", "National Bank of Belgium"},
	{"BG", "BNB", "Bulgarian National Bank"},
	{"CY", "CBC", "Central Bank of Cyprus"},
	{"CZ", "CNB", "Czech National Bank"},
	{"DE", "BAFIN", "Federal Financial Supervisory Authority"},
	{"DK", "DFSA", "Danish Financial Supervisory Authority"},
	{"EE", "FI", "Estonian Financial Supervision Authority"},
	{"ES", "BE", "Bank of Spain"},
	{"FI", "FINFSA", "Finnish Financial Supervisory Authority"},
	{"FR", "ACPR", "Prudential Supervision and Resolution Authority"},
	{"GB", "FCA", "Financial Conduct Authority"},
	{"GR", "BOG", "Bank of Greece"},
	{"HR", "HNB", "Croatian National Bank"},
	{"HU", "CBH", "Central Bank of Hungary"},
	{"IE", "CBI", "Central Bank of Ireland"},
	{"IS", "FME", "Financial Supervisory Authority of Iceland"},
	{"IT", "BI", "Bank of Italy"},
	{"LI", "FMA", "Financial Market Authority Liechtenstein"},
	{"LT", "BL", "Bank of Lithuania"},
	{"LU", "CSSF", "Commission de Surveillance du Secteur Financier"},
	{"LV", "FCMC", "Financial and Capital Market Commission"},
	{"MT", "MFSA", "Malta Financial Services Authority"},
	{"NL", "DNB", "De Nederlandsche Bank"},
	{"NO", "FSA", "Financial Supervisory Authority of Norway"},
	{"PL", "PFSA", "Polish Financial Supervision Authority"},
	{"PT", "BP", "Bank of Portugal"},
	{"RO", "NBR", "National Bank of Romania"},
	{"SE", "FINA", "Finansinspektionen"},
	{"SI", "BS", "Bank of Slovenia"},
	{"SK", "NBS", "National Bank of Slovakia"},
}

// NCAOfCountry is the known NCA of country.
func NCAOfCountry(country string) (NCA, bool) {
	for _, n := range KnownNCAs {
		if n.Country == country {
			return n, true
		}
	}
	return NCA{}, false
}

// NCAByID is the known NCA of country whose ID (without country) is id;
// when country has none of that ID, other is one of another country that
// has it (FMA is Austria's and Liechtenstein's), so a caller can say whose
// it is.
func NCAByID(country, id string) (n NCA, ok bool, other *NCA) {
	for _, k := range KnownNCAs {
		if k.ID != id {
			continue
		}
		if k.Country == country {
			return k, true, nil
		}
		if other == nil {
			k := k
			other = &k
		}
	}
	return NCA{}, false, other
}

var ncaIDFormRE = regexp.MustCompile(`^([A-Z]{2})-(.+)$`)

// SplitNCAID takes an NCA as given: the nCAId form "FI-FINFSA" (what
// `certs inspect` prints) or the bare "FINFSA"; country is "" for the
// bare form. It upper-cases both.
func SplitNCAID(s string) (country, id string) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if m := ncaIDFormRE.FindStringSubmatch(s); m != nil {
		return m[1], m[2]
	}
	return "", s
}

// NCAMismatch says how the country and the NCA of a certificate disagree,
// "" when they do not: subject C, the organizationIdentifier's
// PSD<country>-<NCA>, the PSD2 statement's nCAId, and the country a known
// NCA belongs to must all be one.
func NCAMismatch(subjectC, orgID, statementNCAID string) string {
	var orgC, orgNCA string
	if m := orgIDPartsRE.FindStringSubmatch(orgID); m != nil {
		orgC, orgNCA = m[1], m[2]
	}
	stC, stNCA := SplitNCAID(statementNCAID)
	switch {
	case orgC != "" && statementNCAID != "" && (orgC != stC || orgNCA != stNCA):
		return fmt.Sprintf("organizationIdentifier %q names NCA %s-%s but the PSD2 statement names %q", orgID, orgC, orgNCA, statementNCAID)
	case orgC != "" && subjectC != "" && orgC != subjectC:
		return fmt.Sprintf("subject country %s but the NCA in organizationIdentifier %q is %s's (the TPP is authorised in its home country)", subjectC, orgID, orgC)
	}
	country, id := orgC, orgNCA
	if country == "" {
		country, id = stC, stNCA
	}
	if _, ok, n := NCAByID(country, id); !ok && n != nil && country != "" {
		return fmt.Sprintf("NCA %s is %s's (%s, %s), not %s's: give the NCA of %s (certs generate --nca-id)", id, n.Country, n.NCAIdentifier(), n.Name, country, country)
	}
	return ""
}

var orgIDPartsRE = regexp.MustCompile(`^PSD([A-Z]{2})-([A-Z0-9]{2,8})-`)
