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
