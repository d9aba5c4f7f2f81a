package sigv4test_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/opensearch-sigv4/sigv4/sigv4test"
)

var (
	key      = aws.Credentials{AccessKeyID: "AKIDVERIFY", SecretAccessKey: "verify-secret"}
	tokenKey = aws.Credentials{AccessKeyID: "ASIAVERIFY", SecretAccessKey: "verify-secret-2", SessionToken: "verify-token"}
)

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// sdkSigned returns a request signed by aws-sdk-go-v2's signer: an
// implementation independent of this module's.
func sdkSigned(t *testing.T, method, url, body string, creds aws.Credentials, service string, at time.Time, withHash bool) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if withHash {
		req.Header.Set("X-Amz-Content-Sha256", hexSHA([]byte(body)))
	}
	if err := sdkv4.NewSigner().SignHTTP(context.Background(), creds, req, hexSHA([]byte(body)), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func newServer(t *testing.T, service string, clock func() time.Time, handler http.Handler) (*sigv4test.Handler, string) {
	t.Helper()
	h, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{key, tokenKey}
		o.Service, o.Clock, o.Handler = service, clock, handler
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpServer(t, h)
	return h, srv
}

func do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m struct{ Message string }
	json.Unmarshal(b, &m)
	return res.StatusCode, m.Message, res.Header.Get("X-Amzn-Errortype")
}

// TestAcceptsSDKSignedRequests: requests signed by aws-sdk-go-v2 pass, and
// the handler reads the body that was sent.
func TestAcceptsSDKSignedRequests(t *testing.T) {
	var got []string
	h, srv := newServer(t, "es", nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		w.Write([]byte("{}"))
	}))
	now := time.Now()
	for _, c := range []struct {
		method, path, body string
		creds              aws.Credentials
	}{
		{"GET", "/", "", key},
		{"GET", "/_cat/indices?v=&format=json", "", tokenKey},
		{"POST", "/idx/_search?q=title%3A%E6%9D%B1%E4%BA%AC", `{"query":{"match_all":{}}}`, key},
		{"PUT", "/idx/_doc/a%2Fb", `{"t":"東京"}`, tokenKey},
	} {
		req := sdkSigned(t, c.method, srv+c.path, c.body, c.creds, "es", now, true)
		if status, msg, _ := do(t, req); status != 200 {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, msg)
		}
	}
	if h.Accepted() != 4 || h.Rejected() != 0 || got[3] != `{"t":"東京"}` {
		t.Errorf("accepted %d rejected %d bodies %q", h.Accepted(), h.Rejected(), got)
	}
}

func TestRejections(t *testing.T) {
	fixed := time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC)
	clock := func() time.Time { return fixed }
	_, srv := newServer(t, "es", clock, nil)
	_, aoss := newServer(t, "aoss", clock, nil)

	wrongSecret := key
	wrongSecret.SecretAccessKey = "wrong"
	unknown := key
	unknown.AccessKeyID = "AKIDUNKNOWN"
	tokenless := tokenKey
	tokenless.SessionToken = ""
	extraToken := key
	extraToken.SessionToken = "unexpected"

	cases := []struct {
		name    string
		req     func() *http.Request
		status  int
		errType string
		says    []string
	}{
		{"unsigned", func() *http.Request { r, _ := http.NewRequest("GET", srv+"/idx/_search?q=x", nil); return r },
			403, "AccessDeniedException", []string{"User: anonymous is not authorized to perform: es:ESHttpGet on resource: arn:aws:es:us-east-1:123456789012:domain/sigv4test/idx/_search"}},
		{"malformed Authorization", func() *http.Request {
			r, _ := http.NewRequest("GET", srv+"/", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDVERIFY/20261122/us-east-1/es/aws4_request")
			return r
		}, 403, "IncompleteSignatureException", []string{"requires 'Signature' parameter", "requires 'SignedHeaders' parameter"}},
		{"unknown key", func() *http.Request { return sdkSigned(t, "GET", srv+"/", "", unknown, "es", fixed, true) },
			403, "UnrecognizedClientException", []string{"The security token included in the request is invalid."}},
		{"token missing", func() *http.Request { return sdkSigned(t, "GET", srv+"/", "", tokenless, "es", fixed, true) },
			403, "UnrecognizedClientException", []string{"The security token included in the request is invalid."}},
		{"token not expected", func() *http.Request { return sdkSigned(t, "GET", srv+"/", "", extraToken, "es", fixed, true) },
			403, "UnrecognizedClientException", []string{"The security token included in the request is invalid."}},
		{"expired", func() *http.Request {
			return sdkSigned(t, "GET", srv+"/", "", key, "es", fixed.Add(-5*time.Minute-time.Second), true)
		}, 403, "InvalidSignatureException", []string{"Signature expired: 20261122T060959Z is now earlier than 20261122T061000Z (20261122T061500Z - 5 min.)"}},
		{"not yet current", func() *http.Request {
			return sdkSigned(t, "GET", srv+"/", "", key, "es", fixed.Add(5*time.Minute+time.Second), true)
		}, 403, "InvalidSignatureException", []string{"Signature not yet current: 20261122T062001Z is still later than 20261122T062000Z (20261122T061500Z + 5 min.)"}},
		{"wrong service", func() *http.Request { return sdkSigned(t, "GET", srv+"/", "", key, "aoss", fixed, true) },
			403, "InvalidSignatureException", []string{"Credential should be scoped to correct service: 'es'."}},
		{"wrong secret", func() *http.Request {
			return sdkSigned(t, "POST", srv+"/idx/_doc?refresh=true", `{"a":1}`, wrongSecret, "es", fixed, true)
		},
			403, "InvalidSignatureException", []string{
				"The request signature we calculated does not match the signature you provided.",
				"The Canonical String for this request should have been\n'POST\n/idx/_doc\nrefresh=true\n",
				"The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261122T061500Z\n20261122/us-east-1/es/aws4_request\n",
			}},
		{"body changed after signing", func() *http.Request {
			r := sdkSigned(t, "POST", srv+"/idx/_doc", `{"a":1}`, key, "es", fixed, true)
			r.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
			return r
		}, 400, "XAmzContentSHA256Mismatch", []string{"does not match what was computed"}},
		{"body changed, no payload header", func() *http.Request {
			r := sdkSigned(t, "POST", srv+"/idx/_doc", `{"a":1}`, key, "es", fixed, false)
			r.Body = io.NopCloser(strings.NewReader(`{"a":2}`))
			return r
		}, 403, "InvalidSignatureException", []string{"signature we calculated does not match"}},
		{"unnormalised path signed as is", func() *http.Request {
			r, _ := http.NewRequest("GET", srv+"/idx/../other/", nil)
			r.URL.Opaque = "//" + r.URL.Host + "/idx/../other/"
			sdkv4.NewSigner().SignHTTP(context.Background(), key, r, hexSHA(nil), "es", "us-east-1", fixed)
			return r
		}, 403, "InvalidSignatureException", []string{"should have been\n'GET\n/other/\n"}},
		{"aoss without payload header", func() *http.Request { return sdkSigned(t, "GET", aoss+"/", "", key, "aoss", fixed, false) },
			403, "InvalidSignatureException", []string{"x-amz-content-sha256", "OpenSearch Serverless requires it"}},
		{"aoss with payload header present but not signed", func() *http.Request {
			r, _ := http.NewRequest("POST", aoss+"/idx/_search", strings.NewReader("{}"))
			sdkv4.NewSigner().SignHTTP(context.Background(), key, r, hexSHA([]byte("{}")), "aoss", "us-east-1", fixed)
			r.Header.Set("X-Amz-Content-Sha256", hexSHA([]byte("{}"))) // added after signing
			return r
		}, 400, "ValidationException", []string{"x-amz-content-sha256 header must be signed in SigV4"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, msg, errType := do(t, c.req())
			if status != c.status || errType != c.errType {
				t.Errorf("got %d %s, want %d %s: %s", status, errType, c.status, c.errType, msg)
			}
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
		})
	}
}

func TestAOSSAcceptsWithPayloadHeader(t *testing.T) {
	h, aoss := newServer(t, "aoss", nil, nil)
	if status, msg, _ := do(t, sdkSigned(t, "POST", aoss+"/idx/_search", `{}`, key, "aoss", time.Now(), true)); status != 200 {
		t.Fatalf("%d %s", status, msg)
	}
	if h.Accepted() != 1 {
		t.Errorf("accepted %d", h.Accepted())
	}
}

func TestNewHandlerValidates(t *testing.T) {
	if _, err := sigv4test.NewHandler(); err == nil || !strings.Contains(err.Error(), "Options.Credentials") {
		t.Errorf("no credentials: %v", err)
	}
	if _, err := sigv4test.NewServer(func(o *sigv4test.Options) { o.Credentials = []aws.Credentials{{AccessKeyID: "A"}} }); err == nil {
		t.Error("a key without a secret was accepted")
	}
}
