package httpsig

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

func TestParseSignatureCases(t *testing.T) {
	type want struct {
		keyID, alg, sig, created, expires string
		headers                           []string
		headersSet                        bool
		order                             []string
		unknown                           map[string]string
	}
	tests := []struct {
		name string
		in   string
		want want
		// For errors: a piece of the message and the offset.
		err    string
		offset int
	}{
		{name: "Berlin Group example, commas in keyId",
			in: `keyId="SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",algorithm="rsa-sha256",headers="Digest X-Request-ID PSU-ID TPP-Redirect-URI Date",signature="Base64(RSA-SHA256(signing string))"`,
			want: want{keyID: "SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE", alg: "rsa-sha256", sig: "Base64(RSA-SHA256(signing string))",
				headers: []string{"Digest", "X-Request-ID", "PSU-ID", "TPP-Redirect-URI", "Date"}, headersSet: true,
				order: []string{"keyId", "algorithm", "headers", "signature"}}},
		{name: "keyId with comma and space before CA",
			in:   `keyId="SN=9FA1, CA=CN=Bank, O=X",signature="c2ln"`,
			want: want{keyID: "SN=9FA1, CA=CN=Bank, O=X", sig: "c2ln", order: []string{"keyId", "signature"}}},
		{name: "spaces around = and ,",
			in: `keyId = "k" , algorithm= rsa-sha256 ,headers =  "x-request-id   digest" ,  signature= "c2ln"`,
			want: want{keyID: "k", alg: "rsa-sha256", sig: "c2ln", headers: []string{"x-request-id", "digest"}, headersSet: true,
				order: []string{"keyId", "algorithm", "headers", "signature"}}},
		{name: "tab after comma",
			in:   "keyId=\"k\",\tsignature=\"c2ln\"",
			want: want{keyID: "k", sig: "c2ln", order: []string{"keyId", "signature"}}},
		{name: "Signature prefix",
			in:   `Signature keyId="k",algorithm="rsa-sha512",signature="c2ln"`,
			want: want{keyID: "k", alg: "rsa-sha512", sig: "c2ln", order: []string{"keyId", "algorithm", "signature"}}},
		{name: "lower-case prefix after spaces",
			in:   `  signature keyId="k",signature="c2ln"`,
			want: want{keyID: "k", sig: "c2ln", order: []string{"keyId", "signature"}}},
		{name: "first parameter signature with a space before =",
			in:   `signature = "c2ln", keyId="k"`,
			want: want{keyID: "k", sig: "c2ln", order: []string{"signature", "keyId"}}},
		{name: "parameter names case-insensitive",
			in:   `KEYID="k",Algorithm="hs2019",SIGNATURE="c2ln"`,
			want: want{keyID: "k", alg: "hs2019", sig: "c2ln", order: []string{"KEYID", "Algorithm", "SIGNATURE"}}},
		{name: "created and expires",
			in: `keyId="rsa-key-1",algorithm="hs2019",created=1402170695,expires=1402170699,headers="(request-target) (created) (expires) host",signature="c2ln"`,
			want: want{keyID: "rsa-key-1", alg: "hs2019", sig: "c2ln", created: "1402170695", expires: "1402170699",
				headers: []string{"(request-target)", "(created)", "(expires)", "host"}, headersSet: true,
				order: []string{"keyId", "algorithm", "created", "expires", "headers", "signature"}}},
		{name: "quoted created",
			in:   `keyId="k",created="1402170695",signature="c2ln"`,
			want: want{keyID: "k", sig: "c2ln", created: "1402170695", order: []string{"keyId", "created", "signature"}}},
		{name: "unquoted signature keeps its padding",
			in:   `keyId=k,signature=YWI=`,
			want: want{keyID: "k", sig: "YWI=", order: []string{"keyId", "signature"}}},
		{name: "escaped quote and backslash",
			in:   `keyId="a\"b\\c",signature="c2ln"`,
			want: want{keyID: `a"b\c`, sig: "c2ln", order: []string{"keyId", "signature"}}},
		{name: "unknown parameter kept",
			in:   `keyId="k",ext="x,y",signature="c2ln"`,
			want: want{keyID: "k", sig: "c2ln", order: []string{"keyId", "ext", "signature"}, unknown: map[string]string{"ext": "x,y"}}},
		{name: "empty keyId is present",
			in:   `keyId="",signature="c2ln"`,
			want: want{sig: "c2ln", order: []string{"keyId", "signature"}}},
		{name: "empty headers parameter",
			in:   `keyId="k",headers="",signature="c2ln"`,
			want: want{keyID: "k", sig: "c2ln", headersSet: true, order: []string{"keyId", "headers", "signature"}}},

		{name: "duplicate parameter", in: `keyId="a",KEYID="b",signature="c2ln"`, err: `parameter "KEYID" appears twice`, offset: 10},
		{name: "unterminated quote", in: `keyId="k",signature="c2ln`, err: `value of "signature" has no closing quote`, offset: 10},
		{name: "missing signature", in: `keyId="k",algorithm="rsa-sha256"`, err: "signature parameter is missing or empty", offset: 0},
		{name: "empty signature", in: `keyId="k",signature=""`, err: "signature parameter is missing or empty", offset: 0},
		{name: "missing keyId", in: `algorithm="rsa-sha256",signature="c2ln"`, err: "keyId parameter is missing", offset: 0},
		{name: "created not a number", in: `keyId="k",created=yesterday,signature="c2ln"`, err: `created="yesterday" is not a Unix time`},
		{name: "expires not a number", in: `keyId="k",expires="1.5",signature="c2ln"`, err: `expires="1.5" is not a Unix time`},
		{name: "parameter without =", in: `keyId,signature="c2ln"`, err: `parameter "keyId" has no '=value'`, offset: 5},
		{name: "leading comma", in: `,keyId="k"`, err: "expected a parameter name", offset: 0},
		{name: "garbage after a value", in: `keyId="k" x,signature="c2ln"`, err: `expected ',' after parameter "keyId"`, offset: 10},
		{name: "empty", in: ``, err: "keyId parameter is missing"},
		{name: "only the scheme", in: `Signature `, err: "keyId parameter is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseSignature(tt.in)
			if tt.err != "" {
				var pe *HeaderParseError
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v (%T); want a *HeaderParseError", err, err)
				}
				if !strings.Contains(pe.Msg, tt.err) {
					t.Errorf("message = %q; want it to contain %q", pe.Msg, tt.err)
				}
				if pe.Offset != tt.offset {
					t.Errorf("offset = %d; want %d", pe.Offset, tt.offset)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tt.want
			if p.KeyID != w.keyID || p.Algorithm != w.alg || p.Signature != w.sig || p.Created != w.created || p.Expires != w.expires {
				t.Errorf("got keyId=%q algorithm=%q signature=%q created=%q expires=%q; want %q %q %q %q %q",
					p.KeyID, p.Algorithm, p.Signature, p.Created, p.Expires, w.keyID, w.alg, w.sig, w.created, w.expires)
			}
			if !slices.Equal(p.Headers, w.headers) || p.HeadersSet != w.headersSet {
				t.Errorf("headers = %q (set %v); want %q (set %v)", p.Headers, p.HeadersSet, w.headers, w.headersSet)
			}
			if !slices.Equal(p.Order, w.order) {
				t.Errorf("order = %q; want %q", p.Order, w.order)
			}
			if len(p.Unknown) != len(w.unknown) {
				t.Errorf("unknown = %v; want %v", p.Unknown, w.unknown)
			}
			for k, v := range w.unknown {
				if p.Unknown[k] != v {
					t.Errorf("unknown[%q] = %q; want %q", k, p.Unknown[k], v)
				}
			}
		})
	}
}

func TestSignedHeadersDefault(t *testing.T) {
	p, err := ParseSignature(`keyId="k",signature="c2ln"`)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.SignedHeaders(); !slices.Equal(got, []string{"date"}) {
		t.Errorf("SignedHeaders() without headers = %q; want [date]", got)
	}
}

func TestParamsString(t *testing.T) {
	tests := []struct {
		p    Params
		want string
	}{
		{Params{KeyID: "SN=1,CA=CN=x", Algorithm: "rsa-sha256", Headers: []string{"x-request-id", "digest"}, HeadersSet: true, Signature: "c2ln"},
			`keyId="SN=1,CA=CN=x",algorithm="rsa-sha256",headers="x-request-id digest",signature="c2ln"`},
		{Params{KeyID: "k", Algorithm: "hs2019", Created: "1402170695", Expires: "1402170699", Signature: "c2ln"},
			`keyId="k",algorithm="hs2019",created=1402170695,expires=1402170699,signature="c2ln"`},
		{Params{KeyID: `a"b\c`, Signature: "s"}, `keyId="a\"b\\c",algorithm="",signature="s"`},
		// Bytes that Go's %q would escape are written as they are.
		{Params{KeyID: "CA=Bank\u00a0für\tTests\x00", Signature: "s"}, "keyId=\"CA=Bank\u00a0für\tTests\x00\",algorithm=\"\",signature=\"s\""},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q; want %q", got, tt.want)
		}
		q, err := ParseSignature(tt.want)
		if err != nil || q.KeyID != tt.p.KeyID || q.Signature != tt.p.Signature {
			t.Errorf("ParseSignature(%q) = %+v, %v; want keyId %q back", tt.want, q, err, tt.p.KeyID)
		}
	}
}

func TestDigestValues(t *testing.T) {
	tests := []struct {
		alg  DigestAlgorithm
		body []byte
		want string
	}{
		{DigestSHA256, nil, "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{DigestSHA256, []byte{}, "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{DigestSHA512, nil, "SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="},
		{DigestSHA256, []byte(`{"hello": "world"}`), "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},
	}
	for _, tt := range tests {
		if got := Digest(tt.alg, tt.body); got != tt.want {
			t.Errorf("Digest(%s, %q) = %q; want %q", tt.alg, tt.body, got, tt.want)
		}
	}
}

func TestParseDigestCases(t *testing.T) {
	tests := []struct {
		in   string
		want []DigestValue
		err  string
	}{
		{in: "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
			want: []DigestValue{{"SHA-256", "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="}}},
		{in: "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=, SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
			want: []DigestValue{{"SHA-256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}, {"SHA-512", "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="}}},
		{in: " sha-256=a=b ,, MD5=c ", want: []DigestValue{{"sha-256", "a=b"}, {"MD5", "c"}}},
		{in: "", err: "digest header is empty"},
		{in: " , ", err: "digest header is empty"},
		{in: "SHA-256", err: `digest entry "SHA-256" is not "ALGORITHM=base64"`},
		{in: "=abc", err: `digest entry "=abc" is not`},
		{in: "SHA-256=", err: `digest entry "SHA-256=" is not`},
		{in: "SHA-256=abc, MD5", err: `digest entry "MD5" is not`},
	}
	for _, tt := range tests {
		got, err := ParseDigest(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDigest(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseDigest(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseDigestAlgorithmCases(t *testing.T) {
	for in, want := range map[string]DigestAlgorithm{"SHA-256": DigestSHA256, "sha256": DigestSHA256, " Sha-512 ": DigestSHA512, "SHA512": DigestSHA512} {
		if got, err := ParseDigestAlgorithm(in); err != nil || got != want {
			t.Errorf("ParseDigestAlgorithm(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "SHA-1", "MD5", "SHA-384"} {
		if got, err := ParseDigestAlgorithm(in); err == nil || !strings.Contains(err.Error(), "unknown digest algorithm") {
			t.Errorf("ParseDigestAlgorithm(%q) = %q, %v; want an unknown-algorithm error", in, got, err)
		}
	}
}

func TestSigningStringCases(t *testing.T) {
	draft := &httpmsg.Request{Method: "POST", Target: "/foo?param=value&pet=dog", Header: []httpmsg.Field{
		{Name: "Host", Value: "example.com"},
		{Name: "Date", Value: "Sun, 05 Jan 2014 21:31:40 GMT"},
		{Name: "Content-Type", Value: "application/json"},
		{Name: "Digest", Value: "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="},
		{Name: "Content-Length", Value: "18"},
	}}
	repeated := &httpmsg.Request{Method: "GET", Target: "/", Header: []httpmsg.Field{
		{Name: "Cache-Control", Value: "max-age=60"},
		{Name: "X-Empty", Value: ""},
		{Name: "cache-control", Value: "must-revalidate"},
		{Name: "X-Spaced", Value: "  v  "},
	}}
	absolute := &httpmsg.Request{Method: "GET", Target: "https://api.example.com/v1/accounts?withBalance=true"}
	bare := &httpmsg.Request{Method: "DELETE", Target: "https://api.example.com"}
	tests := []struct {
		name    string
		m       *httpmsg.Request
		headers []string
		p       *Params
		want    string
		missing string
	}{
		{name: "draft basic test", m: draft, headers: []string{"(request-target)", "host", "date"},
			want: "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"},
		{name: "draft all headers", m: draft, headers: []string{"(request-target)", "host", "date", "content-type", "digest", "content-length"},
			want: "(request-target): post /foo?param=value&pet=dog\nhost: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT\ncontent-type: application/json\n" +
				"digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\ncontent-length: 18"},
		{name: "list names in any case are lowered", m: draft, headers: []string{"Host", "DATE"},
			want: "host: example.com\ndate: Sun, 05 Jan 2014 21:31:40 GMT"},
		{name: "repeated header joined with comma space", m: repeated, headers: []string{"cache-control"},
			want: "cache-control: max-age=60, must-revalidate"},
		{name: "empty value", m: repeated, headers: []string{"x-empty"}, want: "x-empty: "},
		{name: "value trimmed", m: repeated, headers: []string{"x-spaced"}, want: "x-spaced: v"},
		{name: "absolute-form target", m: absolute, headers: []string{"(request-target)"},
			want: "(request-target): get /v1/accounts?withBalance=true"},
		{name: "absolute-form target without path", m: bare, headers: []string{"(request-target)"},
			want: "(request-target): delete /"},
		{name: "created and expires", m: draft, headers: []string{"(created)", "(expires)", "host"},
			p:    &Params{Created: "1402170695", Expires: "1402170699"},
			want: "(created): 1402170695\n(expires): 1402170699\nhost: example.com"},
		{name: "missing header", m: draft, headers: []string{"host", "X-Request-ID"}, missing: "x-request-id"},
		{name: "created without parameter", m: draft, headers: []string{"(created)"}, missing: "(created)"},
		{name: "expires without params", m: draft, headers: []string{"(expires)"}, p: &Params{Created: "1"}, missing: "(expires)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SigningString(tt.m, tt.headers, tt.p)
			if tt.missing != "" {
				var me *MissingHeaderError
				if !errors.As(err, &me) || me.Name != tt.missing {
					t.Fatalf("SigningString = %q, %v; want MissingHeaderError for %q", got, err, tt.missing)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SigningString = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFormatSerialCases(t *testing.T) {
	tests := []struct {
		serial                   string // hex; a leading '-' for negative
		der, hex, lower, decimal string
	}{
		{"E62A8BB30907C2BA", "00E62A8BB30907C2BA", "E62A8BB30907C2BA", "e62a8bb30907c2ba", "16585222178812183226"},
		{"9FA1", "009FA1", "9FA1", "9fa1", "40865"},
		{"1234", "1234", "1234", "1234", "4660"},
		{"7F", "7F", "7F", "7f", "127"},
		{"80", "0080", "80", "80", "128"},
		{"A", "0A", "A", "a", "10"},
		{"100", "0100", "100", "100", "256"},
		{"0", "00", "0", "0", "0"},
		{"-80", "0080", "80", "80", "128"},
	}
	for _, tt := range tests {
		n, ok := new(big.Int).SetString(tt.serial, 16)
		if !ok {
			t.Fatalf("bad test serial %q", tt.serial)
		}
		for f, want := range map[SerialForm]string{SerialDERHex: tt.der, SerialHex: tt.hex, SerialLowerHex: tt.lower, SerialDecimal: tt.decimal, "": tt.der} {
			if got := FormatSerial(n, f); got != want {
				t.Errorf("FormatSerial(%s, %q) = %q; want %q", tt.serial, f, got, want)
			}
		}
	}
}

// mtName marshals an RDNSequence given as RDNs of "oid=value" pairs.
func mtName(t *testing.T, rdns ...[]string) []byte {
	t.Helper()
	var seq pkix.RDNSequence
	for _, rdn := range rdns {
		var set pkix.RelativeDistinguishedNameSET
		for _, atv := range rdn {
			oid, val, _ := strings.Cut(atv, "=")
			var id asn1.ObjectIdentifier
			for _, part := range strings.Split(oid, ".") {
				n := 0
				for _, c := range part {
					n = n*10 + int(c-'0')
				}
				id = append(id, n)
			}
			set = append(set, pkix.AttributeTypeAndValue{Type: id, Value: val})
		}
		seq = append(seq, set)
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestFormatDNCases(t *testing.T) {
	const cn, o, c, ou = "2.5.4.3", "2.5.4.10", "2.5.4.6", "2.5.4.11"
	tests := []struct {
		name string
		raw  []byte
		want map[DNForm]string
	}{
		{name: "order and spaces", raw: mtName(t, []string{c + "=DE"}, []string{o + "=D-Trust GmbH"}, []string{cn + "=D-TRUST CA 2-1 2015"}),
			want: map[DNForm]string{
				DNRFC4514:          "CN=D-TRUST CA 2-1 2015,O=D-Trust GmbH,C=DE",
				DNPercent:          "CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE",
				DNX509Order:        "C=DE,O=D-Trust GmbH,CN=D-TRUST CA 2-1 2015",
				DNX509OrderPercent: "C=DE,O=D-Trust%20GmbH,CN=D-TRUST%20CA%202-1%202015",
			}},
		{name: "special characters escaped", raw: mtName(t, []string{cn + `=Smith, John + Co "X" \ <a> ;b=c`}),
			want: map[DNForm]string{
				DNRFC4514: `CN=Smith\, John \+ Co \"X\" \\ \<a\> \;b\=c`,
				DNPercent: `CN=Smith\,%20John%20\+%20Co%20\"X\"%20\\%20\<a\>%20\;b\=c`,
			}},
		{name: "leading hash", raw: mtName(t, []string{cn + "=#hash#tag"}),
			want: map[DNForm]string{DNRFC4514: `CN=\#hash#tag`, DNPercent: `CN=\#hash#tag`}},
		{name: "leading and trailing space", raw: mtName(t, []string{o + "= lead"}, []string{cn + "=trail "}),
			want: map[DNForm]string{
				DNRFC4514:   `CN=trail\ ,O=\ lead`,
				DNPercent:   `CN=trail\%20,O=\%20lead`,
				DNX509Order: `O=\ lead,CN=trail\ `,
			}},
		{name: "percent sign", raw: mtName(t, []string{o + "=100% Bank"}),
			want: map[DNForm]string{DNRFC4514: "O=100% Bank", DNPercent: "O=100%25%20Bank", DNX509OrderPercent: "O=100%25%20Bank"}},
		{name: "non-ASCII kept", raw: mtName(t, []string{o + "=Bank für Tests"}),
			want: map[DNForm]string{DNRFC4514: "O=Bank für Tests", DNPercent: "O=Bank%20für%20Tests"}},
		{name: "multi-valued RDN and other attributes", raw: mtName(t, []string{c + "=FI"}, []string{o + "=Bank", ou + "=IT"}, []string{"2.5.4.97=PSDFI-FINFSA-1234567-8", "1.2.3.4=x"}),
			// DER sorts the members of a SET, so a multi-valued RDN comes
			// back in encoding order, not the order written above.
			want: map[DNForm]string{
				DNRFC4514:   "1.2.3.4=x+organizationIdentifier=PSDFI-FINFSA-1234567-8,OU=IT+O=Bank,C=FI",
				DNX509Order: "C=FI,OU=IT+O=Bank,1.2.3.4=x+organizationIdentifier=PSDFI-FINFSA-1234567-8",
			}},
	}
	for _, tt := range tests {
		for f, want := range tt.want {
			got, err := FormatDN(tt.raw, f)
			if err != nil || got != want {
				t.Errorf("%s: FormatDN(%s) = %q, %v; want %q", tt.name, f, got, err, want)
			}
		}
	}
	good := mtName(t, []string{cn + "=x"})
	for name, raw := range map[string][]byte{"not DER": []byte("hello"), "trailing data": append(append([]byte(nil), good...), 0)} {
		if got, err := FormatDN(raw, DNRFC4514); err == nil || !strings.Contains(err.Error(), "parsing distinguished name") {
			t.Errorf("%s: FormatDN = %q, %v; want a parsing error", name, got, err)
		}
	}
	if _, err := FormatDN(append(good, 0), DNRFC4514); err == nil || !strings.Contains(err.Error(), "trailing data") {
		t.Errorf("FormatDN with trailing data: err = %v; want it to say trailing data", err)
	}
}

func TestParseKeyIDCases(t *testing.T) {
	tests := []struct {
		in, serial, ca, err string
	}{
		{in: "SN=9FA1,CA=CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE", serial: "9FA1", ca: "CN=D-TRUST%20CA%202-1%202015,O=D-Trust%20GmbH,C=DE"},
		{in: "SN=9FA1, CA=CN=D-TRUST CA 2-1 2015,O=D-Trust GmbH,C=DE", serial: "9FA1", ca: "CN=D-TRUST CA 2-1 2015,O=D-Trust GmbH,C=DE"},
		{in: "sn=9fa1,ca=C=DE,CN=x", serial: "9fa1", ca: "C=DE,CN=x"},
		{in: "  SN=1,CA=CN=x  ", serial: "1", ca: "CN=x"},
		{in: "SN=1, CA=CN=a,CA=b", serial: "1", ca: "CN=a,CA=b"},
		{in: "SN=1,CA=CN=a, CA=b", serial: "1", ca: "CN=a, CA=b"},
		{in: "SN=1,CA=", serial: "1", ca: ""},
		// Bytes whose upper case has another length must not shift the split.
		{in: "SN=\xff,CA=x", serial: "\xff", ca: "x"},
		{in: "SN=ıı,CA=x", serial: "ıı", ca: "x"},
		{in: "SN=ɐ,CA=x", serial: "ɐ", ca: "x"},
		{in: "9FA1,CA=x", err: `does not start with "SN="`},
		{in: "", err: `does not start with "SN="`},
		{in: "SN", err: `does not start with "SN="`},
		{in: "SN=9FA1", err: `has no ",CA=<issuer DN>" part`},
		{in: "SN=9FA1;CA=x", err: `has no ",CA=<issuer DN>" part`},
	}
	for _, tt := range tests {
		serial, ca, err := ParseKeyID(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseKeyID(%q) = %q, %q, %v; want error containing %q", tt.in, serial, ca, err, tt.err)
			}
			continue
		}
		if err != nil || serial != tt.serial || ca != tt.ca {
			t.Errorf("ParseKeyID(%q) = %q, %q, %v; want %q, %q", tt.in, serial, ca, err, tt.serial, tt.ca)
		}
	}
}
