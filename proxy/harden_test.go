package proxy_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/proxy"
)

// counting is an upstream handler that counts what reaches it.
type counting struct {
	hits atomic.Int64
	next http.Handler
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.hits.Add(1)
	if c.next != nil {
		c.next.ServeHTTP(w, r)
		return
	}
	io.Copy(io.Discard, r.Body)
	io.WriteString(w, "{}")
}

// raw writes a request (request line, headers, body as given) on a new
// connection and returns the response, or nil when the connection closed
// without one.
func raw(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, request)
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(res.Body)
	res.Body = io.NopCloser(strings.NewReader(string(b)))
	return res
}

func bodyOf(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestOwnPathsNeverForwarded: every spelling of a path under /_sigv4/ is
// the proxy's own: nothing reaches the upstream, whatever the method, and
// only GET and HEAD are answered (405 otherwise). The health check needs
// no authentication; the metrics do, unless made public. Before the fix
// `/_sigv4%2Fhealth` passed the listener's authentication and was signed
// and forwarded, DELETE and POST included.
func TestOwnPathsNeverForwarded(t *testing.T) {
	up := &counting{}
	var refused atomic.Int64
	deny := func(o *proxy.Options) {
		o.Authenticate = func(w http.ResponseWriter, r *http.Request) bool {
			refused.Add(1)
			http.Error(w, "no", http.StatusUnauthorized)
			return false
		}
	}
	url, _, _ := setup(t, up, deny)
	addr := strings.TrimPrefix(url, "http://")
	for _, path := range []string{"/_sigv4/health", "/_sigv4%2Fhealth", "/_sigv4%2fhealth", "/%5Fsigv4/health", "/%5fsigv4%2Fhealth",
		"/_SIGV4/health", "/_Sigv4/Health", "/x/../_sigv4/health", "/./_sigv4/health", "//_sigv4//health", "/_sigv4%252Fhealth",
		"/_sigv4/metrics", "/_sigv4%2Fmetrics", "/_sigv4/", "/_sigv4", "/_sigv4/other", "/_sigv4/health/../../idx/_doc/1"} {
		for _, method := range []string{"GET", "HEAD", "DELETE", "POST", "PUT"} {
			body := ""
			if method == "POST" || method == "PUT" {
				body = `{"a":1}`
			}
			res := raw(t, addr, method+" "+path+" HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
			if res == nil {
				t.Errorf("%s %s: no answer", method, path)
				continue
			}
			name := strings.ToLower(path)
			want := http.StatusNotFound
			switch {
			case method != "GET" && method != "HEAD":
				want = http.StatusMethodNotAllowed
			case strings.Contains(name, "/."):
				// A dot segment: the proxy's own in one reading, something
				// else in another; answered 404, never forwarded.
			case strings.HasSuffix(name, "health"):
				want = http.StatusOK // in any encoding, even decoded twice
			case strings.HasSuffix(name, "metrics"):
				want = http.StatusUnauthorized
			}
			if res.StatusCode != want {
				t.Errorf("%s %s: %d, want %d", method, path, res.StatusCode, want)
			}
			if want == http.StatusMethodNotAllowed && res.Header.Get("Allow") != "GET, HEAD" {
				t.Errorf("%s %s: 405 without Allow: GET, HEAD", method, path)
			}
		}
	}
	if n := up.hits.Load(); n != 0 {
		t.Errorf("the upstream got %d requests for the proxy's own paths", n)
	}
	// Everything else still needs authentication.
	if res := raw(t, addr, "GET /idx/_search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); res == nil || res.StatusCode != 401 {
		t.Errorf("an ordinary path without authentication: %v", res)
	}
	// Public metrics need none.
	url2, _, _ := setup(t, up, deny, func(o *proxy.Options) { o.PublicMetrics = true })
	res, err := http.Get(url2 + proxy.MetricsPath)
	if err != nil || res.StatusCode != 200 {
		t.Errorf("public metrics: %v %v", res, err)
	} else {
		res.Body.Close()
	}
}

// TestBodyLimit: a body larger than MaxBody is answered 413 in
// OpenSearch's error shape: before a byte of it is read when its length is
// declared, and once it passes the limit when it is chunked. Nothing
// reaches the upstream. Before the fix any size was spooled and sent.
func TestBodyLimit(t *testing.T) {
	up := &counting{}
	url, _, _ := setup(t, up, func(o *proxy.Options) { o.MaxBody = 1 << 20 })
	addr := strings.TrimPrefix(url, "http://")
	// Declared: the headers alone get the answer.
	res := raw(t, addr, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: 104857600\r\n\r\n")
	if res == nil || res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("declared 100 MiB over a 1 MiB limit: %v", res)
	}
	var e struct {
		Error struct {
			RootCause []struct{ Type, Reason string } `json:"root_cause"`
			Type      string                          `json:"type"`
			Reason    string                          `json:"reason"`
		} `json:"error"`
		Status int `json:"status"`
	}
	if err := json.Unmarshal([]byte(bodyOf(res)), &e); err != nil || e.Status != 413 || len(e.Error.RootCause) != 1 || e.Error.Type == "" || !strings.Contains(e.Error.Reason, "--max-body") {
		t.Errorf("413 body is not OpenSearch's error shape: %+v %v", e, err)
	}
	// Chunked: cut off at the limit.
	req, _ := http.NewRequest("POST", url+"/_bulk", io.LimitReader(&zeros{8 << 20}, 8<<20))
	req.ContentLength = -1
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked 8 MiB over a 1 MiB limit: %d", r.StatusCode)
	}
	// At the limit: through.
	r, err = http.Post(url+"/_bulk", "application/x-ndjson", io.LimitReader(&zeros{1 << 20}, 1<<20))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("exactly 1 MiB: %v %v", r, err)
	}
	r.Body.Close()
	if n := up.hits.Load(); n != 1 {
		t.Errorf("the upstream got %d requests, want the one within the limit", n)
	}
}

// openSpoolFiles counts this process's open descriptors of spool files.
func openSpoolFiles(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("this test reads /proc/self/fd: %v", err)
	}
	n := 0
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.Contains(l, "sigv4-body-") {
			n++
		}
	}
	return n
}

// TestSpoolFilesClosedWhenTheRequestEnds: a body large enough to be
// spooled to a temporary file leaves no open descriptor once its request
// has ended, without waiting for the garbage collector: on success, after
// an upstream failure and after a refusal. Before the fix the unlinked
// file stayed open (and its disk space held) until the spool was
// collected.
func TestSpoolFilesClosedWhenTheRequestEnds(t *testing.T) {
	var mode atomic.Value
	mode.Store("ok")
	url, _, _ := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if mode.Load() == "fail" {
			w.WriteHeader(500)
		}
	}))
	for _, m := range []string{"ok", "fail"} {
		mode.Store(m)
		const size = 20 << 20 // past the 16 MiB a spool keeps in memory
		res, err := http.Post(url+"/_bulk", "application/x-ndjson", io.LimitReader(&zeros{size}, size))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		var n int
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if n = openSpoolFiles(t); n == 0 || time.Now().After(deadline) {
				break
			}
		}
		if n != 0 {
			t.Errorf("%s: %d spool files still open after the request ended", m, n)
		}
	}
}

// TestMetricLabelsAreAFixedSet: methods a client invents are counted as
// "other", so that they cannot grow the metrics without bound. Before the
// fix each method was a label value of its own.
func TestMetricLabelsAreAFixedSet(t *testing.T) {
	url, _, _ := setup(t, &counting{})
	addr := strings.TrimPrefix(url, "http://")
	for i := range 20 {
		raw(t, addr, "X"+strings.Repeat("Y", 100)+strconv.Itoa(i)+" /idx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	}
	var b string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get(url + proxy.MetricsPath)
		if err != nil {
			t.Fatal(err)
		}
		b = bodyOf(res)
		if strings.Contains(b, `method="other"} 20`) || time.Now().After(deadline) {
			break
		}
	}
	if strings.Contains(b, "XYYY") || !strings.Contains(b, `method="other"} 20`) {
		t.Errorf("invented methods in the metrics:\n%s", b)
	}
}

// TestHalfClosedClientGetsItsAnswer: a client that sends a whole request
// and half-closes its socket gets the upstream's answer, and the upstream
// got the request. Before the fix the request was never forwarded, and the
// client got 200 with an empty body.
func TestHalfClosedClientGetsItsAnswer(t *testing.T) {
	var got atomic.Int64
	url, _, logs := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		io.WriteString(w, `{"took":1,"errors":false}`)
	}))
	addr := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	body := strings.Repeat(`{"index":{"_index":"logs"}}`+"\n"+`{"m":"x"}`+"\n", 20000)
	io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body)
	c.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer after a half-close: %v", err)
	}
	b := bodyOf(res)
	if res.StatusCode != 200 || b != `{"took":1,"errors":false}` || got.Load() != int64(len(body)) {
		t.Errorf("%d %q; upstream got %d of %d bytes", res.StatusCode, b, got.Load(), len(body))
	}
	waitLog(t, logs, "path=/_bulk status=200")
}

func waitLog(t *testing.T, logs interface{ String() string }, want string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(logs.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", want, logs)
		}
	}
}

// TestAbortedUploadIs499: a client that goes away before its body is
// complete is logged and counted as 499 (as nginx does), never 200, and
// gets no answer. Before the fix the log and the metrics said 200.
func TestAbortedUploadIs499(t *testing.T) {
	up := &counting{}
	url, _, logs := setup(t, up)
	addr := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n"+strings.Repeat("x", 1000))
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if res, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
		t.Errorf("an aborted upload was answered %d", res.StatusCode)
	}
	c.Close()
	waitLog(t, logs, "path=/_bulk status=499")
	res, err := http.Get(url + proxy.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	if b := bodyOf(res); !strings.Contains(b, `sigv4_proxy_requests_total{code="499",method="POST"} 1`) || strings.Contains(b, `code="200",method="POST"`) {
		t.Errorf("metrics:\n%s", b)
	}
	if up.hits.Load() != 0 {
		t.Error("an incomplete body reached the upstream")
	}
}

// TestUnfinishedBodyTimesOut: a body that stops arriving is answered 408
// after BodyTimeout, and nothing is forwarded. Before the fix the request
// was held for ever (and SIGTERM waited for it).
func TestUnfinishedBodyTimesOut(t *testing.T) {
	up := &counting{}
	url, _, logs := setup(t, up, func(o *proxy.Options) { o.BodyTimeout = 300 * time.Millisecond })
	start := time.Now()
	res := raw(t, strings.TrimPrefix(url, "http://"), "POST /_bulk HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("x", 10))
	if res == nil || res.StatusCode != http.StatusRequestTimeout || time.Since(start) > 5*time.Second {
		t.Fatalf("after %v: %v", time.Since(start), res)
	}
	waitLog(t, logs, "status=408")
	if up.hits.Load() != 0 {
		t.Error("an unfinished body reached the upstream")
	}
}

// TestMalformedBodyIsTheClients: a body that is not valid HTTP framing is
// answered 400 and logged as the client's, not as an upstream failure
// (502). Before the fix it was a 502 "upstream failed".
func TestMalformedBodyIsTheClients(t *testing.T) {
	up := &counting{}
	url, _, logs := setup(t, up)
	res := raw(t, strings.TrimPrefix(url, "http://"), "POST /_bulk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz-not-hex\r\nabc\r\n0\r\n\r\n")
	if res == nil || res.StatusCode != http.StatusBadRequest {
		t.Fatalf("%v", res)
	}
	waitLog(t, logs, "malformed request body")
	if strings.Contains(logs.String(), "upstream failed") || up.hits.Load() != 0 {
		t.Errorf("logged as the upstream's failure, or forwarded:\n%s", logs)
	}
}

// TestClientPayloadHashIgnored: a client's X-Amz-Content-Sha256
// (UNSIGNED-PAYLOAD, or another body's hash) is never signed: the proxy
// hashes the body it sends. Before the fix the client's value was signed
// as given.
func TestClientPayloadHashIgnored(t *testing.T) {
	var mu sync.Mutex
	var wrong []string
	url, v, _ := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sum := sha256.Sum256(b)
		if got := r.Header.Get("X-Amz-Content-Sha256"); got != hex.EncodeToString(sum[:]) {
			mu.Lock()
			wrong = append(wrong, got)
			mu.Unlock()
		}
	}))
	other := sha256.Sum256([]byte("another body"))
	for _, h := range []string{"UNSIGNED-PAYLOAD", hex.EncodeToString(other[:])} {
		req, _ := http.NewRequest("POST", url+"/idx/_doc", strings.NewReader(`{"a":1}`))
		req.Header.Set("X-Amz-Content-Sha256", h)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if len(wrong) != 0 || v.Accepted() != 2 {
		t.Errorf("the upstream saw payload hashes %q that are not the body's; accepted %d", wrong, v.Accepted())
	}
}

// TestLocationNotFromTheClientsHost: a Location pointing at the upstream
// is rewritten to the proxy's configured address, or to a path, never to
// the Host header the client sent; a Location elsewhere is left alone.
// Before the fix the client's Host became the redirect's host.
func TestLocationNotFromTheClientsHost(t *testing.T) {
	var upstreamURL string
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/elsewhere":
			w.Header().Set("Location", "https://login.example.com/sso?x=1")
		default:
			w.Header().Set("Location", upstreamURL+"/_dashboards/login?next=%2Fapp")
		}
		w.WriteHeader(http.StatusFound)
	})
	up := httptest.NewServer(handler)
	defer up.Close()
	upstreamURL = up.URL
	for _, c := range []struct {
		public, path, want string
	}{
		{"", "/x", "/_dashboards/login?next=%2Fapp"},
		{"https://proxy.internal:9443", "/x", "https://proxy.internal:9443/_dashboards/login?next=%2Fapp"},
		{"", "/elsewhere", "https://login.example.com/sso?x=1"},
	} {
		purl := startProxy(t, up.URL, nil, withoutToken, func(o *proxy.Options) { o.PublicURL = c.public })
		res := raw(t, strings.TrimPrefix(purl, "http://"), "GET "+c.path+" HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
		if res == nil || res.Header.Get("Location") != c.want {
			loc := ""
			if res != nil {
				loc = res.Header.Get("Location")
			}
			t.Errorf("public %q, %s: Location %q, want %q", c.public, c.path, loc, c.want)
		}
	}
}

// TestUpgradeRefused: after an upstream's 101 the client's raw bytes would
// go upstream unsigned; the proxy refuses the switch (502) and the
// upstream gets no byte beyond the signed request. Before the fix the
// bytes went through.
func TestUpgradeRefused(t *testing.T) {
	var mu sync.Mutex
	var after []byte
	var upgradeAsked atomic.Bool
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upgradeAsked.Store(r.Header.Get("Upgrade") != "")
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		brw.Flush()
		c.SetReadDeadline(time.Now().Add(time.Second))
		b, _ := io.ReadAll(brw)
		mu.Lock()
		after = b
		mu.Unlock()
	}))
	defer up.Close()
	purl := startProxy(t, up.URL, nil, withoutToken)
	c, err := net.Dial("tcp", strings.TrimPrefix(purl, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /_stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil && res.StatusCode == http.StatusSwitchingProtocols {
		io.WriteString(c, "RAW-UNSIGNED-BYTES")
	}
	time.Sleep(1200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if err != nil || res.StatusCode != http.StatusBadGateway || strings.Contains(string(after), "RAW-UNSIGNED") {
		st := 0
		if res != nil {
			st = res.StatusCode
		}
		t.Errorf("status %d (%v); the upstream got %q after the switch", st, err, after)
	}
	if upgradeAsked.Load() {
		t.Error("the client's Upgrade reached the upstream")
	}
}

// TestUpstreamPasswordNeverShown: an upstream URL with a password is
// refused by New, with the password hidden. Before the fix the health
// check, the start-up log and every 502 body showed it.
func TestUpstreamPasswordNeverShown(t *testing.T) {
	for _, u := range []string{"https://admin:hunter2pw@search-x.eu-west-1.es.amazonaws.com", "https://admin:hunter2pw@host:bad/x"} {
		_, err := proxy.New(u, withoutToken)
		if err == nil || strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("%v", err)
		}
	}
}
