package proxy_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearch "github.com/opensearch-project/opensearch-go/v2"
	opensearchapi2 "github.com/opensearch-project/opensearch-go/v2/opensearchapi"
	opensearchv4 "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/spool"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var keys = aws.Credentials{AccessKeyID: "AKIDPROXYTEST", SecretAccessKey: "proxy-test-secret", SessionToken: "proxy-test-token-0123456789"}

// setup starts a verifying upstream (in front of next, or a stand-in) and
// a proxy to it; it returns the proxy's URL.
func setup(t *testing.T, next http.Handler, fns ...func(*proxy.Options)) (proxyURL string, v *sigv4test.Handler, logs *testenv.Buffer) {
	t.Helper()
	if next == nil {
		next = standin.New()
	}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{keys}
		o.Region, o.Handler = "eu-west-1", next
	})
	if err != nil {
		t.Fatal(err)
	}
	up := httptest.NewServer(v)
	t.Cleanup(up.Close)
	logs = &testenv.Buffer{}
	return startProxy(t, up.URL, logs, fns...), v, logs
}

// startProxy starts a proxy to upstream that signs for eu-west-1 with keys
// and logs to logs (nowhere when nil), then fns; it returns its URL.
func startProxy(t testing.TB, upstream string, logs io.Writer, fns ...func(*proxy.Options)) string {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	p, err := proxy.New(upstream, append([]func(*proxy.Options){func(o *proxy.Options) {
		o.Transport = func(to *transport.Options) {
			to.Region = "eu-west-1"
			to.Credentials = credentials.NewStatic(keys.AccessKeyID, keys.SecretAccessKey, keys.SessionToken)
		}
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}}, fns...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// withoutToken signs with keys' id and secret and no session token.
func withoutToken(o *proxy.Options) {
	o.Transport = func(to *transport.Options) {
		to.Region, to.Credentials = "eu-west-1", credentials.NewStatic(keys.AccessKeyID, keys.SecretAccessKey, "")
	}
}

// TestUnsignedClientsThroughTheProxy: opensearch-go without a signer, and
// curl-style requests, reach the upstream signed.
func TestUnsignedClientsThroughTheProxy(t *testing.T) {
	url, v, logs := setup(t, nil)
	client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Index("books", strings.NewReader(`{"title":"東京物語"}`), client.Index.WithDocumentID("1"), client.Index.WithRefresh("true"))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("index: %v %v", res, err)
	}
	res.Body.Close()
	res, err = client.Search(client.Search.WithIndex("books"), client.Search.WithQuery("title:東京"))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("search: %v %v", res, err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), "東京物語") {
		t.Errorf("search: %s", b)
	}
	r, err := http.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader("{\"index\":{\"_index\":\"books\",\"_id\":\"2\"}}\n{\"title\":\"羅生門\"}\n"))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("bulk: %v %v", r, err)
	}
	r.Body.Close()
	if v.Accepted() != 3 || v.Rejected() != 0 {
		t.Errorf("upstream accepted %d, rejected %d", v.Accepted(), v.Rejected())
	}
	// The access-log line is written when the handler returns, which may
	// be just after the client has the response.
	for deadline := time.Now().Add(3 * time.Second); !strings.Contains(logs.String(), "path=/_bulk status=200"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no access log line:\n%s", logs)
		}
	}
	if strings.Contains(logs.String(), keys.SecretAccessKey) || strings.Contains(logs.String(), keys.SessionToken) {
		t.Errorf("the log shows a secret")
	}
}

// TestHealthWithoutUpstream: the health check answers without contacting
// the upstream.
func TestHealthWithoutUpstream(t *testing.T) {
	url, v, _ := setup(t, nil)
	res, err := http.Get(url + proxy.HealthPath)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	var body map[string]string
	json.NewDecoder(res.Body).Decode(&body)
	res.Body.Close()
	if body["status"] != "ok" || v.Accepted()+v.Rejected() != 0 {
		t.Errorf("body %v; upstream hit %d times", body, v.Accepted()+v.Rejected())
	}
}

// TestClientAuthorization: a client's own Authorization never reaches the
// upstream; a client that signs its requests itself (an SDK pointed at the
// proxy) has its signature, date, token and payload hash replaced by the
// proxy's, and this is logged once per client.
func TestClientAuthorization(t *testing.T) {
	var seen []string
	var mu sync.Mutex
	url, v, logs := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Write([]byte("{}"))
	}))
	req, _ := http.NewRequest("GET", url+"/", nil)
	req.SetBasicAuth("admin", "client-password")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "AWS4-HMAC-SHA256 ") {
		t.Errorf("upstream saw Authorization %q, want only the proxy's signature", seen)
	}
	for range 2 {
		req, _ = http.NewRequest("POST", url+"/idx/_search", strings.NewReader(`{"query":{"match_all":{}}}`))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDCLIENT/20261122/eu-west-1/es/aws4_request, SignedHeaders=host, Signature=00")
		req.Header.Set("X-Amz-Date", "20261122T000000Z")
		req.Header.Set("X-Amz-Security-Token", "the-clients-own-token")
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("a client's own SigV4: %d %s, want the request re-signed", res.StatusCode, b)
		}
	}
	if v.Accepted() != 3 || v.Rejected() != 0 || strings.Contains(strings.Join(seen, " "), "AKIDCLIENT") {
		t.Errorf("upstream accepted %d, rejected %d; Authorization seen %q", v.Accepted(), v.Rejected(), seen)
	}
	if n := strings.Count(logs.String(), "signs its requests itself"); n != 1 {
		t.Errorf("logged %d times that the client signs itself, want once:\n%s", n, logs)
	}
}

// TestDashboardsFlow: a redirect is not followed but handed back, with a
// Location that points at the upstream rewritten to the proxy; cookies and
// osd-xsrf pass through.
func TestDashboardsFlow(t *testing.T) {
	var upstreamURL string
	mux := http.NewServeMux()
	mux.HandleFunc("/_dashboards/app/home", func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie("security_authentication"); err != nil {
			http.Redirect(w, r, upstreamURL+"/_dashboards/login?nextUrl=%2F_dashboards%2Fapp%2Fhome", http.StatusFound)
			return
		}
		w.Write([]byte("home"))
	})
	mux.HandleFunc("/_dashboards/api/session", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Osd-Xsrf") != "true" {
			http.Error(w, "missing osd-xsrf", 400)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "security_authentication", Value: "s3ss10n", Path: "/"})
		w.Write([]byte("{}"))
	})
	v, _ := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{keys}
		o.Region, o.Handler = "eu-west-1", mux
	})
	up := httptest.NewServer(v)
	defer up.Close()
	upstreamURL = up.URL
	proxyURL := startProxy(t, up.URL, nil)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	res, err := noFollow.Get(proxyURL + "/_dashboards/app/home")
	if err != nil || res.StatusCode != 302 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/_dashboards/login?nextUrl=%2F_dashboards%2Fapp%2Fhome" {
		t.Errorf("Location %q, want the path on the proxy", loc)
	}
	req, _ := http.NewRequest("POST", proxyURL+"/_dashboards/api/session", strings.NewReader("{}"))
	req.Header.Set("osd-xsrf", "true")
	res, err = noFollow.Do(req)
	if err != nil || res.StatusCode != 200 || len(res.Cookies()) != 1 {
		t.Fatalf("session: %v %v", res, err)
	}
	res.Body.Close()
	req, _ = http.NewRequest("GET", proxyURL+"/_dashboards/app/home", nil)
	req.AddCookie(res.Cookies()[0])
	res, err = noFollow.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("home with the cookie: %v %v", res, err)
	}
	res.Body.Close()
}

// TestStreamingFlushesEveryKindOfResponse: whatever the upstream's
// framing, what it has written reaches the client while the rest is still
// to come, not when the response ends: each server-sent event, a chunked
// response (no length) chunk by chunk, and the header and first bytes of a
// response whose length is known within the proxy's flush delay.
func TestStreamingFlushesEveryKindOfResponse(t *testing.T) {
	for _, c := range []struct {
		name          string
		header, value string // set by the upstream
		first, later  string
	}{
		{"server-sent events", "Content-Type", "text/event-stream", "data: first\n\n", "data: second\n\n"},
		{"chunked", "", "", "first\n", "later\n"},
		{"known length", "Content-Length", "12", "first\n", "later\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url, _, _ := setup(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if c.header != "" {
					w.Header().Set(c.header, c.value)
				}
				w.Write([]byte(c.first))
				w.(http.Flusher).Flush()
				time.Sleep(time.Second)
				w.Write([]byte(c.later))
			}))
			start := time.Now()
			res, err := http.Get(url + "/_stream")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			line, _ := bufio.NewReader(res.Body).ReadString('\n')
			first := time.Since(start)
			t.Logf("time to the first line: %v (the response lasts 1 s)", first.Round(time.Millisecond))
			if want := c.first[:strings.IndexByte(c.first, '\n')+1]; line != want || first > 900*time.Millisecond { // the rest comes at 1 s
				t.Errorf("first line %q after %v, want %q at once", line, first, want)
			}
		})
	}
}

// TestUpstreamDown: an upstream that does not answer gets a 502 with a
// message, at once.
func TestUpstreamDown(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	proxyURL := startProxy(t, "http://"+addr, nil, withoutToken)
	res, err := http.Get(proxyURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 502 || !strings.Contains(string(b), "connection refused") {
		t.Errorf("%d %s", res.StatusCode, b)
	}
}

// TestRefusalLoggedWithDiagnosis: a refusal from AWS is logged with its
// diagnosis, and the client gets the body with the echoed token redacted.
func TestRefusalLoggedWithDiagnosis(t *testing.T) {
	url, _, logs := setup(t, nil, func(o *proxy.Options) {
		o.Transport = func(to *transport.Options) {
			to.Region = "eu-west-1"
			to.Credentials = credentials.NewStatic(keys.AccessKeyID, "a-wrong-secret", keys.SessionToken)
		}
	})
	res, err := http.Get(url + "/_cat/indices")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 403 || strings.Contains(string(b), keys.SessionToken) || !strings.Contains(string(b), "<redacted>") {
		t.Errorf("%d %s", res.StatusCode, b)
	}
	if !strings.Contains(logs.String(), "cause=\"signature mismatch\"") || strings.Contains(logs.String(), keys.SessionToken) {
		t.Errorf("log:\n%s", logs)
	}
}

func TestNewRefusesBadUpstreams(t *testing.T) {
	for _, u := range []string{"", "localhost:9200", "ftp://x", "https://x/some/path", "https://x/?q=1"} {
		if _, err := proxy.New(u); err == nil || !strings.Contains(err.Error(), "is not a URL such as") {
			t.Errorf("%q: %v", u, err)
		}
	}
}

// zeros yields n zero bytes without holding them.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.n {
		p = p[:z.n]
	}
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// TestLargeBodyMemoryBounded: a 256 MiB request body goes through the
// proxy (spooled once, hashed, sent from the spool) while the heap grows by
// far less than the body.
// TestManyLargeBodiesShareTheBudget: bodies spooled at once share one
// memory budget (spool.Budget), so memory does not grow with body size
// times their number. Eight 12 MiB bodies in flight together, each under
// its own 16 MiB bound, would hold 96 MiB; with a 16 MiB budget the heap
// grows by little more than the budget (one body in memory, the others
// in temporary files), and every byte still arrives. The metrics say what is
// held: a 4 MiB body alone is held in memory, whole, until it is sent.
func TestManyLargeBodiesShareTheBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("96 MiB through the proxy at once")
	}
	old := spool.Budget
	spool.Budget = 16 << 20
	defer func() { spool.Budget = old }()
	var arrived atomic.Int64
	var release chan struct{}
	var waiting sync.WaitGroup
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		waiting.Done()
		<-release // every body is spooled before any is sent on
		n, _ := io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Amz-Content-Sha256") == zerosHash(n) && strconv.FormatInt(n, 10) == r.Header.Get("X-Size") {
			arrived.Add(1)
		}
	}))
	defer up.Close()
	proxyURL := startProxy(t, up.URL, nil)

	// hold sends n bodies of size bytes at once and, once the upstream
	// holds them all, returns how far the heap rose and what the gauge
	// says; then it lets them through and waits for them.
	hold := func(n int, size int64) (growth, held int64) {
		arrived.Store(0)
		release = make(chan struct{})
		waiting.Add(n)
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stop := testenv.PeakHeap(5 * time.Millisecond)
		var done sync.WaitGroup
		for i := 0; i < n; i++ {
			done.Add(1)
			go func() {
				defer done.Done()
				req, _ := http.NewRequest("POST", proxyURL+"/_bulk", &zeros{size})
				req.ContentLength = size
				req.Header.Set("X-Size", strconv.FormatInt(size, 10))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
			}()
		}
		waiting.Wait()
		peak := stop()
		held = spooledGauge(t, proxyURL)
		close(release)
		done.Wait()
		if arrived.Load() != int64(n) {
			t.Errorf("%d of %d bodies arrived whole and as signed", arrived.Load(), n)
		}
		for i := 0; i < 100 && spooledGauge(t, proxyURL) != 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if g := spooledGauge(t, proxyURL); g != 0 {
			t.Errorf("sigv4_proxy_spooled_body_bytes is %d once every body was sent, want 0", g)
		}
		return int64(peak) - int64(base.HeapInuse), held
	}

	g, held := hold(8, 12<<20)
	t.Logf("8 bodies of 12 MiB spooled at once: heap in use grew by %d MiB at most (budget %d MiB), %d MiB held in memory", g>>20, spool.Budget>>20, held>>20)
	if g > 40<<20 || held > spool.Budget {
		t.Errorf("heap grew by %d MiB and %d MiB held with a 16 MiB budget: the bodies did not share it", g>>20, held>>20)
	}
	if held != 12<<20 {
		t.Errorf("%d bytes held in memory, want one whole body's (12 MiB): the others wait in files from their first byte", held)
	}
	if _, held = hold(1, 4<<20); held != 4<<20 {
		t.Errorf("a 4 MiB body alone: sigv4_proxy_spooled_body_bytes %d while it was held, want %d", held, 4<<20)
	}
}

// spooledGauge reads sigv4_proxy_spooled_body_bytes from the proxy.
func spooledGauge(t *testing.T, url string) int64 {
	t.Helper()
	res, err := http.Get(url + proxy.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "sigv4_proxy_spooled_body_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return int64(f)
		}
	}
	t.Fatal("no sigv4_proxy_spooled_body_bytes in the metrics")
	return 0
}

// zerosHash is the hex SHA-256 of n zero bytes.
func zerosHash(n int64) string {
	h := sha256.New()
	io.Copy(h, &zeros{n})
	return hex.EncodeToString(h.Sum(nil))
}

func TestLargeBodyMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB and 1 GiB through the proxy")
	}
	var got atomic.Int64
	// The upstream for this test only drains the body: sigv4test reads a
	// body whole to check its hash, which would measure the verifier.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") || r.Header.Get("X-Amz-Content-Sha256") == "" {
			http.Error(w, "unsigned", http.StatusForbidden)
		}
	}))
	defer up.Close()
	proxyURL := startProxy(t, up.URL, nil, func(o *proxy.Options) { o.MaxBody = -1 }) // no limit: 1 GiB goes through

	// growth sends size bytes through the proxy and returns how far the
	// heap in use rose above where it started, sampled every 5 ms.
	growth := func(size int64) int64 {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		stop := testenv.PeakHeap(5 * time.Millisecond)
		req, _ := http.NewRequest("POST", proxyURL+"/_bulk", &zeros{size})
		req.ContentLength = size
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		peak := stop()
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || got.Load() != size {
			t.Fatalf("%d MiB: status %d, upstream got %d bytes", size>>20, res.StatusCode, got.Load())
		}
		g := int64(peak) - int64(base.HeapInuse)
		t.Logf("%4d MiB body through the proxy in %v: heap in use grew by %d MiB at most", size>>20, time.Since(start).Round(time.Millisecond), g>>20)
		return g
	}
	small, large := growth(64<<20), growth(1<<30)
	// Bounded means the same few buffers whatever the size: 16 times the
	// body may not cost more than a spool's memory bound beyond the small
	// one's peak.
	if large > 64<<20 || large-small > 32<<20 {
		t.Errorf("heap grew by %d MiB for 64 MiB and %d MiB for 1 GiB: not bounded", small>>20, large>>20)
	}
}

// TestMetrics: the Prometheus endpoint counts requests by method and code,
// refusals by cause, bytes and credential fetches, without contacting the
// upstream itself.
func TestMetrics(t *testing.T) {
	url, v, _ := setup(t, nil, func(o *proxy.Options) {
		o.Transport = func(to *transport.Options) {
			to.Region = "eu-west-1"
			to.Credentials = credentials.NewStatic(keys.AccessKeyID, "a-wrong-secret", keys.SessionToken)
		}
	})
	for i := 0; i < 2; i++ {
		res, err := http.Post(url+"/idx/_doc", "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	hits := v.Accepted() + v.Rejected()
	// A request is counted when its handler returns, which may be just
	// after the client has the whole response: poll briefly.
	var b []byte
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res, err := http.Get(url + proxy.MetricsPath)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("%v %v", res, err)
		}
		b, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), `sigv4_proxy_requests_total{code="403",method="POST"} 2`) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{
		`sigv4_proxy_requests_total{code="403",method="POST"} 2`,
		`sigv4_proxy_refusals_total{cause="signature mismatch"} 2`,
		`sigv4_proxy_request_bytes_total 14`,
		`sigv4_proxy_credential_fetches_total 1`,
		`sigv4_proxy_request_duration_seconds_count{method="POST"} 2`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	if v.Accepted()+v.Rejected() != hits {
		t.Error("the metrics endpoint reached the upstream")
	}
}

// TestSlowUpstream: an upstream that does not answer in time gets the
// client a 504 with a message, not a hang.
func TestSlowUpstream(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer up.Close()
	defer close(release)
	proxyURL := startProxy(t, up.URL, nil, withoutToken, func(o *proxy.Options) { o.UpstreamTimeout = 200 * time.Millisecond })
	start := time.Now()
	res, err := http.Get(proxyURL + "/_search")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(b), "timeout") || time.Since(start) > 3*time.Second {
		t.Errorf("%d %s after %v", res.StatusCode, b, time.Since(start))
	}
}

// TestClientDisconnectsMidBody: a client that goes away in the middle of
// its body sends nothing upstream, and the proxy serves the next request.
func TestClientDisconnectsMidBody(t *testing.T) {
	url, v, _ := setup(t, nil)
	host := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "POST /_bulk HTTP/1.1\r\nHost: "+host+"\r\nContent-Type: application/x-ndjson\r\nContent-Length: 1048576\r\n\r\n")
	io.WriteString(c, strings.Repeat("x", 64<<10))
	c.Close()
	time.Sleep(200 * time.Millisecond)
	if n := v.Accepted() + v.Rejected(); n != 0 {
		t.Errorf("the upstream got %d requests from a body that never ended", n)
	}
	res, err := http.Get(url + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("the next request: %v %v", res, err)
	}
	res.Body.Close()
}

// TestOpenSearchGoV4ThroughTheProxy: opensearch-go v4 without a signer.
func TestOpenSearchGoV4ThroughTheProxy(t *testing.T) {
	url, v, _ := setup(t, nil)
	client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearchv4.Config{Addresses: []string{url}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := client.Index(ctx, opensearchapi.IndexReq{Index: "books", DocumentID: "1", Body: strings.NewReader(`{"title":"東京物語"}`)}); err != nil {
		t.Fatalf("index: %v", err)
	}
	resp, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{"books"}, Params: opensearchapi.SearchParams{Query: "title:東京"}})
	if err != nil || resp.Hits.Total.Value != 1 {
		t.Fatalf("search: %v %v", resp, err)
	}
	if v.Accepted() != 2 || v.Rejected() != 0 {
		t.Errorf("upstream accepted %d, rejected %d", v.Accepted(), v.Rejected())
	}
}

// bulkBooks indexes n documents with Japanese titles through the proxy and
// returns their ids.
func bulkBooks(t *testing.T, url string, n int) map[string]bool {
	t.Helper()
	var b strings.Builder
	want := map[string]bool{}
	for i := range n {
		id := "本-" + strconv.Itoa(i)
		want[id] = true
		fmt.Fprintf(&b, "{\"index\":{\"_index\":\"books\",\"_id\":%q}}\n{\"title\":\"吾輩は猫である 第%d巻\"}\n", id, i)
	}
	r, err := http.Post(url+"/_bulk", "application/x-ndjson", strings.NewReader(b.String()))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("bulk: %v %v", r, err)
	}
	r.Body.Close()
	return want
}

// TestScrollThroughTheProxy: opensearch-go v2 (scroll id in the query) and
// v4 (scroll id in the body, then in the path to free it) page through 25
// documents 10 at a time without a signer of their own; every page comes
// back, no document twice, and the freed scroll is gone.
func TestScrollThroughTheProxy(t *testing.T) {
	t.Run("v2", func(t *testing.T) {
		url, v, _ := setup(t, nil)
		want := bulkBooks(t, url, 25)
		client, err := opensearch.NewClient(opensearch.Config{Addresses: []string{url}})
		if err != nil {
			t.Fatal(err)
		}
		type page struct {
			ScrollID string `json:"_scroll_id"`
			Hits     struct {
				Hits []struct {
					ID     string          `json:"_id"`
					Source json.RawMessage `json:"_source"`
				} `json:"hits"`
			} `json:"hits"`
		}
		decode := func(res *opensearchapi2.Response, err error) page {
			t.Helper()
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("%v %v", res, err)
			}
			defer res.Body.Close()
			var p page
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		p := decode(client.Search(client.Search.WithIndex("books"), client.Search.WithQuery("吾輩"), client.Search.WithSize(10), client.Search.WithScroll(time.Minute)))
		got, sizes := map[string]bool{}, []int{}
		for len(p.Hits.Hits) > 0 {
			sizes = append(sizes, len(p.Hits.Hits))
			for _, h := range p.Hits.Hits {
				if got[h.ID] || !want[h.ID] || !strings.Contains(string(h.Source), "吾輩は猫である") {
					t.Fatalf("hit %q %s: repeated or not indexed", h.ID, h.Source)
				}
				got[h.ID] = true
			}
			if len(sizes) > 5 {
				t.Fatal("the scroll does not end")
			}
			p = decode(client.Scroll(client.Scroll.WithScrollID(p.ScrollID), client.Scroll.WithScroll(time.Minute)))
		}
		if fmt.Sprint(sizes) != "[10 10 5]" || len(got) != 25 {
			t.Errorf("pages %v, %d distinct documents; want [10 10 5], 25", sizes, len(got))
		}
		if v.Rejected() != 0 || v.Accepted() != 5 {
			t.Errorf("upstream accepted %d, rejected %d; want 5, 0", v.Accepted(), v.Rejected())
		}
	})
	t.Run("v4", func(t *testing.T) {
		url, v, _ := setup(t, nil)
		want := bulkBooks(t, url, 25)
		client, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearchv4.Config{Addresses: []string{url}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		size := 10
		resp, err := client.Search(ctx, &opensearchapi.SearchReq{Indices: []string{"books"}, Params: opensearchapi.SearchParams{Query: "吾輩", Size: &size, Scroll: time.Minute}})
		if err != nil || resp.ScrollID == nil {
			t.Fatalf("search: %v %v", resp, err)
		}
		id := *resp.ScrollID
		hits := resp.Hits.Hits
		got, sizes := map[string]bool{}, []int{}
		for len(hits) > 0 {
			sizes = append(sizes, len(hits))
			for _, h := range hits {
				if got[h.ID] || !want[h.ID] {
					t.Fatalf("hit %q: repeated or not indexed", h.ID)
				}
				got[h.ID] = true
			}
			if len(sizes) > 5 {
				t.Fatal("the scroll does not end")
			}
			next, err := client.Scroll.Get(ctx, opensearchapi.ScrollGetReq{ScrollID: id, Params: opensearchapi.ScrollGetParams{Scroll: time.Minute}})
			if err != nil {
				t.Fatalf("scroll: %v", err)
			}
			hits = next.Hits.Hits
		}
		if fmt.Sprint(sizes) != "[10 10 5]" || len(got) != 25 {
			t.Errorf("pages %v, %d distinct documents; want [10 10 5], 25", sizes, len(got))
		}
		// The id ends in '=' padding and goes in the path here: signed as
		// %3D, sent as written, read back as the same id.
		del, err := client.Scroll.Delete(ctx, opensearchapi.ScrollDeleteReq{ScrollIDs: []string{id}})
		if err != nil || del.NumFreed != 1 {
			t.Fatalf("clear scroll: %+v %v", del, err)
		}
		if _, err := client.Scroll.Get(ctx, opensearchapi.ScrollGetReq{ScrollID: id}); err == nil || !strings.Contains(err.Error(), "search_context_missing_exception") {
			t.Errorf("a freed scroll answered: %v", err)
		}
		if v.Rejected() != 0 || v.Accepted() != 7 {
			t.Errorf("upstream accepted %d, rejected %d; want 7, 0", v.Accepted(), v.Rejected())
		}
	})
}

// TestEveryRefusalLoggedWithDiagnosis: a refusal that is not a 401 or a
// 403 (a 429 from a full write queue, a 413 from the front door) is logged
// with its diagnosis and counted by cause, as the 403s are.
func TestEveryRefusalLoggedWithDiagnosis(t *testing.T) {
	bodies := map[string]struct {
		status int
		body   string
	}{
		"/throttled/_search": {http.StatusTooManyRequests, `429 Too Many Requests /throttled/_search`},
		"/large/_bulk":       {http.StatusRequestEntityTooLarge, `{"Message":"Request size exceeded 10485760 bytes"}`},
	}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := bodies[r.URL.Path]
		w.WriteHeader(b.status)
		io.WriteString(w, b.body)
	}))
	defer up.Close()
	var logs testenv.Buffer
	url := startProxy(t, up.URL, &logs, withoutToken, func(o *proxy.Options) { o.PublicMetrics = true })
	for path := range bodies {
		res, err := http.Post(url+path, "application/json", strings.NewReader("{}\n"))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	var metrics []byte
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		res, err := http.Get(url + proxy.MetricsPath)
		if err != nil {
			t.Fatal(err)
		}
		metrics, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(metrics), `cause="request too large"`) || time.Now().After(deadline) {
			break
		}
	}
	for _, cause := range []string{"request throttling", "request too large"} {
		if !strings.Contains(logs.String(), "cause=\""+cause+"\"") {
			t.Errorf("the log has no refusal with cause %q:\n%s", cause, logs.String())
		}
		if !strings.Contains(string(metrics), `sigv4_proxy_refusals_total{cause="`+cause+`"} 1`) {
			t.Errorf("the metrics do not count %q:\n%s", cause, metrics)
		}
	}
}
