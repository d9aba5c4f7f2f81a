package signer_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/signer"
)

const (
	sentinelSecret = "SENTINEL-SECRET-wJalrXUtnFEMI"
	sentinelToken  = "SENTINEL-TOKEN-FwoGZXIvYXdzEJr"
)

var (
	testCreds = aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: sentinelSecret, SessionToken: sentinelToken, Source: "test"}
	testTime  = time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC)
)

func mustNew(t testing.TB, fns ...func(*signer.Options)) *signer.Signer {
	t.Helper()
	s, err := signer.New(fns...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// assertNoSecrets fails if s contains the sentinel secret, token or sig.
func assertNoSecrets(t *testing.T, what, s string, sig string) {
	t.Helper()
	for _, secret := range []string{sentinelSecret, sentinelToken, sig} {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%s contains a secret (%.12s...): %s", what, secret, s)
		}
	}
}

func TestSignErrors(t *testing.T) {
	good := func() *http.Request {
		r, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/_cat/indices", nil)
		return r
	}
	noHost := good()
	noHost.URL.Host, noHost.Host = "", ""
	crlf := good()
	crlf.Header.Set("X-Amz-Meta-Note", "a\r\nInjected: yes")
	badHash := good()
	badHash.Header.Set("X-Amz-Content-Sha256", "not-a-hash")
	opaque := good()
	opaque.URL.Opaque = "mailto:x"
	expired := testCreds
	expired.CanExpire, expired.Expires = true, testTime.Add(-time.Second)
	atExpiry := testCreds
	atExpiry.CanExpire, atExpiry.Expires = true, testTime
	noKey, noSecret := testCreds, testCreds
	noKey.AccessKeyID, noSecret.SecretAccessKey = "", ""
	crlfKey := testCreds
	crlfKey.AccessKeyID = "AKID\r\nX-Injected: 1"
	// What the credential cache refused before the signer did (one rule,
	// internal/credcheck, since): the signer signed with these.
	eqKey, nulToken, lfSecret := testCreds, testCreds, testCreds
	eqKey.AccessKeyID = "AKID=x"
	nulToken.SessionToken = "token\x00"
	lfSecret.SecretAccessKey += "\n"

	cases := []struct {
		name    string
		req     *http.Request
		creds   aws.Credentials
		region  string
		service string
		kind    error
		says    string
	}{
		{"nil request", nil, testCreds, "us-east-1", "es", signer.ErrRequest, "nil"},
		{"nil URL", &http.Request{Method: "GET"}, testCreds, "us-east-1", "es", signer.ErrRequest, "no URL"},
		{"no host", noHost, testCreds, "us-east-1", "es", signer.ErrRequest, "absolute URL"},
		{"opaque not a path", opaque, testCreds, "us-east-1", "es", signer.ErrRequest, "Opaque"},
		{"empty access key", good(), noKey, "us-east-1", "es", signer.ErrCredentials, "access key id is empty"},
		{"empty secret", good(), noSecret, "us-east-1", "es", signer.ErrCredentials, "secret access key is empty"},
		{"access key with CR LF", good(), crlfKey, "us-east-1", "es", signer.ErrCredentials, "access key id holds a space, a control character"},
		{"access key with '='", good(), eqKey, "us-east-1", "es", signer.ErrCredentials, "access key id holds"},
		{"token with NUL", good(), nulToken, "us-east-1", "es", signer.ErrCredentials, "session token holds a control character"},
		{"secret with a line break", good(), lfSecret, "us-east-1", "es", signer.ErrCredentials, "secret access key holds a control character"},
		{"expired", good(), expired, "us-east-1", "es", signer.ErrCredentials, "expired"},
		{"expires exactly now", good(), atExpiry, "us-east-1", "es", signer.ErrCredentials, "expired"},
		{"empty region", good(), testCreds, "", "es", signer.ErrScope, "region"},
		{"region with slash", good(), testCreds, "us-east-1/x", "es", signer.ErrScope, "region"},
		{"region with space", good(), testCreds, "us east", "es", signer.ErrScope, "region"},
		{"service with slash", good(), testCreds, "us-east-1", "es/aoss", signer.ErrScope, "service"},
		{"non-ASCII service", good(), testCreds, "us-east-1", "é", signer.ErrScope, "service"},
		{"CR LF in header", crlf, testCreds, "us-east-1", "es", signer.ErrHeader, "x-amz-meta-note"},
		{"bad content hash", badHash, testCreds, "us-east-1", "es", signer.ErrHeader, "X-Amz-Content-Sha256"},
	}
	s := mustNew(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.Sign(c.req, c.creds, c.region, c.service, testTime)
			if !errors.Is(err, c.kind) {
				t.Fatalf("err = %v, want kind %v", err, c.kind)
			}
			var se *signer.Error
			if !errors.As(err, &se) || se.Kind != c.kind {
				t.Fatalf("err = %#v, want *signer.Error of kind %v", err, c.kind)
			}
			if !strings.Contains(err.Error(), c.says) || !strings.HasPrefix(err.Error(), "sigv4/signer: ") {
				t.Errorf("error %q does not say %q", err, c.says)
			}
			assertNoSecrets(t, "error", err.Error(), "")
			assertNoSecrets(t, "%+v of error", fmt.Sprintf("%+v %#v", err, err), "")
		})
	}
}

func TestSignOptionErrors(t *testing.T) {
	for _, name := range []string{"Authorization", "content-length", "User-Agent", "accept-encoding", "Connection", "Transfer-Encoding", "Expect", "X-Forwarded-For", "x-amzn-trace-id", "host", "", "bad name", "x:y",
		// Not header names (RFC 9110 tokens): net/http would refuse to send
		// such a header, so the name could never match one.
		"x-bad\u200bname", "x-é", "x(y)", "x\"y", "x\x00y"} {
		_, err := signer.New(func(o *signer.Options) { o.SignedHeaders = []string{name} })
		var se *signer.Error
		if !errors.Is(err, signer.ErrOption) || !errors.As(err, &se) || se.Option != "SignedHeaders" || strings.Contains(se.Problem, "SignedHeaders") {
			t.Errorf("SignedHeaders %q: err = %v, want ErrOption with Option SignedHeaders and a Problem that names no option", name, err)
		}
	}
	if _, err := signer.New(func(o *signer.Options) { o.SigningHost = "bad host/" }); !errors.Is(err, signer.ErrOption) {
		t.Errorf("Host with space: err = %v, want ErrOption", err)
	}
}

func TestSignSetsHeadersAndSignsThem(t *testing.T) {
	var tr signer.Trace
	s := mustNew(t, func(o *signer.Options) { o.Trace = func(x signer.Trace) { tr = x } })
	req, _ := http.NewRequest("POST", "https://search-d.us-east-1.es.amazonaws.com:443/idx/_doc?refresh", strings.NewReader(`{"t":"東京"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "opensearch-go/2")
	req.Header.Set("X-Opaque-Id", "abc")
	if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X-Amz-Date":           "20261122T061500Z",
		"X-Amz-Content-Sha256": sha([]byte(`{"t":"東京"}`)),
		"X-Amz-Security-Token": sentinelToken,
	}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if tr.SignedHeaders != "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token" {
		t.Errorf("signed headers = %q", tr.SignedHeaders)
	}
	if !strings.HasPrefix(req.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261122/us-east-1/es/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=") {
		t.Errorf("Authorization = %q", req.Header.Get("Authorization"))
	}
	if req.Host != "search-d.us-east-1.es.amazonaws.com" {
		t.Errorf("Host sent = %q, want the default port dropped", req.Host)
	}
	if req.URL.RawQuery != "refresh" || !strings.Contains(tr.CanonicalRequest, "\nrefresh=\n") {
		t.Errorf("query sent = %q, want refresh as the caller wrote it, signed as refresh=", req.URL.RawQuery)
	}
	if tr.CredentialScope != "20261122/us-east-1/es/aws4_request" || tr.AccessKeyID != "****************MPLE" || tr.Source != "test" {
		t.Errorf("trace = %+v", tr)
	}
	sig := req.Header.Get("Authorization")[strings.Index(req.Header.Get("Authorization"), "Signature=")+10:]
	assertNoSecrets(t, "trace", fmt.Sprintf("%+v", tr), sig)
	if !strings.Contains(tr.CanonicalRequest, "x-amz-security-token:<redacted>\n") {
		t.Errorf("trace does not show the redacted token line:\n%s", tr.CanonicalRequest)
	}
}

func TestSignWithoutTokenRemovesStaleToken(t *testing.T) {
	s := mustNew(t)
	req, _ := http.NewRequest("GET", "https://h.us-east-1.es.amazonaws.com/", nil)
	req.Header.Set("X-Amz-Security-Token", "stale")
	req.Header.Set("Authorization", "Basic old")
	creds := testCreds
	creds.SessionToken = ""
	if err := s.Sign(req, creds, "us-east-1", "es", testTime); err != nil {
		t.Fatal(err)
	}
	if v := req.Header.Values("X-Amz-Security-Token"); len(v) != 0 {
		t.Errorf("X-Amz-Security-Token = %q, want none", v)
	}
	if a := req.Header.Values("Authorization"); len(a) != 1 || !strings.HasPrefix(a[0], "AWS4-HMAC-SHA256 ") {
		t.Errorf("Authorization = %q", a)
	}
}

func TestSignedHeadersAndHostOptions(t *testing.T) {
	var tr signer.Trace
	s := mustNew(t, func(o *signer.Options) {
		o.SignedHeaders = []string{"X-Opaque-Id", "If-Match"}
		o.SigningHost = "search-d.us-east-1.es.amazonaws.com:443"
		o.Trace = func(x signer.Trace) { tr = x }
	})
	req, _ := http.NewRequest("GET", "https://localhost:9200/_search", nil)
	req.Header.Set("X-Opaque-Id", "  trace   me ")
	if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
		t.Fatal(err)
	}
	if tr.SignedHeaders != "host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-opaque-id" {
		t.Errorf("signed headers = %q (if-match is absent, so not signed)", tr.SignedHeaders)
	}
	if !strings.Contains(tr.CanonicalRequest, "\nhost:search-d.us-east-1.es.amazonaws.com\n") || !strings.Contains(tr.CanonicalRequest, "\nx-opaque-id:trace me\n") {
		t.Errorf("canonical request:\n%s", tr.CanonicalRequest)
	}
	if req.Host != "search-d.us-east-1.es.amazonaws.com" || req.URL.Host != "localhost:9200" {
		t.Errorf("sent Host %q to %q; want the signing host sent to the tunnel", req.Host, req.URL.Host)
	}
}

func TestPathAndQueryOnTheWire(t *testing.T) {
	cases := []struct {
		url, service          string
		wantSent, wantCanon   string
		wantQuery, wantCanonQ string
	}{
		{"https://h/idx/_doc/a%2Fb", "es", "/idx/_doc/a%2Fb", "/idx/_doc/a%252Fb", "", ""},
		{"https://h//idx/./x/../_search/", "es", "/idx/%2E/x/%2E%2E/_search/", "/idx/%252E/x/%252E%252E/_search/", "", ""},
		{"https://h/logs/_doc/..", "es", "/logs/_doc/%2E%2E", "/logs/_doc/%252E%252E", "", ""},
		{"https://h/idx/_doc/a%2Fb%20c", "es", "/idx/_doc/a%2Fb%20c", "/idx/_doc/a%252Fb%2520c", "", ""},
		{"https://h/idx/_doc/東京", "es", "/idx/_doc/%E6%9D%B1%E4%BA%AC", "/idx/_doc/%25E6%259D%25B1%25E4%25BA%25AC", "", ""},
		{"https://h/a+b/c*d:e", "es", "/a+b/c*d:e", "/a%2Bb/c%2Ad%3Ae", "", ""},
		{"https://h/_cat/indices?v", "es", "/_cat/indices", "/_cat/indices", "v", "v="},
		{"https://h/_search?q=title:hello+world&size=5&a=2&a=1", "es", "/_search", "/_search", "q=title%3Ahello%20world&size=5&a=2&a=1", "a=1&a=2&q=title%3Ahello%20world&size=5"},
		{"https://h/_search?tag=b&&tag=a&", "es", "/_search", "/_search", "tag=b&tag=a", "tag=a&tag=b"},
		{"https://h/bucket/a+b(c)*/./x", "s3", "/bucket/a%2Bb%28c%29%2A/./x", "/bucket/a%2Bb%28c%29%2A/./x", "", ""},
		{"https://h/bucket/a%20b%2Fc", "s3", "/bucket/a%20b%2Fc", "/bucket/a%20b%2Fc", "", ""},
	}
	for _, c := range cases {
		var tr signer.Trace
		s := mustNew(t, func(o *signer.Options) { o.Trace = func(x signer.Trace) { tr = x } })
		req, err := http.NewRequest("GET", c.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sign(req, testCreds, "us-east-1", c.service, testTime); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(tr.CanonicalRequest, "\n")
		if req.URL.EscapedPath() != c.wantSent || req.URL.RawQuery != c.wantQuery {
			t.Errorf("%s (%s): sent %q ? %q, want %q ? %q", c.url, c.service, req.URL.EscapedPath(), req.URL.RawQuery, c.wantSent, c.wantQuery)
		}
		if lines[1] != c.wantCanon || lines[2] != c.wantCanonQ {
			t.Errorf("%s (%s): canonical %q ? %q, want %q ? %q", c.url, c.service, lines[1], lines[2], c.wantCanon, c.wantCanonQ)
		}
		if got := req.URL.RequestURI(); !strings.HasPrefix(got, c.wantSent) {
			t.Errorf("%s: request line URI = %q, want it to start with %q", c.url, got, c.wantSent)
		}
	}
}

// readCounter counts reads, to prove a body was not read.
type readCounter struct {
	io.Reader
	reads int
}

func (r *readCounter) Read(p []byte) (int, error) { r.reads++; return r.Reader.Read(p) }
func (r *readCounter) Close() error               { return nil }

func TestPayloadHashing(t *testing.T) {
	s := mustNew(t)
	body := []byte("{\"index\":{}}\n{\"title\":\"日本語のテキスト\"}\n\x00\xff binary")

	t.Run("GetBody is streamed, Body untouched", func(t *testing.T) {
		rc := &readCounter{Reader: bytes.NewReader(body)}
		req, _ := http.NewRequest("POST", "https://h/_bulk", nil)
		req.Body = rc
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		if rc.reads != 0 {
			t.Errorf("Body was read %d times; GetBody should have been used", rc.reads)
		}
		if got := req.Header.Get("X-Amz-Content-Sha256"); got != sha(body) {
			t.Errorf("hash %s, want %s", got, sha(body))
		}
	})
	t.Run("seekable body is sought back", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "body"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.Write([]byte("skip:"))
		f.Write(body)
		f.Seek(5, io.SeekStart)
		req, _ := http.NewRequest("PUT", "https://h/idx/_doc/1", nil)
		req.Body = f
		if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("X-Amz-Content-Sha256"); got != sha(body) {
			t.Errorf("hash %s, want %s (from the current offset)", got, sha(body))
		}
		rest, _ := io.ReadAll(f)
		if !bytes.Equal(rest, body) {
			t.Errorf("after signing the body reads %q, want it sought back", rest)
		}
	})
	t.Run("one-shot body is read once and made replayable", func(t *testing.T) {
		req, _ := http.NewRequest("POST", "https://h/_bulk", nil)
		req.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:10]), bytes.NewReader(body[10:])))
		if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("X-Amz-Content-Sha256"); got != sha(body) {
			t.Errorf("hash %s, want %s", got, sha(body))
		}
		if req.ContentLength != int64(len(body)) || req.GetBody == nil {
			t.Fatalf("ContentLength %d, GetBody set %v", req.ContentLength, req.GetBody != nil)
		}
		for i := 0; i < 2; i++ {
			var b []byte
			if i == 0 {
				b, _ = io.ReadAll(req.Body)
			} else {
				rc, _ := req.GetBody()
				b, _ = io.ReadAll(rc)
			}
			if !bytes.Equal(b, body) {
				t.Errorf("replay %d sends %q, want the original bytes", i, b)
			}
		}
	})
	t.Run("caller's hash and UNSIGNED-PAYLOAD are kept", func(t *testing.T) {
		for _, v := range []string{signer.UnsignedPayload, sha([]byte("x"))} {
			req, _ := http.NewRequest("PUT", "https://h/x", bytes.NewReader(body))
			req.Header.Set("X-Amz-Content-Sha256", v)
			req.GetBody = func() (io.ReadCloser, error) { t.Fatal("body hashed despite a caller-set hash"); return nil, nil }
			if err := s.Sign(req, testCreds, "us-east-1", "s3", testTime); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("X-Amz-Content-Sha256"); got != v {
				t.Errorf("hash %q, want the caller's %q", got, v)
			}
		}
	})
	t.Run("nil and NoBody", func(t *testing.T) {
		for _, b := range []io.ReadCloser{nil, http.NoBody} {
			req, _ := http.NewRequest("GET", "https://h/", nil)
			req.Body = b
			if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("X-Amz-Content-Sha256"); got != signer.EmptyPayloadHash || got != sha(nil) {
				t.Errorf("hash %q, want the empty-body hash", got)
			}
		}
	})
	t.Run("read errors name the cause", func(t *testing.T) {
		boom := errors.New("disk on fire")
		req, _ := http.NewRequest("POST", "https://h/", nil)
		req.Body = io.NopCloser(io.MultiReader(strings.NewReader("partial"), iotestErr{boom}))
		err := s.Sign(req, testCreds, "us-east-1", "es", testTime)
		if !errors.Is(err, signer.ErrBody) || !errors.Is(err, boom) || !strings.Contains(err.Error(), "disk on fire") {
			t.Errorf("err = %v, want ErrBody wrapping the read error", err)
		}
		req.GetBody = func() (io.ReadCloser, error) { return nil, boom }
		err = s.Sign(req, testCreds, "us-east-1", "es", testTime)
		if !errors.Is(err, signer.ErrBody) || !errors.Is(err, boom) || !strings.Contains(err.Error(), "GetBody") {
			t.Errorf("GetBody failure: err = %v", err)
		}
	})
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// TestConcurrentSigning signs from many goroutines with rotating
// credentials, regions and days (run it with -race), and checks every
// signature against a fresh signer's.
func TestConcurrentSigning(t *testing.T) {
	shared := mustNew(t)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				creds := testCreds
				creds.SecretAccessKey = fmt.Sprintf("secret-%d", i%7)
				region := []string{"us-east-1", "ap-northeast-1", "eu-west-1"}[i%3]
				at := testTime.Add(time.Duration(i%3) * 24 * time.Hour)
				mk := func() *http.Request {
					r, _ := http.NewRequest("POST", "https://h/i/_doc/"+url.PathEscape(fmt.Sprint(g, i)), strings.NewReader("body"))
					return r
				}
				a, b := mk(), mk()
				if err := shared.Sign(a, creds, region, "es", at); err != nil {
					errs <- err.Error()
					return
				}
				if err := mustNew(t).Sign(b, creds, region, "es", at); err != nil {
					errs <- err.Error()
					return
				}
				if a.Header.Get("Authorization") != b.Header.Get("Authorization") {
					errs <- "shared signer's cached key disagrees with a fresh signer's"
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestCanonicalReconstructsWhatWasSigned: from the request as sent,
// Canonical gives back the canonical request (token redacted) and string to
// sign that Sign used.
func TestCanonicalReconstructsWhatWasSigned(t *testing.T) {
	for _, u := range []string{
		"https://search-d.us-east-1.es.amazonaws.com:443//idx/./_doc/a%2Fb?refresh&q=a+b",
		"https://h.us-east-1.aoss.amazonaws.com/東京/_search",
		"https://bucket.s3.amazonaws.com/a+b(c)/./x",
	} {
		for _, service := range []string{"es", "aoss", "s3"} {
			var tr signer.Trace
			s := mustNew(t, func(o *signer.Options) { o.Trace = func(x signer.Trace) { tr = x } })
			req, _ := http.NewRequest("POST", u, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Add("X-Amz-Meta-A", " x  y ")
			req.Header.Add("X-Amz-Meta-A", "z")
			if err := s.Sign(req, testCreds, "us-east-1", service, testTime); err != nil {
				t.Fatal(err)
			}
			creq, sts, err := signer.Canonical(req)
			if err != nil || creq != tr.CanonicalRequest || sts != tr.StringToSign {
				t.Errorf("%s (%s): Canonical = %q, %q, %v\nwant %q, %q", u, service, creq, sts, err, tr.CanonicalRequest, tr.StringToSign)
			}
		}
	}
	if _, _, err := signer.Canonical(httptestRequest()); !errors.Is(err, signer.ErrRequest) {
		t.Errorf("unsigned request: err = %v", err)
	}
}

func httptestRequest() *http.Request {
	r, _ := http.NewRequest("GET", "https://h/", nil)
	return r
}

// TestAmzDate checks the hand-written date formatting against
// time.Format on boundary dates and on a day-by-day walk across 1970-2400.
func TestAmzDate(t *testing.T) {
	s0 := mustNew(t)
	for at := time.Date(1970, 1, 1, 1, 2, 3, 0, time.UTC); at.Year() < 2400; at = at.Add(24*time.Hour + 7*time.Second) {
		req, _ := http.NewRequest("GET", "https://h/", nil)
		if err := s0.Sign(req, aws.Credentials{AccessKeyID: "A", SecretAccessKey: "s"}, "us-east-1", "es", at); err != nil {
			t.Fatal(err)
		}
		if got, want := req.Header.Get("X-Amz-Date"), at.Format("20060102T150405Z"); got != want {
			t.Fatalf("X-Amz-Date = %q, want %q", got, want)
		}
	}
	s := mustNew(t)
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("JST", 9*3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // again: the date memo must not serve a truncated form
	} {
		req, _ := http.NewRequest("GET", "https://h/", nil)
		if err := s.Sign(req, testCreds, "us-east-1", "es", at); err != nil {
			t.Fatal(err)
		}
		if got, want := req.Header.Get("X-Amz-Date"), at.UTC().Format("20060102T150405Z"); got != want {
			t.Errorf("X-Amz-Date = %q, want %q", got, want)
		}
	}
}

// TestCallerTokenIsNotSignedWithoutCredentialsToken: a token the caller set
// belongs to other credentials. With credentials that have none, it is
// removed before the canonical request is built, so it is neither signed
// nor sent nor shown in the trace.
func TestCallerTokenIsNotSignedWithoutCredentialsToken(t *testing.T) {
	var tr signer.Trace
	s := mustNew(t, func(o *signer.Options) { o.Trace = func(x signer.Trace) { tr = x } })
	for _, key := range []string{"X-Amz-Security-Token", "x-amz-security-token"} {
		req, _ := http.NewRequest("GET", "https://h.us-east-1.es.amazonaws.com/", nil)
		req.Header[key] = []string{sentinelToken}
		creds := testCreds
		creds.SessionToken = ""
		if err := s.Sign(req, creds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		for k := range req.Header {
			if strings.EqualFold(k, "X-Amz-Security-Token") {
				t.Errorf("%s: %s still sent", key, k)
			}
		}
		if strings.Contains(tr.SignedHeaders, "x-amz-security-token") || strings.Contains(tr.CanonicalRequest, "security-token") {
			t.Errorf("%s: the caller's token was signed: %s", key, tr.SignedHeaders)
		}
		assertNoSecrets(t, "trace", fmt.Sprintf("%+v", tr), "")
	}
}

// TestHeaderKeysMergedWhateverTheirCase: header keys that differ only in
// case are one header, merged in a stable order, so that the signature does
// not depend on map order and one key goes on the wire.
func TestHeaderKeysMergedWhateverTheirCase(t *testing.T) {
	s := mustNew(t)
	var first string
	for i := 0; i < 40; i++ {
		req, _ := http.NewRequest("GET", "https://h.us-east-1.es.amazonaws.com/", nil)
		req.Header["X-Amz-Meta-A"] = []string{"1"}
		req.Header["x-amz-meta-a"] = []string{"2"}
		req.Header["X-AMZ-META-A"] = []string{"3"}
		req.Header["x-amz-date"] = []string{"20000101T000000Z"}
		if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		if got := req.Header["X-Amz-Meta-A"]; len(req.Header) != 5 || strings.Join(got, ",") != "1,3,2" {
			t.Fatalf("headers after signing: %q, want X-Amz-Meta-A = 1,3,2 under one key", req.Header)
		}
		if got := req.Header["X-Amz-Date"]; len(got) != 1 || got[0] != "20261122T061500Z" {
			t.Fatalf("X-Amz-Date = %q, want the signer's only", got)
		}
		a := req.Header.Get("Authorization")
		if first == "" {
			first = a
		} else if a != first {
			t.Fatalf("signing %d differs from the first: the signature depends on map order", i)
		}
	}
}

// TestHostAsGoSendsIt: an internationalised host is signed and sent in its
// punycode form and an IPv6 zone is dropped, as net/http writes them.
func TestHostAsGoSendsIt(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"https://logs.東京.example/", "logs.xn--1lqs71d.example"},
		{"https://logs.東京.example:443/", "logs.xn--1lqs71d.example"},
		{"http://[fe80::1%25eth0]:9200/", "[fe80::1]:9200"},
		{"https://[fe80::1%25eth0]:443/", "[fe80::1]"},
	} {
		var tr signer.Trace
		s := mustNew(t, func(o *signer.Options) { o.Trace = func(x signer.Trace) { tr = x } })
		req, err := http.NewRequest("GET", c.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Sign(req, testCreds, "us-east-1", "es", testTime); err != nil {
			t.Fatal(err)
		}
		if req.Host != c.want || !strings.Contains(tr.CanonicalRequest, "\nhost:"+c.want+"\n") {
			t.Errorf("%s: Host %q, canonical request:\n%s\nwant host %q", c.url, req.Host, tr.CanonicalRequest, c.want)
		}
	}
}

// TestSignerPrintsNoFields: every fmt verb prints the Signer as its
// String, never its fields (the key cache and memos hold secrets), after a
// signing has filled them. Format handles %#v too, so Signer has no
// GoString.
func TestSignerPrintsNoFields(t *testing.T) {
	s, _ := signer.New()
	req, _ := http.NewRequest(http.MethodGet, "https://h.example/", nil)
	secret := "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	if err := s.Sign(req, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret}, "us-east-1", "es", time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
		want := "signer.Signer"
		if verb == "%q" {
			want = `"signer.Signer"`
		}
		if got := fmt.Sprintf(verb, s); got != want || strings.Contains(got, secret) {
			t.Errorf("%s of a Signer = %q, want %s", verb, got, want)
		}
	}
}

// TestTraceHidesTokenSpellings: a token that a signed header echoes is
// hidden in the trace's canonical request as it is and JSON-escaped ('/'
// written "\/"), the spellings redact.Secret hides everywhere else. Before
// the signer used redact.Secret, the escaped spelling showed.
func TestTraceHidesTokenSpellings(t *testing.T) {
	var tr signer.Trace
	s := mustNew(t, func(o *signer.Options) { o.Trace = func(t signer.Trace) { tr = t } })
	creds := testCreds
	creds.SessionToken = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD"
	escaped := strings.ReplaceAll(creds.SessionToken, "/", `\/`)
	req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/", nil)
	req.Header.Set("X-Amz-Meta-Echo", `{"token":"`+escaped+`","raw":"`+creds.SessionToken+`"}`)
	if err := s.Sign(req, creds, "us-east-1", "es", testTime); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tr.SignedHeaders, "x-amz-meta-echo") {
		t.Fatalf("the echoing header was not signed: %s", tr.SignedHeaders)
	}
	for _, sp := range []string{creds.SessionToken, escaped} {
		if strings.Contains(tr.CanonicalRequest, sp) {
			t.Errorf("trace shows the token spelled %q:\n%s", sp, tr.CanonicalRequest)
		}
	}
	if !strings.Contains(tr.CanonicalRequest, `x-amz-meta-echo:{"token":"<redacted>","raw":"<redacted>"}`) {
		t.Errorf("trace does not show the echo redacted:\n%s", tr.CanonicalRequest)
	}
}

// TestErrorQuotesInputSafely: a name or host quoted in an error is written
// as strconv.Quote writes it, so that a right-to-left override, another
// invisible rune or a byte that is not UTF-8 cannot disguise the message in a
// terminal or a log. The signer's own quote let them through.
func TestErrorQuotesInputSafely(t *testing.T) {
	s := mustNew(t)
	for _, region := range []string{"us-east-1\u202egnp.exe", "us-east-1\xff", "us\u2028east-1"} {
		req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/", nil)
		err := s.Sign(req, testCreds, region, "es", testTime)
		if err == nil {
			t.Fatalf("region %q: no error", region)
		}
		if want := "region " + strconv.Quote(region) + " is not a region name"; !strings.Contains(err.Error(), want) {
			t.Errorf("region %q: error %q, want it to say %q", region, err, want)
		}
	}
	_, err := signer.New(func(o *signer.Options) { o.SignedHeaders = []string{"x-bad name\u202e"} })
	if err == nil || !strings.Contains(err.Error(), `"x-bad name\u202e"`) {
		t.Errorf("SignedHeaders with a right-to-left override: error %v, want the name quoted with \\u202e", err)
	}
}
