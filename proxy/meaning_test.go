package proxy_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
)

// The meaning check through the proxy: what OpenSearch would read from the
// request line a client wrote and from the request line the upstream
// received must be the same. The client is a raw socket, since Go's own
// client would normalise the target before the proxy saw it. The reading
// below is OpenSearch's, written without net/url: path split on '/', empty
// segments dropped, each segment percent-decoded, no dot resolution; query
// split on '&' and the first '=', '+' a space, percent-decoded, the last
// value of a repeated key wins; a '%' without two hex digits stands for
// itself.

// meaningRig is a verifying upstream that records the raw request target
// of the last request, behind a proxy.
type meaningRig struct {
	proxyAddr string
	mu        sync.Mutex
	target    string
	status    int
	hits      int
}

func newMeaningRig(t testing.TB) *meaningRig {
	t.Helper()
	mr := &meaningRig{}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{keys}
		o.Region = "eu-west-1"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, r)
		mr.mu.Lock()
		mr.target, mr.status = r.RequestURI, rec.Code
		mr.hits++
		mr.mu.Unlock()
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(up.Close)
	mr.proxyAddr = strings.TrimPrefix(startProxy(t, up.URL, nil), "http://")
	return mr
}

// rawRequest writes method target as a request line on a new connection to
// addr and returns the response's status (0 when none came).
func rawRequest(t testing.TB, addr, method, target string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, method+" "+target+" HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// send sends target through the proxy and returns what the upstream
// received and its status, or "" when the upstream received nothing.
func (mr *meaningRig) send(t testing.TB, method, target string) (got string, proxyStatus, upstreamStatus int) {
	mr.mu.Lock()
	before := mr.hits
	mr.mu.Unlock()
	proxyStatus = rawRequest(t, mr.proxyAddr, method, target)
	mr.mu.Lock()
	defer mr.mu.Unlock()
	if mr.hits == before {
		return "", proxyStatus, 0
	}
	return mr.target, proxyStatus, mr.status
}

// meaningCases are request targets that changed meaning on the way through
// httputil.ReverseProxy's URL handling, or through a decode and re-encode.
var meaningCases = []string{
	"/_search?q=title:100%&size=1",
	"/_search?a=1;b=2&size=1",
	"/_search?b=2&a=1&q=100%",
	"/_search?%",
	"/_search?q=%zz&x=1",
	"/_search?q=a+b%2Bc&r=%20",
	"/_search?tag=b&tag=a",
	"/_search?size=10&q=x&size=1&size=5",
	"/_search?&a=1&&b=2&",
	"/_cat/indices?v&s=index",
	"/<logs-{now%2Fd}>/_search",
	"/%3Clogs-%7Bnow%2Fd%7D%3E/_search",
	"/idx/_doc/a%2Fb",
	"/idx/_doc/{a%2Fb}",
	"/idx/_doc/a+b",
	"/idx/_doc/a%20b",
	"/idx/_doc/a;b",
	"/idx/_doc/東京%2F大阪",
	"/logs/_doc/.",
	"/logs/_doc/..",
	"/logs/_doc/../../_all",
	"/./logs/_search",
	"//idx//_search/",
	"/idx/_doc/%2E%2E",
}

// TestProxyKeepsMeaning sends each target through the proxy on a raw
// socket and checks that the upstream accepted the signature and read the
// same path segments and parameters as the client wrote.
func TestProxyKeepsMeaning(t *testing.T) {
	mr := newMeaningRig(t)
	for _, target := range meaningCases {
		got, ps, us := mr.send(t, "GET", target)
		equal := got != "" && testenv.ReadTarget(target).Equal(testenv.ReadTarget(got))
		t.Logf("| `%s` | `%s` | %d | %v |", target, got, us, equal)
		switch {
		case got == "":
			t.Errorf("%s: nothing reached the upstream (the proxy answered %d)", target, ps)
		case !equal:
			t.Errorf("%s: the client meant %q, the upstream received %s meaning %q", target, testenv.ReadTarget(target), got, testenv.ReadTarget(got))
		case us != http.StatusOK || ps != http.StatusOK:
			t.Errorf("%s: upstream %d, proxy %d (sent %s)", target, us, ps, got)
		}
	}
}

// FuzzProxyMeaning drives the same check with fuzzed paths and queries:
// whatever request line the proxy forwards must mean upstream what it
// meant from the client, and be signed so that the upstream accepts it.
func FuzzProxyMeaning(f *testing.F) {
	for _, c := range meaningCases {
		p, q, _ := strings.Cut(c, "?")
		f.Add(p, q)
	}
	mr := newMeaningRig(f)
	f.Fuzz(func(t *testing.T, path, query string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " \t\r\n\x00#?") || strings.Contains(strings.ToLower(path), "sigv4") {
			return // not one request target, or the proxy's own path
		}
		target := path
		if query != "" {
			target += "?" + query
		}
		got, ps, us := mr.send(t, "GET", target)
		if got == "" {
			if ps == http.StatusOK {
				t.Fatalf("%s: the proxy answered 200 without reaching the upstream", target)
			}
			return // refused at the door (400 for a target net/http cannot parse)
		}
		if !testenv.ReadTarget(target).Equal(testenv.ReadTarget(got)) {
			t.Fatalf("%s: the client meant %q, the upstream received %s meaning %q", target, testenv.ReadTarget(target), got, testenv.ReadTarget(got))
		}
		if us != http.StatusOK {
			t.Fatalf("%s: the upstream refused %s with %d", target, got, us)
		}
	})
}
