package sigv4test_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/sigv4test"
)

// FuzzVerifier sends requests with arbitrary Authorization, X-Amz-Date,
// token, path and query to the verifier: it must not panic, must answer
// 400 or 403 with a JSON message, and must never let one through.
func FuzzVerifier(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "20261122T061500Z", "", "/idx/_search", "q=a")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es", "2026", "tok", "/../..//", "%zz&&=")
	f.Add("", "", "", "/", "")
	f.Add("AWS4-HMAC-SHA256 ,,,=,Credential=,SignedHeaders=;;;,Signature", "20261122T061500Z", "", "*", "")
	at := time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC)
	h, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{key, tokenKey}
		o.Clock = func() time.Time { return at }
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("a forged request was accepted") })
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, authz, date, token, path, query string) {
		r := httptest.NewRequest("GET", "http://127.0.0.1/", strings.NewReader("{}"))
		r.RequestURI = path + "?" + query
		r.Header = http.Header{"Authorization": {authz}, "X-Amz-Date": {date}, "X-Amz-Security-Token": {token}}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 400 && w.Code != 403 {
			t.Fatalf("status %d for Authorization %q", w.Code, authz)
		}
		if !strings.HasPrefix(w.Body.String(), `{"message":`) {
			t.Fatalf("body %q", w.Body.String())
		}
	})
}
