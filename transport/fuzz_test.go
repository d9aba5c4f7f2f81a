package transport_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// FuzzDiagnose feeds arbitrary refused bodies, statuses and headers to
// Diagnose: it must not panic, must return a *Diagnosis for every 401, 403,
// 413 and 429 (a 400 may be no refusal), must leave the body intact, and
// must never show the request's session token or access key id, even when
// the body echoes them.
func FuzzDiagnose(f *testing.F) {
	for _, s := range []string{fixtureMismatch, fixtureInvalidToken, fixtureExpiredToken, fixtureSkewExpired, fixtureSkewFuture,
		fixturePolicy, fixtureAnonymous, fixtureFGAC, fixtureAOSS, "", "not json", `{"message":`, `{"error":"x"}`, `{"error":{"reason":""}}`,
		fixtureTooLarge, fixtureIndexingPressure, fixtureNotAllowed, fixtureKMS, fixtureAssumeRole, fixtureMissingEqual} {
		for _, status := range []uint16{403, 401, 400, 429} {
			f.Add(s, "InvalidSignatureException", "Sun, 22 Nov 2026 06:15:00 GMT", status)
		}
	}
	const token, akid = "FUZZ-SENTINEL-TOKEN-0123456789", "ASIAFUZZSENTINEL0123"
	f.Fuzz(func(t *testing.T, body, errType, date string, status uint16) {
		status = []uint16{400, 401, 403, 413, 429}[status%5]
		req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/_search", nil)
		req.Header.Set("X-Amz-Security-Token", token)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=00")
		req.Header.Set("X-Amz-Date", "20261122T061500Z")
		withToken := strings.ReplaceAll(strings.ReplaceAll(body, "TOKEN", token), "AKID", akid)
		res := &http.Response{StatusCode: int(status), Header: http.Header{"X-Amzn-Errortype": {errType}, "Date": {date}},
			Body: io.NopCloser(strings.NewReader(withToken)), Request: req}
		err := transport.Diagnose(res)
		var d *transport.Diagnosis
		if !errors.As(err, &d) {
			if err != nil || status != 400 {
				t.Fatalf("status %d: Diagnose = %v", status, err)
			}
		} else {
			all := err.Error() + d.Message + d.AWSCanonicalRequest + d.SignedCanonicalRequest + fmt.Sprintf("%#v", d)
			if strings.Contains(all, token) || strings.Contains(all, akid) {
				t.Fatalf("the diagnosis shows the session token or the access key id:\n%s", all)
			}
		}
		if rest, _ := io.ReadAll(res.Body); string(rest) != withToken {
			t.Fatalf("body changed: %q", rest)
		}
	})
}
