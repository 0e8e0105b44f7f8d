package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
	"github.com/xs2a-dev/xs2a/pkg/termsafe"
	"github.com/xs2a-dev/xs2a/pkg/text"
)

// recovered is what the RSA public-key operation reveals about a PKCS#1 v1.5
// signature: which hash was signed and its value. That turns "does not
// verify" into "right key, wrong bytes" or "wrong key", and lets the mistake
// search compare hashes instead of doing an RSA operation per guess.
type recovered struct {
	ok      bool
	hash    crypto.Hash
	digest  []byte
	badSize bool
}

var digestOIDs = map[string]crypto.Hash{
	"1.3.14.3.2.26":          crypto.SHA1,
	"2.16.840.1.101.3.4.2.4": crypto.SHA224,
	"2.16.840.1.101.3.4.2.1": crypto.SHA256,
	"2.16.840.1.101.3.4.2.2": crypto.SHA384,
	"2.16.840.1.101.3.4.2.3": crypto.SHA512,
}

func recoverDigest(pub *rsa.PublicKey, sig []byte) recovered {
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) != k {
		return recovered{badSize: true}
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return recovered{}
	}
	em := new(big.Int).Exp(s, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, k))
	// EM = 0x00 || 0x01 || PS (0xFF..., at least 8) || 0x00 || DigestInfo
	if em[0] != 0 || em[1] != 1 {
		return recovered{}
	}
	i := 2
	for i < len(em) && em[i] == 0xff {
		i++
	}
	if i-2 < 8 || i >= len(em) || em[i] != 0 {
		return recovered{}
	}
	var di struct {
		Alg    pkix.AlgorithmIdentifier
		Digest []byte
	}
	rest, err := asn1.Unmarshal(em[i+1:], &di)
	if err != nil || len(rest) > 0 {
		return recovered{}
	}
	h, ok := digestOIDs[di.Alg.Algorithm.String()]
	if !ok || len(di.Digest) != h.Size() {
		return recovered{}
	}
	return recovered{ok: true, hash: h, digest: di.Digest}
}

func hashOf(h crypto.Hash, b []byte) []byte {
	hh := h.New()
	hh.Write(b)
	return hh.Sum(nil)
}

// form is one way of (mis)building the signing string.
type form struct {
	rt      int // 0 as listed, 1 (request-target) toggled
	lf      lineForm
	perm    []int // nil: listed order
	dropped string
	added   string
}

func (f form) cost() int {
	c := 0
	if f.rt != 0 {
		c++
	}
	if f.lf.nameCase != nameLower {
		c++
	}
	if f.lf.sep != "" {
		c++
	}
	if f.lf.trailer != "" {
		c++
	}
	return c
}

// maxUnlistedSearch bounds the headers tried as "signed but not listed".
const maxUnlistedSearch = 64

// maxPermuted bounds the order search: 6 headers are 720 orders.
const maxPermuted = 6

func explainSignature(m *httpmsg.Request, p *Params, pub *rsa.PublicKey, sig []byte, rec recovered, h crypto.Hash, ss string) []Cause {
	var causes []Cause
	fixKey := "sign with the private key of the QSealC you send in TPP-Signature-Certificate (xs2a certs inspect CERT --key KEY checks the pair)"
	if !rec.ok {
		if rec.badSize {
			return []Cause{{ID: "another-key", Confirmed: true,
				Summary: fmt.Sprintf("the signature is %d bits long but the certificate's key is %d bits: it was made with another key", len(sig)*8, pub.N.BitLen()),
				Fix:     fixKey}}
		}
		for _, ph := range []crypto.Hash{crypto.SHA256, crypto.SHA512} {
			if rsa.VerifyPSS(pub, ph, hashOf(ph, []byte(ss)), sig, nil) == nil {
				return []Cause{{ID: "rsa-pss", Confirmed: true,
					Summary: fmt.Sprintf("the signature is RSASSA-PSS with %s; %s means RSASSA-PKCS1-v1_5", hashName(ph), p.Algorithm),
					Fix:     "sign with PKCS#1 v1.5 padding (openssl dgst -sign without -sigopt rsa_padding_mode:pss)"}}
			}
		}
		return []Cause{{ID: "another-key", Confirmed: true,
			Summary: "the signature was not made with the certificate's private key: after the RSA public-key operation it has no PKCS#1 v1.5 structure (another key signed, or the signature was altered)",
			Fix:     fixKey}}
	}
	if rec.hash != h {
		causes = append(causes, Cause{ID: "hash-mismatch", Confirmed: true,
			Summary: fmt.Sprintf("the signature was made with %s but algorithm=%q means %s", hashName(rec.hash), p.Algorithm, hashName(h)),
			Fix:     fmt.Sprintf("use the same hash for signing and the algorithm parameter (rsa-%s)", strings.ToLower(strings.ReplaceAll(hashName(rec.hash), "-", "")))})
		if bytes.Equal(rec.digest, hashOf(rec.hash, []byte(ss))) {
			return causes
		}
	}
	if f, found := searchForms(m, p, rec); found {
		return append(causes, describeForm(f, p)...)
	}
	return append(causes, Cause{ID: "signing-string-differs",
		Summary: fmt.Sprintf("the certificate's key made this signature (with %s), but over a different signing string; none of the usual mistakes reproduces it: "+
			"most likely a signed header's value changed after signing (a proxy or HTTP library rewrote it) or other values were signed than sent", hashName(rec.hash)),
		Fix: "compare the signing string shown by --explain with the one your code signs, byte for byte"})
}

// searchForms looks for the signing string the signer made, among the
// usual ways of getting it wrong: another line form (pass 1), another
// order (pass 2), or another header list than the one declared (pass 3).
func searchForms(m *httpmsg.Request, p *Params, rec recovered) (form, bool) {
	listed := p.SignedHeaders()
	// Bounded: each pass costs signing strings of the whole list (pass 3
	// one per listed header), and a headers parameter of thousands of
	// names fits in a request; no usual mistake lists that many.
	if len(listed) > maxUnlistedSearch {
		return form{}, false
	}
	s := &formSearch{m: m, p: p, rec: rec, listed: listed,
		hasRT: slices.ContainsFunc(listed, func(s string) bool { return strings.EqualFold(s, RequestTarget) })}
	forms := candidateForms()
	if f, ok := s.otherForm(forms); ok {
		return f, true
	}
	if f, ok := s.otherOrder(forms); ok {
		return f, true
	}
	return s.otherList()
}

// formSearch is one request's search for the signing string's form.
type formSearch struct {
	m      *httpmsg.Request
	p      *Params
	rec    recovered
	listed []string // the headers parameter
	hasRT  bool     // whether it lists (request-target)
}

// candidateForms are the line forms tried, cheapest (likeliest) first.
func candidateForms() []form {
	var forms []form
	for rt := 0; rt < 2; rt++ {
		for _, nc := range []nameCase{nameLower, nameAsInMessage, nameCanonical, nameAsSpecified} {
			for _, sep := range []string{"", "\r\n"} {
				for _, tr := range []string{"", "\n", "\r\n"} {
					forms = append(forms, form{rt: rt, lf: lineForm{nameCase: nc, sep: sep, trailer: tr}})
				}
			}
		}
	}
	slices.SortStableFunc(forms, func(a, b form) int { return a.cost() - b.cost() })
	return forms
}

// try reports whether lines, joined in form f, are what was signed.
func (s *formSearch) try(lines []Line, f form) bool {
	return bytes.Equal(hashOf(s.rec.hash, []byte(joinLines(lines, f.lf))), s.rec.digest)
}

// headersFor is the listed headers, with (request-target) left out or
// added when rt is 1.
func (s *formSearch) headersFor(rt int) []string {
	hs := append([]string(nil), s.listed...)
	if rt == 1 {
		if s.hasRT {
			hs = slices.DeleteFunc(hs, func(s string) bool { return strings.EqualFold(s, RequestTarget) })
		} else {
			hs = append([]string{RequestTarget}, hs...)
		}
	}
	return hs
}

// otherForm is pass 1: the listed order, every form.
func (s *formSearch) otherForm(forms []form) (form, bool) {
	for _, f := range forms {
		lines, err := signingLines(s.m, s.headersFor(f.rt), s.p, f.lf)
		if err != nil {
			continue
		}
		if f.cost() > 0 && s.try(lines, f) {
			return f, true
		}
	}
	return form{}, false
}

// otherOrder is pass 2: every form, in another order.
func (s *formSearch) otherOrder(forms []form) (form, bool) {
	for _, f := range forms {
		lines, err := signingLines(s.m, s.headersFor(f.rt), s.p, f.lf)
		if err != nil || len(lines) > maxPermuted || len(lines) < 2 {
			continue
		}
		var hit []int
		permute(len(lines), func(perm []int) bool {
			if isIdentity(perm) {
				return true
			}
			pl := make([]Line, len(perm))
			for i, j := range perm {
				pl[i] = lines[j]
			}
			if s.try(pl, f) {
				hit = append([]int(nil), perm...)
				return false
			}
			return true
		})
		if hit != nil {
			f.perm = hit
			return f, true
		}
	}
	return form{}, false
}

// otherList is pass 3: the header list that was signed is not the one
// declared, one listed header short or one request header more.
func (s *formSearch) otherList() (form, bool) {
	for i, drop := range s.listed {
		hs := append(append([]string(nil), s.listed[:i]...), s.listed[i+1:]...)
		if lines, err := signingLines(s.m, hs, s.p, lineForm{}); err == nil && s.try(lines, form{}) {
			return form{dropped: drop}, true
		}
	}
	// Bounded: this pass costs a signing string per request header, and the
	// sandbox diagnoses requests from strangers.
	if len(s.m.Header) > maxUnlistedSearch {
		return form{}, false
	}
	for _, fld := range s.m.Header {
		n := strings.ToLower(fld.Name)
		if slices.Contains(s.listed, n) || n == "signature" {
			continue
		}
		hs := append(append([]string(nil), s.listed...), n)
		if lines, err := signingLines(s.m, hs, s.p, lineForm{}); err == nil && s.try(lines, form{}) {
			return form{added: n}, true
		}
	}
	return form{}, false
}

func isIdentity(p []int) bool {
	for i, v := range p {
		if i != v {
			return false
		}
	}
	return true
}

// permute calls fn with every permutation of 0..n-1 (Heap's algorithm) until fn returns false.
func permute(n int, fn func([]int) bool) {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	c := make([]int, n)
	if !fn(a) {
		return
	}
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				a[0], a[i] = a[i], a[0]
			} else {
				a[c[i]], a[i] = a[i], a[c[i]]
			}
			if !fn(a) {
				return
			}
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

func describeForm(f form, p *Params) []Cause {
	var cs []Cause
	listed := p.SignedHeaders()
	if f.dropped != "" {
		cs = append(cs, Cause{ID: "header-not-signed", Confirmed: true,
			Summary: fmt.Sprintf("%q is in the headers parameter but was left out of the signing string", f.dropped),
			Fix:     "sign exactly the headers you list, in the listed order"})
	}
	if f.added != "" {
		cs = append(cs, Cause{ID: "header-signed-unlisted", Confirmed: true,
			Summary: fmt.Sprintf("%q was signed but is not in the headers parameter", f.added),
			Fix:     "list every header you sign in the headers parameter, in the signed order"})
	}
	if f.rt == 1 {
		if slices.ContainsFunc(listed, func(s string) bool { return strings.EqualFold(s, RequestTarget) }) {
			cs = append(cs, Cause{ID: "request-target-missing", Confirmed: true,
				Summary: "(request-target) is listed but was not signed",
				Fix:     "add the line \"(request-target): <lower-case method> <path?query>\" to the signing string"})
		} else {
			cs = append(cs, Cause{ID: "request-target-added", Confirmed: true,
				Summary: "a (request-target) line was signed but is not in the headers parameter (the Berlin Group profile does not sign it)",
				Fix:     "drop (request-target) from the signing string"})
		}
	}
	if f.perm != nil {
		cs = append(cs, Cause{ID: "header-order", Confirmed: true,
			Summary: fmt.Sprintf("the headers were signed in another order than the headers parameter lists (%s)", strings.Join(listed, " ")),
			Fix:     "build the signing string in exactly the order of the headers parameter"})
	}
	switch f.lf.nameCase {
	case nameAsInMessage:
		cs = append(cs, Cause{ID: "names-not-lowercased", Confirmed: true,
			Summary: "header names were signed as spelled in the request (e.g. X-Request-ID), not lower-cased",
			Fix:     "lower-case every header name in the signing string (draft-cavage section 2.3)"})
	case nameCanonical:
		cs = append(cs, Cause{ID: "names-not-lowercased", Confirmed: true,
			Summary: "header names were signed in canonical case (X-Request-Id), not lower-cased",
			Fix:     "lower-case every header name in the signing string (draft-cavage section 2.3)"})
	case nameAsSpecified:
		cs = append(cs, Cause{ID: "names-not-lowercased", Confirmed: true,
			Summary: "header names were signed as the Berlin Group specification spells them (X-Request-ID), not lower-cased",
			Fix:     "lower-case every header name in the signing string (draft-cavage section 2.3)"})
	}
	if f.lf.sep == "\r\n" {
		cs = append(cs, Cause{ID: "crlf", Confirmed: true,
			Summary: "the signing string lines were joined with CRLF (\\r\\n) instead of a bare LF (\\n)",
			Fix:     "join lines with \"\\n\" only (watch out for Windows line endings in templates)"})
	}
	if f.lf.trailer != "" {
		cs = append(cs, Cause{ID: "trailing-newline", Confirmed: true,
			Summary: fmt.Sprintf("the signing string ended with a trailing %q", f.lf.trailer),
			Fix:     "no newline after the last line of the signing string"})
	}
	return cs
}

// framingMistake recognises a Digest computed over a chunked body as framed
// on the wire (chunk sizes and CRLFs included) instead of over its content:
// what a signer that digests the bytes it reads from a log does.
func framingMistake(alg DigestAlgorithm, got string, m *httpmsg.Request) (Cause, bool) {
	if m.Framing != httpmsg.FramingChunked || len(m.Framed) == 0 {
		return Cause{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(got)
	if err != nil || !bytes.Equal(raw, alg.Sum(m.Framed)) {
		return Cause{}, false
	}
	return Cause{ID: "digest-over-chunk-framing", Confirmed: true,
		Summary: fmt.Sprintf("the digest was computed over the chunked body as framed (%d bytes with chunk sizes and CRLFs), not over its %d bytes of content", len(m.Framed), len(m.Body)),
		Fix:     "digest the content, the chunks' data joined (RFC 9112 §7.1); xs2a sign --request de-chunks before digesting"}, true
}

// digestMistake finds which common mistake reproduces a wrong digest value.
func digestMistake(alg DigestAlgorithm, got string, body []byte) (Cause, bool) {
	other := DigestSHA512
	if alg == DigestSHA512 {
		other = DigestSHA256
	}
	if raw, err := hex.DecodeString(got); err == nil {
		for _, a := range []DigestAlgorithm{alg, other} {
			if bytes.Equal(raw, a.Sum(body)) {
				return Cause{ID: "digest-hex", Confirmed: true,
					Summary: fmt.Sprintf("the digest value is hex-encoded %s; RFC 3230 wants base64", a),
					Fix:     "base64-encode the raw hash bytes (openssl dgst -binary | base64)"}, true
			}
		}
	}
	raw, err := base64.StdEncoding.DecodeString(got)
	if err != nil {
		if r2, err2 := base64.RawURLEncoding.DecodeString(strings.TrimRight(got, "=")); err2 == nil {
			if bytes.Equal(r2, alg.Sum(body)) {
				return Cause{ID: "digest-base64url", Confirmed: true,
					Summary: "the digest is URL-safe base64; RFC 3230 wants standard base64 with padding",
					Fix:     "use standard base64 (+ and /, with = padding)"}, true
			}
		}
		return Cause{ID: "digest-not-base64", Confirmed: true,
			Summary: fmt.Sprintf("the digest value %q is not base64", text.Clip(got, 40)),
			Fix:     "write SHA-256=<base64 of the raw hash>"}, true
	}
	if bytes.Equal(raw, other.Sum(body)) {
		return Cause{ID: "digest-sha-mixup", Confirmed: true,
			Summary: fmt.Sprintf("the value is the %s of the body but is labelled %s", other, alg),
			Fix:     fmt.Sprintf("label it %s=, or hash with %s", other, alg)}, true
	}
	for _, v := range bodyVariants(body) {
		for _, a := range []DigestAlgorithm{alg, other} {
			if bytes.Equal(raw, a.Sum(v.body)) {
				s := "the digest was computed over " + v.what
				if a != alg {
					s += fmt.Sprintf(" and with %s instead of %s", a, alg)
				}
				return Cause{ID: v.id, Confirmed: true, Summary: s, Fix: v.fix}, true
			}
		}
	}
	return Cause{}, false
}

// maxVariantBytes bounds a pretty-printed body variant.
const maxVariantBytes = 4 << 20

type bodyVariant struct {
	id, what, fix string
	body          []byte
}

func bodyVariants(body []byte) []bodyVariant {
	var vs []bodyVariant
	add := func(id, what, fix string, b []byte) {
		if !bytes.Equal(b, body) {
			vs = append(vs, bodyVariant{id, what, fix, b})
		}
	}
	sendSame := "digest the exact bytes you send, after serialisation; do not re-serialise or reformat the body afterwards"
	add("digest-trailing-newline", "the body with a trailing newline, but the body sent has none", "digest the body bytes exactly as sent (an editor or heredoc may add a final newline)", append(append([]byte(nil), body...), '\n'))
	if t := bytes.TrimRight(body, "\r\n"); len(t) != len(body) {
		add("digest-trailing-newline", "the body without its trailing newline, but the body sent ends with one", "digest the body bytes exactly as sent (an editor or heredoc may add a final newline)", t)
	}
	add("digest-crlf", "the body with CRLF line endings, but the body sent has LF", sendSame, bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	add("digest-crlf", "the body with LF line endings, but the body sent has CRLF", sendSame, bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	if json.Valid(body) {
		// Re-serialised JSON often also gains or loses the final newline
		// (a file or heredoc was digested, the library's output was sent),
		// so each form is tried with and without one.
		addJSON := func(what string, b []byte) {
			b = bytes.TrimRight(b, "\r\n")
			add("digest-json-reserialised", what+", but the body sent is formatted differently (re-serialised or pretty-printed after digesting)", sendSame, b)
			add("digest-json-reserialised", what+" plus a trailing newline, but the body sent is formatted differently", sendSame, append(bytes.Clone(b), '\n'))
		}
		var b bytes.Buffer
		if json.Compact(&b, body) == nil {
			addJSON("the compact JSON of the body", bytes.Clone(b.Bytes()))
		}
		// Bounded: a body nested thousands deep would grow quadratically
		// when indented (6 KB, 3,000 deep: 120 MB).
		for _, ind := range []string{"  ", "    ", "\t"} {
			b.Reset()
			if termsafe.IndentJSON(&b, body, ind, maxVariantBytes) {
				// b is reused for the next indentation: keep a copy.
				addJSON(fmt.Sprintf("the body pretty-printed with %q indentation", ind), bytes.Clone(b.Bytes()))
			}
		}
		var v any
		if json.Unmarshal(body, &v) == nil {
			if sorted, err := json.Marshal(v); err == nil {
				addJSON("the JSON re-serialised with sorted keys", sorted)
			}
		}
	}
	add("digest-empty-body", "an empty body, but the request has a body", "digest the body that is sent, not an empty string", nil)
	return vs
}
