package transport_test

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/net/idna"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// The meaning check: what OpenSearch would read from the caller's URL and
// from the request that went on the wire must be the same. It is written
// without net/url or package signer: OpenSearch's own reading, applied to
// the raw text of each.

// callerTarget returns the path?query of a raw URL string as the caller
// wrote it: everything after the authority.
func callerTarget(raw string) string {
	_, rest, _ := strings.Cut(raw, "://")
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		return rest[i:]
	}
	return "/"
}

// sentHeaders is what a request's header map means once net/http writes
// it: keys in byte order, names case-insensitive, lines of one name joined,
// white space around each value not part of it.
func sentHeaders(h http.Header, names ...string) map[string]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	m := map[string]string{}
	for _, name := range names {
		var vals []string
		for _, k := range keys {
			if strings.EqualFold(k, name) {
				for _, v := range h[k] {
					// HTTP does not send white space around a value.
					vals = append(vals, strings.Trim(v, " \t"))
				}
			}
		}
		if len(vals) > 0 {
			m[strings.ToLower(name)] = strings.Join(vals, ",")
		}
	}
	return m
}

// wireRecord is one request as the server received it.
type wireRecord struct {
	target, host string
	header       http.Header
	status       int
}

// meaningRig is a verifying endpoint that records the raw request target,
// host and headers of every request, and a transport whose base dials it
// whatever the URL's host, so that IDN and IPv6-zone hosts can be tried.
type meaningRig struct {
	srv  *httptest.Server
	tr   *transport.Transport
	mu   sync.Mutex
	last wireRecord
}

func newMeaningRig(t testing.TB) *meaningRig {
	t.Helper()
	mr := &meaningRig{}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{goodCreds}
		o.Region, o.Service = "us-east-1", "es"
	})
	if err != nil {
		t.Fatal(err)
	}
	mr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, r)
		mr.mu.Lock()
		mr.last = wireRecord{target: r.RequestURI, host: r.Host, header: r.Header.Clone(), status: rec.Code}
		mr.mu.Unlock()
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(mr.srv.Close)
	addr := mr.srv.Listener.Addr().String()
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	t.Cleanup(base.CloseIdleConnections)
	mr.tr, err = transport.New(func(o *transport.Options) {
		o.Region, o.Service = "us-east-1", "es"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.Base = base
	})
	if err != nil {
		t.Fatal(err)
	}
	return mr
}

// send sends req through the signing transport and returns what arrived.
func (mr *meaningRig) send(t testing.TB, req *http.Request) wireRecord {
	t.Helper()
	res, err := mr.tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	res.Body.Close()
	mr.mu.Lock()
	defer mr.mu.Unlock()
	return mr.last
}

// checkMeaning compares the caller's meaning with the wire's.
func checkMeaning(t testing.TB, rawURL string, req *http.Request, got wireRecord, headerNames ...string) {
	t.Helper()
	want := testenv.ReadTarget(callerTarget(rawURL))
	wire := testenv.ReadTarget(got.target)
	if got.status != http.StatusOK {
		t.Errorf("%s: the verifying endpoint answered %d for %s", rawURL, got.status, got.target)
	}
	if !slices.Equal(want.Segments, wire.Segments) {
		t.Errorf("%s: path means %q, but the wire (%s) means %q", rawURL, want.Segments, got.target, wire.Segments)
	}
	if !maps.Equal(want.Params, wire.Params) {
		t.Errorf("%s: query means %q, but the wire (%s) means %q", rawURL, want.Params, got.target, wire.Params)
	}
	wantH, wireH := sentHeaders(req.Header, headerNames...), sentHeaders(got.header, headerNames...)
	if !maps.Equal(wantH, wireH) {
		t.Errorf("%s: headers mean %q, but the wire's mean %q", rawURL, wantH, wireH)
	}
}

// TestWireMeansWhatTheCallerMeant sends the requests that used to change
// meaning on the way (dot segments resolved, repeated keys reordered, %2F
// turned into '/', header keys of two cases) through the transport, and
// checks that each is accepted and means on the wire what the caller's URL
// meant.
func TestWireMeansWhatTheCallerMeant(t *testing.T) {
	mr := newMeaningRig(t)
	base := mr.srv.URL
	cases := []struct {
		name, method, url string
		header            http.Header // set key by key, as written
	}{
		{name: "id .", method: "PUT", url: base + "/logs/_doc/."},
		{name: "id ..", method: "DELETE", url: base + "/logs/_doc/.."},
		{name: "id ../../_all", method: "DELETE", url: base + "/logs/_doc/../../_all"},
		{name: "index ..", method: "DELETE", url: base + "/.."},
		{name: "id a/b escaped", method: "GET", url: base + "/idx/_doc/a%2Fb"},
		{name: "id a%2Fb c", method: "GET", url: base + "/idx/_doc/a%2Fb c"},
		{name: "id 東京%2F大阪", method: "GET", url: base + "/idx/_doc/東京%2F大阪"},
		{name: "date math", method: "GET", url: base + "/%3Clogs-%7Bnow%2Fd%7D%3E/_search"},
		{name: "date math raw", method: "GET", url: base + "/<logs-{now%2Fd}>/_search"},
		{name: "id +", method: "GET", url: base + "/idx/_doc/a+b"},
		{name: "id %2B", method: "GET", url: base + "/idx/_doc/a%2Bb"},
		{name: "id %20", method: "GET", url: base + "/idx/_doc/a%20b"},
		{name: "id space", method: "GET", url: base + "/idx/_doc/a b"},
		{name: "id *", method: "GET", url: base + "/idx/_doc/a*b"},
		{name: "id :", method: "GET", url: base + "/idx/_doc/a:b"},
		{name: "empty segments", method: "GET", url: base + "//idx//_search/"},
		{name: "repeated key b a", method: "GET", url: base + "/_search?tag=b&tag=a"},
		{name: "repeated key a b", method: "GET", url: base + "/_search?tag=a&tag=b"},
		{name: "repeated key three", method: "GET", url: base + "/_search?size=10&q=x&size=1&size=5"},
		{name: "key without =", method: "GET", url: base + "/_cat/indices?v&s=index"},
		{name: "empty pieces", method: "GET", url: base + "/_search?&a=1&&b=2&"},
		{name: "semicolon", method: "GET", url: base + "/_search?q=a;b&c=d"},
		{name: "plus and %2B", method: "GET", url: base + "/_search?q=a+b%2Bc&r=%20"},
		{name: "query Japanese", method: "GET", url: base + "/_search?q=title:東京"},
		{name: "header in two cases", method: "GET", url: base + "/_search", header: http.Header{"X-Amz-Meta-A": {"1"}, "x-amz-meta-a": {"2"}}},
		{name: "header lower-case content-type", method: "POST", url: base + "/_search", header: http.Header{"content-type": {"application/json"}}},
		{name: "caller's x-amz-date lower case", method: "GET", url: base + "/", header: http.Header{"x-amz-date": {"20000101T000000Z"}}},
		{name: "IDN host", method: "GET", url: strings.Replace(base, "127.0.0.1", "logs.東京.example", 1) + "/idx/_doc/1"},
		{name: "IPv6 with zone", method: "GET", url: strings.Replace(base, "127.0.0.1", "[fe80::1%25lo]", 1) + "/idx/_doc/1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range c.header {
				req.Header[k] = v
			}
			got := mr.send(t, req)
			checkMeaning(t, c.url, req, got, "X-Amz-Meta-A", "Content-Type")
			if n := len(got.header.Values("X-Amz-Date")); n != 1 {
				t.Errorf("%d X-Amz-Date lines arrived, want the signer's one", n)
			}
			if u, _ := url.Parse(c.url); u != nil {
				wantHost, _ := idna.Lookup.ToASCII(u.Hostname())
				gotHost, _, _ := net.SplitHostPort(got.host)
				if strings.Contains(wantHost, "%") { // IPv6 zone: never sent
					wantHost = wantHost[:strings.IndexByte(wantHost, '%')]
				}
				if strings.Trim(gotHost, "[]") != wantHost {
					t.Errorf("host sent %q, want %q", got.host, wantHost)
				}
			}
			t.Logf("%-6s %-40s -> %s (%d)", c.method, callerTarget(c.url), got.target, got.status)
		})
	}
}

// FuzzWireMeaning sends fuzzed paths, queries and header values through
// the transport: every request that net/url accepts must be accepted by
// the verifying endpoint and mean on the wire what it meant.
func FuzzWireMeaning(f *testing.F) {
	f.Add("logs/_doc/..", "tag=b&tag=a", "v")
	f.Add("idx/_doc/a%2Fb c/./x//", "v&&q=a+b%2B;c", "  a \t b ")
	f.Add("東京%2F大阪", "q=title:東京&size=1&size=2", "日本")
	f.Add("<logs-{now%2Fd}>/_search", "%zz=1&=&a=%", "x")
	mr := newMeaningRig(f)
	f.Fuzz(func(t *testing.T, path, query, value string) {
		raw := mr.srv.URL + "/" + path
		if query != "" {
			raw += "?" + query
		}
		req, err := http.NewRequest("POST", raw, nil)
		if err != nil || req.URL.Fragment != "" || req.URL.RawQuery != query || strings.ContainsAny(raw, "#\x00") {
			return // not a URL a client could send as written
		}
		if strings.ContainsAny(value, "\r\n") || !validHeaderValue(value) {
			return
		}
		req.Header.Set("X-Amz-Meta-Fuzz", value)
		got := mr.send(t, req)
		checkMeaning(t, raw, req, got, "X-Amz-Meta-Fuzz")
	})
}

// validHeaderValue reports whether net/http sends v (it refuses control
// bytes other than tab).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
