package authheader

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const sig = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, v string
		want    Authorization
		problem Problem
		missing []string
		scope   string
	}{
		{"well formed", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig,
			Authorization{Algorithm, "AKIDEXAMPLE/20261122/us-east-1/es/aws4_request", "AKIDEXAMPLE", "20261122", "us-east-1", "es", "aws4_request", "host;x-amz-date", sig}, 0, nil, ""},
		{"no spaces, other order", "AWS4-HMAC-SHA256 Signature=" + sig + ",SignedHeaders=host,Credential=AKID/20261122/eu-west-1/aoss/aws4_request",
			Authorization{Algorithm, "AKID/20261122/eu-west-1/aoss/aws4_request", "AKID", "20261122", "eu-west-1", "aoss", "aws4_request", "host", sig}, 0, nil, ""},
		{"two spaces after the algorithm", "AWS4-HMAC-SHA256  Credential=AKID/d/r/s/aws4_request, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm, "AKID/d/r/s/aws4_request", "AKID", "d", "r", "s", "aws4_request", "host", "abc"}, 0, nil, ""},
		{"repeated: the last counts", "AWS4-HMAC-SHA256 Credential=A/d/r/s/aws4_request, Credential=B/d/r/s/aws4_request, SignedHeaders=host, Signature=abc, Unknown=x",
			Authorization{Algorithm, "B/d/r/s/aws4_request", "B", "d", "r", "s", "aws4_request", "host", "abc"}, 0, nil, ""},
		{"empty", "", Authorization{}, NotSigV4, nil, ""},
		{"basic", "Basic dXNlcjpwYXNz==", Authorization{Algorithm: "Basic"}, NotSigV4, nil, ""},
		{"SigV4a", "AWS4-ECDSA-P256-SHA256 Credential=AKID/20261122/es/aws4_request, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm: "AWS4-ECDSA-P256-SHA256", Credential: "AKID/20261122/es/aws4_request", AccessKeyID: "AKID", SignedHeaders: "host", Signature: "abc"}, NotSigV4, nil, ""},
		{"algorithm alone", "AWS4-HMAC-SHA256", Authorization{Algorithm: Algorithm}, NotSigV4, nil, ""},
		{"tab after the algorithm: read, not accepted", "AWS4-HMAC-SHA256\tCredential=AKID/d/r/s/aws4_request, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm, "AKID/d/r/s/aws4_request", "AKID", "d", "r", "s", "aws4_request", "host", "abc"}, NotSigV4, nil, ""},
		{"leading space: read, not accepted", " AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm, "AKID/d/r/s/aws4_request", "AKID", "d", "r", "s", "aws4_request", "host", "abc"}, NotSigV4, nil, ""},
		{"no algorithm: still read", "Credential=AKID/d/r/s/aws4_request, SignedHeaders=host;x-amz-content-sha256",
			Authorization{Credential: "AKID/d/r/s/aws4_request", AccessKeyID: "AKID", Date: "d", Region: "r", Service: "s", Terminator: "aws4_request", SignedHeaders: "host;x-amz-content-sha256"}, NotSigV4, nil, ""},
		{"credential only", "AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request",
			Authorization{Algorithm: Algorithm, Credential: "AKID/d/r/s/aws4_request", AccessKeyID: "AKID", Date: "d", Region: "r", Service: "s", Terminator: "aws4_request"},
			MissingParameter, []string{"Signature", "SignedHeaders"}, ""},
		{"empty values", "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=",
			Authorization{Algorithm: Algorithm}, MissingParameter, []string{"Credential", "Signature", "SignedHeaders"}, ""},
		{"nothing after the algorithm", "AWS4-HMAC-SHA256 ",
			Authorization{Algorithm: Algorithm}, MissingParameter, []string{"Credential", "Signature", "SignedHeaders"}, ""},
		{"four parts", "AWS4-HMAC-SHA256 Credential=AKID/d/r/s, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm: Algorithm, Credential: "AKID/d/r/s", AccessKeyID: "AKID", SignedHeaders: "host", Signature: "abc"}, BadScope, nil, "d/r/s"},
		{"six parts", "AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request/x, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm: Algorithm, Credential: "AKID/d/r/s/aws4_request/x", AccessKeyID: "AKID", SignedHeaders: "host", Signature: "abc"}, BadScope, nil, "d/r/s/aws4_request/x"},
		{"wrong terminator: the scope still read", "AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws5_request, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm, "AKID/d/r/s/aws5_request", "AKID", "d", "r", "s", "aws5_request", "host", "abc"}, BadScope, nil, "d/r/s/aws5_request"},
		{"no slash", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm: Algorithm, Credential: "AKIDEXAMPLE", AccessKeyID: "AKIDEXAMPLE", SignedHeaders: "host", Signature: "abc"}, BadScope, nil, ""},
		{"a parameter without '='", "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=abc",
			Authorization{Algorithm: Algorithm, SignedHeaders: "host", Signature: "abc"}, MissingParameter, []string{"Credential"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.v)
			if got != c.want {
				t.Errorf("Parse(%q) =\n %#v\nwant\n %#v", c.v, fields(got), fields(c.want))
			}
			var e *Error
			switch {
			case c.problem == 0 && err != nil:
				t.Errorf("Parse(%q): unexpected error %v", c.v, err)
			case c.problem != 0 && !errors.As(err, &e):
				t.Errorf("Parse(%q): error %v, want problem %d", c.v, err, c.problem)
			case c.problem != 0 && (e.Problem != c.problem || !reflect.DeepEqual(e.Missing, c.missing) || e.Scope != c.scope):
				t.Errorf("Parse(%q): error %+v, want problem %d missing %q scope %q", c.v, *e, c.problem, c.missing, c.scope)
			}
		})
	}
}

// fields shows every field, the signature included, for a test's failure
// message (Authorization's own Format hides it).
func fields(a Authorization) []string {
	return []string{a.Algorithm, a.Credential, a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator, a.SignedHeaders, a.Signature}
}

func TestSignedHeaders(t *testing.T) {
	a, _ := Parse("AWS4-HMAC-SHA256 Credential=AKID/d/r/s/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=abc")
	if !reflect.DeepEqual(a.Headers(), []string{"host", "x-amz-content-sha256", "x-amz-date"}) {
		t.Errorf("Headers() = %q", a.Headers())
	}
	for name, want := range map[string]bool{"host": true, "x-amz-content-sha256": true, "x-amz-date": true, "x-amz": false, "": false, "Host": false} {
		if got := a.Signs(name); got != want {
			t.Errorf("Signs(%q) = %v, want %v", name, got, want)
		}
	}
	var none Authorization
	if none.Headers() != nil || none.Signs("") || none.Signs("host") {
		t.Errorf("an empty SignedHeaders signs something: %q", none.Headers())
	}
}

// TestScope: the scope of a five-part Credential, else none.
func TestScope(t *testing.T) {
	for v, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host": "20261122/us-east-1/es/aws4_request",
		"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es, SignedHeaders=host":              "",
		"AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host":                                    "",
		"": "",
	} {
		a, _ := Parse(v)
		if got := a.Scope(); got != want {
			t.Errorf("Parse(%q).Scope() = %q, want %q", v, got, want)
		}
	}
}

// TestErrorText: the error says what is wrong and never quotes the value.
func TestErrorText(t *testing.T) {
	for v, want := range map[string]string{
		"Basic c2VjcmV0LXBhc3N3b3Jk": `does not start with "AWS4-HMAC-SHA256 "`,
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=" + sig:                     "lacks SignedHeaders",
		"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, SignedHeaders=host, Signature=" + sig: "Credential is not access-key-id/date/region/service/aws4_request",
	} {
		_, err := Parse(v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): error %v, want one saying %q", v, err, want)
			continue
		}
		for _, secret := range []string{"c2VjcmV0LXBhc3N3b3Jk", "AKIAIOSFODNN7EXAMPLE", sig} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Parse(%q): error %q quotes %q", v, err, secret)
			}
		}
	}
}

// TestFormat: no verb shows the signature or the whole access key id.
func TestFormat(t *testing.T) {
	a, err := Parse("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=" + sig)
	if err != nil {
		t.Fatal(err)
	}
	want := "AWS4-HMAC-SHA256 Credential=****************MPLE/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=<redacted>"
	if got := a.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{a, &a} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, sig) || strings.Contains(out, "AKIAIOSFODNN7EXAMPLE") {
				t.Errorf("%s of %T shows a secret: %s", verb, v, out)
			}
		}
	}
}

// FuzzParse: Parse never panics, fills in only what the value holds, and
// reads a header built from parts back into those parts.
func FuzzParse(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256", "AKIDEXAMPLE", "20261122", "us-east-1", "es", "aws4_request", "host;x-amz-date", sig)
	f.Add("AWS4-HMAC-SHA256", "", "", "", "", "", "", "")
	f.Add("Basic", "a=b", "", "r", "s", "t", "h", "=")
	f.Add("", "AKID", "d", "r", "s", "aws5_request", "host", "abc")
	f.Fuzz(func(t *testing.T, alg, akid, date, region, service, term, signed, signature string) {
		// Any value: no panic, and what is read stands in the value.
		for _, v := range []string{alg, akid + date + region + service, signed + ", " + signature} {
			a, err := Parse(v)
			for _, field := range fields(a) {
				if !strings.Contains(v, field) {
					t.Errorf("Parse(%q) read %q, which the value does not hold", v, field)
				}
			}
			if err == nil && !strings.HasPrefix(v, Algorithm+" ") {
				t.Errorf("Parse(%q) accepted a value that does not start with %q", v, Algorithm+" ")
			}
		}

		// A header built from parts that a SigV4 header can hold reads back
		// into them.
		for _, p := range []string{alg, akid, date, region, service, term, signed, signature} {
			if strings.ContainsAny(p, " \t\r\n\v\f\u0085\u00a0,=/") || p != strings.TrimSpace(p) {
				return
			}
		}
		if alg == "" {
			return
		}
		v := alg + " Credential=" + akid + "/" + date + "/" + region + "/" + service + "/" + term +
			", SignedHeaders=" + signed + ", Signature=" + signature
		a, err := Parse(v)
		want := Authorization{alg, akid + "/" + date + "/" + region + "/" + service + "/" + term, akid, date, region, service, term, signed, signature}
		if a != want {
			t.Fatalf("Parse(%q) =\n %q\nwant\n %q", v, fields(a), fields(want))
		}
		var e *Error
		switch {
		case alg != Algorithm:
			if !errors.As(err, &e) || e.Problem != NotSigV4 {
				t.Errorf("Parse(%q): error %v, want NotSigV4", v, err)
			}
		case signature == "" || signed == "":
			if !errors.As(err, &e) || e.Problem != MissingParameter {
				t.Errorf("Parse(%q): error %v, want MissingParameter", v, err)
			}
		case term != Terminator:
			if !errors.As(err, &e) || e.Problem != BadScope || e.Scope != date+"/"+region+"/"+service+"/"+term {
				t.Errorf("Parse(%q): error %v, want BadScope", v, err)
			}
		case err != nil:
			t.Errorf("Parse(%q): unexpected error %v", v, err)
		}
		if got := strings.Join(a.Headers(), ";"); got != signed {
			t.Errorf("Headers() of %q joined = %q", v, got)
		}
	})
}
