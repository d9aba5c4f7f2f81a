package sigv4test_test

import (
	"net/http"
	"testing"
)

// TestMalformedAuthorization pins the verifying endpoint's words for an
// Authorization header it cannot read, to the letter: AWS's, with the
// signature never echoed.
func TestMalformedAuthorization(t *testing.T) {
	_, srv := newServer(t, "es", nil, nil)
	const all = "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."
	for _, c := range []struct{ authz, want string }{
		{"Basic dXNlcjpwYXNz", all + " Authorization=Basic dXNlcjpwYXNz"},
		{"AWS4-HMAC-SHA256", all + " Authorization=AWS4-HMAC-SHA256"},
		{"AWS4-HMAC-SHA256X Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=0123456789abcdef",
			all + " Authorization=AWS4-HMAC-SHA256X Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request, SignedHeaders=host, Signature=<redacted>"},
		{"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request",
			"Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request"},
		{"AWS4-HMAC-SHA256 SignedHeaders=host, Signature=0123456789abcdef",
			"Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host, Signature=<redacted>"},
		{"AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=",
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=<redacted>"},
		{"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es, SignedHeaders=host, Signature=0123456789abcdef",
			"Credential should be scoped to a valid region, not '20261122/us-east-1/es'. "},
		{"AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es/aws5_request, SignedHeaders=host, Signature=0123456789abcdef",
			"Credential should be scoped to a valid region, not '20261122/us-east-1/es/aws5_request'. "},
		{"AWS4-HMAC-SHA256 Credential=AKIDVERIFY,SignedHeaders=host,Signature=0123456789abcdef",
			"Credential should be scoped to a valid region, not ''. "},
	} {
		req, _ := http.NewRequest("GET", srv+"/", nil)
		req.Header.Set("Authorization", c.authz)
		status, msg, errType := do(t, req)
		if status != 403 || errType != "IncompleteSignatureException" || msg != c.want {
			t.Errorf("Authorization %q:\n got %d %s %q\nwant 403 IncompleteSignatureException %q", c.authz, status, errType, msg, c.want)
		}
	}
}
