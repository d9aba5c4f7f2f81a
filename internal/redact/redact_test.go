package redact

import "testing"

func TestAccessKeyID(t *testing.T) {
	for in, want := range map[string]string{"AKIAIOSFODNN7EXAMPLE": "****************MPLE", "ABCDE": "*BCDE", "ABCD": "****", "AB": "**", "": ""} {
		if got := AccessKeyID(in); got != want {
			t.Errorf("AccessKeyID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestURL: user information, query and fragment never show; what names
// the endpoint does.
func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:s3cret@creds.internal:8443/v1/creds?token=abc#frag": "https://creds.internal:8443/v1/creds",
		"http://127.0.0.1:9799/creds":                                     "http://127.0.0.1:9799/creds",
		"http://[::1%zone/creds":                                          "(an unparseable URL)",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPassword: a password or a query value never shows, in a URL that
// parses or not; the rest of the text does, so that a message can say
// what is wrong with it.
func TestPassword(t *testing.T) {
	for in, want := range map[string]string{
		"https://admin:s3cret@search.example/path?q=1":             "https://admin:xxxxx@search.example/path?q=xxxxx",
		"https://search.example/?X-Amz-Security-Token=s3cret&v&a=": "https://search.example/?X-Amz-Security-Token=xxxxx&v&a=xxxxx",
		"https://search.example/%zz?X-Amz-Signature=s3cret#f":      "https://search.example/%zz?X-Amz-Signature=xxxxx#f",
		"https://search.example/a b":                               "https://search.example/a b",
		"https://admin@search.example":                             "https://admin@search.example",
		"http://u:s3cret@[::1%zone/x":                              "http://xxxxx@[::1%zone/x",
		"http://u:p@ss:s3cret@[::1%zone":                           "http://xxxxx@[::1%zone",
		"http://[::1%zone/a@b":                                     "http://[::1%zone/a@b",
		"not a url":                                                "not a url",
	} {
		if got := Password(in); got != want {
			t.Errorf("Password(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSignature: everything from "Signature=" on is hidden; a value
// without one is left as it is.
func TestSignature(t *testing.T) {
	for in, want := range map[string]string{
		"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=0123456789abcdef": "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=<redacted>",
		"AWS4-HMAC-SHA256 Signature=0123456789abcdef, SignedHeaders=host":                                                     "AWS4-HMAC-SHA256 Signature=<redacted>",
		"AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request":                                                 "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request",
		"": "",
	} {
		if got := Signature(in); got != want {
			t.Errorf("Signature(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSecret: a secret is hidden as it is and JSON-escaped, wherever and
// however often it stands; nothing else changes.
func TestSecret(t *testing.T) {
	const tok = "IQoJb3JpZ2luX2Vj//abc+/def=="
	for _, c := range []struct{ s, secret, want string }{
		{"token " + tok + " twice " + tok, tok, "token <redacted> twice <redacted>"},
		{`{"message":"x-amz-security-token:IQoJb3JpZ2luX2Vj\/\/abc+\/def=="}`, tok, `{"message":"x-amz-security-token:<redacted>"}`},
		{"raw " + tok + ` and escaped IQoJb3JpZ2luX2Vj\/\/abc+\/def==`, tok, "raw <redacted> and escaped <redacted>"},
		{"IQoJb3JpZ2luX2Vj/abc", tok, "IQoJb3JpZ2luX2Vj/abc"},
		{"no slash: plain-token here", "plain-token", "no slash: <redacted> here"},
		{"nothing to hide", "", "nothing to hide"},
	} {
		if got := Secret(c.s, c.secret); got != c.want {
			t.Errorf("Secret(%q, %q) = %q, want %q", c.s, c.secret, got, c.want)
		}
	}
	if sp := Spellings("a/b"); sp != [2]string{"a/b", `a\/b`} {
		t.Errorf("Spellings(a/b) = %q", sp)
	}
	if sp := Spellings("ab"); sp[0] != sp[1] {
		t.Errorf("Spellings(ab) = %q: two spellings without a '/'", sp)
	}
}
