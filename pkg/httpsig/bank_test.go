package httpsig

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xs2a-dev/xs2a/pkg/httpmsg"
)

func TestParseBank(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Bank
	}{{"", BankEnfuce}, {"enfuce", BankEnfuce}, {"adorsys", BankAdorsys}, {"lenient", BankLenient}} {
		if b, err := ParseBank(tt.in); err != nil || b != tt.want {
			t.Errorf("ParseBank(%q) = %q, %v; want %q", tt.in, b, err, tt.want)
		}
	}
	if _, err := ParseBank("Enfuce"); err == nil || !strings.Contains(err.Error(), `unknown bank "Enfuce" (one of enfuce, adorsys, lenient)`) {
		t.Errorf("ParseBank(Enfuce) = %v", err)
	}
	if Banks[0] != BankEnfuce {
		t.Errorf("the default bank is not first: %v", Banks)
	}
}

// TestBankKeyIDForms: every serial form with every DN form, spelling
// variants and a signed date, judged by each bank. The expectation is
// written from each bank's page, not from the rule tables in bank.go.
func TestBankKeyIDForms(t *testing.T) {
	tc := newTestCert(t)
	type kid struct {
		name   string
		keyID  string
		serial string // hex | decimal | not-hex
		dn     string // pct | raw
		// adorsys is the one string adorsys-based ASPSPs accept.
		adorsys bool
	}
	var kids []kid
	for sf, sn := range mtSerials {
		for df, dn := range mtDNs {
			k := kid{name: string(sf) + "/" + string(df), keyID: "SN=" + sn + ",CA=" + dn, serial: "hex", dn: "raw"}
			if sf == SerialDecimal {
				k.serial = "decimal"
			}
			if df == DNPercent || df == DNX509OrderPercent {
				k.dn = "pct"
			}
			k.adorsys = sf == SerialLowerHex && df == DNPercent
			kids = append(kids, k)
		}
	}
	kids = append(kids,
		kid{name: "lower-case der-hex", keyID: "SN=00e62a8bb30907c2ba,CA=" + mtDNs[DNPercent], serial: "hex", dn: "pct"},
		kid{name: "mixed case hex", keyID: "SN=E62a8Bb30907C2bA,CA=" + mtDNs[DNPercent], serial: "hex", dn: "pct"},
		kid{name: "extra zeros", keyID: "SN=0000E62A8BB30907C2BA,CA=" + mtDNs[DNPercent], serial: "hex", dn: "pct"},
		kid{name: "colons", keyID: "SN=E6:2A:8B:B3:09:07:C2:BA,CA=" + mtDNs[DNPercent], serial: "not-hex", dn: "pct"},
	)
	for _, k := range kids {
		for _, date := range []bool{false, true} {
			r := mtRow{keyID: k.keyID}
			if date {
				r.prep = func(m *httpmsg.Request) { m.Set("Date", dateExample) }
				r.headers = "x-request-id digest date"
			}
			m := mtSign(t, tc, r)
			for _, b := range Banks {
				name := fmt.Sprintf("%s/date=%v/%s", k.name, date, b)
				d := Verify(m, b.VerifyOptions())
				var want bool
				var causes []string
				switch b {
				case BankEnfuce:
					want = k.serial == "hex" && k.dn == "pct" && !date
					if k.serial == "decimal" {
						causes = append(causes, "keyid-serial-decimal")
					}
					if k.serial == "not-hex" {
						causes = append(causes, "keyid-serial-not-hex")
					}
					if k.dn == "raw" {
						causes = append(causes, "keyid-dn-not-encoded")
					}
					if date {
						causes = append(causes, "header-list-extra")
					}
				case BankAdorsys:
					want = k.adorsys && date
					if !k.adorsys {
						causes = append(causes, "keyid-form")
					}
					if !date {
						causes = append(causes, "date-unsigned")
					}
				case BankLenient:
					want = true
				}
				if d.Valid != want || d.Bank != string(b) {
					t.Errorf("%s: valid=%v bank=%q; want %v", name, d.Valid, d.Bank, want)
					continue
				}
				var got []string
				for _, c := range d.Causes {
					got = append(got, c.ID)
				}
				slices.Sort(got)
				slices.Sort(causes)
				if strings.Join(got, " ") != strings.Join(causes, " ") {
					t.Errorf("%s: causes %v; want %v", name, got, causes)
				}
				for _, c := range d.Causes {
					if c.Fix == "" || !c.Confirmed {
						t.Errorf("%s: cause %s without a fix or unconfirmed", name, c.ID)
					}
				}
			}
		}
	}
}

// TestEnfuceDecimalOrHex: a serial of digits 0-9 only reads as hex and as
// decimal; the certificate decides which spelling the keyId is.
func TestEnfuceDecimalOrHex(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// Self-signed, so the issuer is "CN=Digits TPP".
	// 0x1234 is 4660: "1234" is its hex spelling, "4660" its decimal one.
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x1234), Subject: pkix.Name{CommonName: "Digits TPP"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	digits := testCert{Key: key, Cert: cert}
	for _, tt := range []struct {
		serial string
		valid  bool
		cause  string
	}{
		{"1234", true, ""},
		{"001234", true, ""},
		{"4660", false, "keyid-serial-decimal"},
	} {
		m := mtSign(t, digits, mtRow{keyID: "SN=" + tt.serial + ",CA=CN=Digits%20TPP"})
		d := Verify(m, BankEnfuce.VerifyOptions())
		if d.Valid != tt.valid {
			t.Errorf("SN=%s: valid=%v; want %v", tt.serial, d.Valid, tt.valid)
		}
		if tt.cause != "" && (len(d.Causes) == 0 || d.Causes[0].ID != tt.cause || !strings.Contains(d.Causes[0].Fix, "SN=1234")) {
			t.Errorf("SN=%s: causes %+v; want %s with the fix SN=1234", tt.serial, d.Causes, tt.cause)
		}
		if tt.cause != "" && !strings.Contains(d.Check(CheckKeyID).Detail, "serial written as decimal") {
			t.Errorf("SN=%s: key-id detail %q does not name the decimal spelling", tt.serial, d.Check(CheckKeyID).Detail)
		}
	}
}
