package httplog

import (
	"slices"
	"strings"
	"testing"
)

func TestRedactorJSONKeepsEveryOtherByte(t *testing.T) {
	var found []string
	r := Redactor{Found: func(s string) { found = append(found, s) }}
	in := `{ "access_token" :"tok-AAA",
  "nested": {"refreshToken":"tok-BBB", "n": 1.50},
  "tppMessages": [{"category":"ERROR","code":"FORMAT_ERROR"}],
  "code": 42, "id_token": null, "list": [ {"code": "abc\u0041"} ] }`
	out, ok := r.JSON([]byte(in))
	if !ok {
		t.Fatal("valid JSON reported as not JSON")
	}
	want := `{ "access_token" :"` + Redact("tok-AAA") + `",
  "nested": {"refreshToken":"` + Redact("tok-BBB") + `", "n": 1.50},
  "tppMessages": [{"category":"ERROR","code":"FORMAT_ERROR"}],
  "code": "` + Redact("42") + `", "id_token": null, "list": [ {"code": "` + Redact("abcA") + `"} ] }`
	if string(out) != want {
		t.Errorf("JSON:\n got %s\nwant %s", out, want)
	}
	if !slices.Equal(found, []string{"tok-AAA", "tok-BBB", "42", "abcA"}) {
		t.Errorf("Found saw %q", found)
	}
	if out, ok := r.JSON([]byte(`{"access_token":`)); ok || string(out) != `{"access_token":` {
		t.Errorf("broken JSON: %q %v", out, ok)
	}
}

func TestRedactorFormHeaderURL(t *testing.T) {
	var found []string
	r := Redactor{SecretHeaders: []string{"X-Bank-Key"}, Found: func(s string) { found = append(found, s) }}
	form := "grant_type=authorization_code&code=c%2B1&code_verifier=vvv&redirect_uri=http%3A%2F%2F127.0.0.1"
	got := r.Form(form)
	if got != "grant_type=authorization_code&code="+Redact("c+1")+"&code_verifier="+Redact("vvv")+"&redirect_uri=http%3A%2F%2F127.0.0.1" {
		t.Errorf("Form: %s", got)
	}
	if h := r.Header("Authorization", "Bearer abc"); h != "Bearer "+Redact("abc") {
		t.Errorf("Authorization: %s", h)
	}
	if h := r.Header("x-bank-key", "k1"); h != Redact("k1") {
		t.Errorf("own API key header: %s", h)
	}
	if h := r.Header("Location", "http://127.0.0.1:1/cb?code=zzz&state=s"); !strings.Contains(h, "code="+Redact("zzz")) || !strings.Contains(h, "state=s") {
		t.Errorf("Location: %s", h)
	}
	if !slices.Equal(found, []string{"c+1", "vvv", "abc", "k1", "zzz"}) {
		t.Errorf("Found saw %q", found)
	}
}
