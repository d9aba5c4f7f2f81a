package transport_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// FuzzDiagnose feeds arbitrary 403 bodies and headers to Diagnose: it must
// not panic, must return a *Diagnosis, must leave the body intact, and must
// never show the request's session token, even when the body echoes it.
func FuzzDiagnose(f *testing.F) {
	for _, s := range []string{fixtureMismatch, fixtureInvalidToken, fixtureExpiredToken, fixtureSkewExpired, fixtureSkewFuture,
		fixturePolicy, fixtureAnonymous, fixtureFGAC, fixtureAOSS, "", "not json", `{"message":`, `{"error":"x"}`, `{"error":{"reason":""}}`} {
		f.Add(s, "InvalidSignatureException", "Sun, 22 Nov 2026 06:15:00 GMT")
	}
	const token = "FUZZ-SENTINEL-TOKEN-0123456789"
	f.Fuzz(func(t *testing.T, body, errType, date string) {
		req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/_search", nil)
		req.Header.Set("X-Amz-Security-Token", token)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=00")
		req.Header.Set("X-Amz-Date", "20261122T061500Z")
		withToken := strings.ReplaceAll(body, "TOKEN", token)
		res := &http.Response{StatusCode: 403, Header: http.Header{"X-Amzn-Errortype": {errType}, "Date": {date}},
			Body: io.NopCloser(strings.NewReader(withToken)), Request: req}
		err := transport.Diagnose(res)
		var d *transport.Diagnosis
		if !errors.As(err, &d) {
			t.Fatalf("Diagnose = %v", err)
		}
		msg := err.Error()
		if strings.Contains(msg, token) || strings.Contains(d.Message+d.AWSCanonicalRequest+d.SignedCanonicalRequest, token) {
			t.Fatalf("the diagnosis shows the session token:\n%s", msg)
		}
		if rest, _ := io.ReadAll(res.Body); string(rest) != withToken {
			t.Fatalf("body changed: %q", rest)
		}
	})
}
