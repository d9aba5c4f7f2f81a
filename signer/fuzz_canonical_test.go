package signer_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// FuzzCanonical gives Canonical requests with arbitrary Authorization
// headers, paths, queries and tokens: it must not panic, and must never
// return the token it was given.
func FuzzCanonical(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=00", "/a%2Fb", "q=1", "tok-0123456789abcdef")
	f.Add("AWS4-HMAC-SHA256 Credential=A/B/C/s3/D, SignedHeaders=;;, Signature=", "//x/../", "&&", "")
	f.Add("AWS4-HMAC-SHA256 ", "", "", "x")
	f.Fuzz(func(t *testing.T, authz, path, query, token string) {
		u, err := url.Parse("https://h.example.com/")
		if err != nil {
			t.Fatal(err)
		}
		u.RawPath, u.Path, u.RawQuery = path, path, query
		req := &http.Request{Method: "GET", URL: u, Host: u.Host, Header: http.Header{
			"Authorization": {authz}, "X-Amz-Security-Token": {token}, "X-Amz-Date": {"20261122T061500Z"},
		}}
		creq, _, err := signer.Canonical(req)
		if err == nil && len(token) >= 16 && strings.Contains(creq, token) {
			t.Fatalf("Canonical shows the token:\n%s", creq)
		}
	})
}
