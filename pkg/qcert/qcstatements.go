package qcert

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"
)

// OIDs from ETSI EN 319 412-5 and ETSI TS 119 495.
var (
	OIDQCStatements   = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 3}
	OIDQcCompliance   = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 1}
	OIDQcType         = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6}
	OIDQcTypeESign    = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6, 1}
	OIDQcTypeESeal    = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6, 2}
	OIDQcTypeWeb      = asn1.ObjectIdentifier{0, 4, 0, 1862, 1, 6, 3}
	OIDPSD2Statement  = asn1.ObjectIdentifier{0, 4, 0, 19495, 2}
	OIDOrganizationID = asn1.ObjectIdentifier{2, 5, 4, 97}
)

// Role is a PSP role of ETSI TS 119 495.
type Role string

const (
	RoleAS Role = "PSP_AS" // account servicing
	RolePI Role = "PSP_PI" // payment initiation
	RoleAI Role = "PSP_AI" // account information
	RoleIC Role = "PSP_IC" // issuing of card-based payment instruments
)

// Roles lists the roles in the standard's order.
var Roles = []Role{RoleAS, RolePI, RoleAI, RoleIC}

var roleOIDs = map[Role]asn1.ObjectIdentifier{
	RoleAS: {0, 4, 0, 19495, 1, 1},
	RolePI: {0, 4, 0, 19495, 1, 2},
	RoleAI: {0, 4, 0, 19495, 1, 3},
	RoleIC: {0, 4, 0, 19495, 1, 4},
}

// OID returns the role's object identifier.
func (r Role) OID() asn1.ObjectIdentifier { return roleOIDs[r] }

// ParseRoles reads a comma-separated role list ("PSP_AI,PSP_PI"; "AI" and
// lower case are accepted too).
func ParseRoles(s string) ([]Role, error) {
	var out []Role
	for _, p := range strings.Split(s, ",") {
		given := strings.TrimSpace(p)
		p = strings.ToUpper(given)
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "PSP_") {
			p = "PSP_" + p
		}
		r := Role(p)
		if _, ok := roleOIDs[r]; !ok {
			return nil, fmt.Errorf("unknown PSP role %q (want PSP_AS, PSP_PI, PSP_AI or PSP_IC)", given)
		}
		for _, have := range out {
			if have == r {
				return nil, fmt.Errorf("role %s given twice", r)
			}
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PSP role given")
	}
	return out, nil
}

// QcType names the type statement values.
type QcType string

const (
	QcTypeESign QcType = "esign"
	QcTypeESeal QcType = "eseal"
	QcTypeWeb   QcType = "web"
)

// PSD2Statement is the PSD2 QCStatement of ETSI TS 119 495.
type PSD2Statement struct {
	Roles   []PSPRole `json:"roles"`
	NCAName string    `json:"nca_name"`
	NCAID   string    `json:"nca_id"`
}

// PSPRole is one RoleOfPSP as found in a certificate.
type PSPRole struct {
	OID  string `json:"oid"`
	Name string `json:"name"`
	// Known is the role the OID stands for, "" for an unknown OID.
	Known Role `json:"known,omitempty"`
}

// QCStatements is the decoded qcStatements extension.
type QCStatements struct {
	Compliance bool           `json:"qc_compliance"`
	Types      []QcType       `json:"qc_types,omitempty"`
	PSD2       *PSD2Statement `json:"psd2,omitempty"`
	Other      []string       `json:"other_statements,omitempty"`
	// Problems are deviations from the standard found while decoding.
	Problems []string `json:"problems,omitempty"`
}

// HasRole reports whether the PSD2 statement grants r.
func (q *QCStatements) HasRole(r Role) bool {
	if q == nil || q.PSD2 == nil {
		return false
	}
	for _, pr := range q.PSD2.Roles {
		if pr.Known == r {
			return true
		}
	}
	return false
}

// HasType reports whether QcType includes t.
func (q *QCStatements) HasType(t QcType) bool {
	if q == nil {
		return false
	}
	for _, x := range q.Types {
		if x == t {
			return true
		}
	}
	return false
}

type roleOfPSP struct {
	OID  asn1.ObjectIdentifier
	Name string `asn1:"utf8"`
}

type psd2Info struct {
	Roles   []roleOfPSP
	NCAName string `asn1:"utf8"`
	NCAID   string `asn1:"utf8"`
}

// StatementsSpec is what MarshalQCStatements writes.
type StatementsSpec struct {
	Type    QcType
	Roles   []Role
	NCAName string
	NCAID   string
	// NoPSD2Wrap writes the PSD2 statement's fields without their enclosing
	// SEQUENCE, the known generator bug, for negative tests.
	NoPSD2Wrap bool
}

// MarshalQCStatements encodes QcCompliance, QcType and the PSD2 statement.
func MarshalQCStatements(s StatementsSpec) ([]byte, error) {
	var parts [][]byte
	comp, err := asn1.Marshal(struct{ ID asn1.ObjectIdentifier }{OIDQcCompliance})
	if err != nil {
		return nil, err
	}
	parts = append(parts, comp)
	if s.Type != "" {
		oid := map[QcType]asn1.ObjectIdentifier{QcTypeESign: OIDQcTypeESign, QcTypeESeal: OIDQcTypeESeal, QcTypeWeb: OIDQcTypeWeb}[s.Type]
		if oid == nil {
			return nil, fmt.Errorf("unknown QcType %q", s.Type)
		}
		t, err := asn1.Marshal(struct {
			ID    asn1.ObjectIdentifier
			Types []asn1.ObjectIdentifier
		}{OIDQcType, []asn1.ObjectIdentifier{oid}})
		if err != nil {
			return nil, err
		}
		parts = append(parts, t)
	}
	if len(s.Roles) > 0 || s.NCAID != "" {
		info := psd2Info{NCAName: s.NCAName, NCAID: s.NCAID}
		for _, r := range s.Roles {
			info.Roles = append(info.Roles, roleOfPSP{OID: r.OID(), Name: string(r)})
		}
		ib, err := asn1.Marshal(info)
		if err != nil {
			return nil, err
		}
		if s.NoPSD2Wrap {
			// Strip the outer SEQUENCE header and emit its contents as the info.
			var raw asn1.RawValue
			if _, err := asn1.Unmarshal(ib, &raw); err != nil {
				return nil, err
			}
			ib = raw.Bytes
		}
		oidb, err := asn1.Marshal(OIDPSD2Statement)
		if err != nil {
			return nil, err
		}
		p, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: append(oidb, ib...)})
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}

// ParseQCStatements decodes the extension value, tolerating what real
// generators get wrong and recording it in Problems.
func ParseQCStatements(der []byte) (*QCStatements, error) {
	var sts []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &sts)
	if err != nil {
		return nil, fmt.Errorf("qcStatements is not a SEQUENCE OF QCStatement: %v", err)
	}
	q := &QCStatements{}
	if len(rest) > 0 {
		q.Problems = append(q.Problems, "trailing bytes after qcStatements")
	}
	for _, raw := range sts {
		var id asn1.ObjectIdentifier
		info, err := asn1.Unmarshal(raw.Bytes, &id)
		if err != nil {
			q.Problems = append(q.Problems, "a statement without a statementId OID")
			continue
		}
		switch {
		case id.Equal(OIDQcCompliance):
			q.Compliance = true
		case id.Equal(OIDQcType):
			var types []asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(info, &types); err != nil {
				q.Problems = append(q.Problems, "QcType statement has no SEQUENCE OF OID")
				continue
			}
			for _, t := range types {
				switch {
				case t.Equal(OIDQcTypeESign):
					q.Types = append(q.Types, QcTypeESign)
				case t.Equal(OIDQcTypeESeal):
					q.Types = append(q.Types, QcTypeESeal)
				case t.Equal(OIDQcTypeWeb):
					q.Types = append(q.Types, QcTypeWeb)
				default:
					q.Types = append(q.Types, QcType(t.String()))
				}
			}
		case id.Equal(OIDPSD2Statement):
			q.PSD2 = parsePSD2(info, q)
		default:
			q.Other = append(q.Other, id.String())
		}
	}
	return q, nil
}

func parsePSD2(info []byte, q *QCStatements) *PSD2Statement {
	var pi psd2Info
	if rest, err := asn1.Unmarshal(info, &pi); err == nil && len(rest) == 0 {
		return toStatement(pi)
	}
	// The known generator bug: rolesOfPSP, nCAName and nCAId written directly
	// into the statement without their SEQUENCE.
	wrapped, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: info})
	if err == nil {
		if rest, err := asn1.Unmarshal(wrapped, &pi); err == nil && len(rest) == 0 {
			q.Problems = append(q.Problems, "PSD2 statement fields are not wrapped in a SEQUENCE (ETSI TS 119 495 requires PSD2QcType ::= SEQUENCE)")
			return toStatement(pi)
		}
	}
	q.Problems = append(q.Problems, "PSD2 statement cannot be decoded as SEQUENCE { rolesOfPSP, nCAName, nCAId }")
	return nil
}

func toStatement(pi psd2Info) *PSD2Statement {
	st := &PSD2Statement{NCAName: pi.NCAName, NCAID: pi.NCAID}
	for _, r := range pi.Roles {
		pr := PSPRole{OID: r.OID.String(), Name: r.Name}
		for role, oid := range roleOIDs {
			if oid.Equal(r.OID) {
				pr.Known = role
			}
		}
		st.Roles = append(st.Roles, pr)
	}
	return st
}

// FromCertificate decodes a certificate's qcStatements; nil when it has none.
func FromCertificate(c *x509.Certificate) (*QCStatements, error) {
	for _, e := range c.Extensions {
		if e.Id.Equal(OIDQCStatements) {
			return ParseQCStatements(e.Value)
		}
	}
	return nil, nil
}

// OrganizationIdentifier returns the subject's organizationIdentifier (2.5.4.97).
func OrganizationIdentifier(c *x509.Certificate) string {
	for _, n := range c.Subject.Names {
		if n.Type.Equal(OIDOrganizationID) {
			return fmt.Sprint(n.Value)
		}
	}
	return ""
}
