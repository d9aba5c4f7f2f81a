// Package proxy is a signing reverse proxy: an http.Handler that forwards
// every request to one upstream (an Amazon OpenSearch Service domain or
// Serverless collection) and signs it with AWS Signature Version 4 on the
// way, for programs that cannot sign: OpenSearch Dashboards in a browser,
// Grafana, Logstash, curl, scripts in any language.
//
//	h, err := proxy.New("https://search-logs-abc.eu-west-1.es.amazonaws.com")
//	...
//	http.ListenAndServe("127.0.0.1:9200", h)
//
// Every request goes to the upstream and nowhere else, whatever Host the
// client sent, through the signing transport (payload hash, session token,
// aoss rules, clock-skew and token healing, bodies spooled once with
// bounded memory). Responses stream: a response without a known length
// (chunked, server-sent events) is flushed at every write, and the bytes
// of one with a length wait at most 10 ms (scrolls, large searches).
// Redirects are never followed; a Location that points at the upstream is
// rewritten to the proxy's own address. A client's own Authorization
// header is never forwarded, and a client that sends a SigV4 signature of
// its own is refused (the proxy signs; two signatures cannot both hold).
// Every refusal from AWS is logged once with its diagnosis, and the body
// goes back to the client with any echoed session token redacted.
//
// GET /_sigv4/health answers without contacting AWS. Names that start with
// '_' are OpenSearch's own APIs, so the path cannot shadow an index.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// HealthPath answers 200 with a small JSON body, without contacting AWS,
// for load balancers and orchestrators.
const HealthPath = "/_sigv4/health"

// MetricsPath exposes the proxy's metrics in the Prometheus text format:
// requests by method and status, latency, bytes in and out, credential
// fetches and refusals by diagnosed cause.
const MetricsPath = "/_sigv4/metrics"

// Options configure a proxy.
type Options struct {
	// Transport, when not nil, configures the signing transport: region,
	// service, credentials, signing host, base transport and the rest. The
	// transport's Endpoint is the upstream.
	Transport func(*transport.Options)

	// Logger receives one line per request (method, path, status, bytes,
	// duration) and, for every refusal from AWS, its diagnosis; never a
	// secret. Nil means slog.Default().
	Logger *slog.Logger

	// UpstreamTimeout bounds the wait for the upstream's response headers,
	// after which the client gets 504 with a message instead of a hang.
	// Zero means DefaultUpstreamTimeout. It applies to the base transport
	// the proxy makes; a Base of your own keeps its own timeouts.
	UpstreamTimeout time.Duration
}

// flushDelay is the longest that bytes of a response whose length is known
// wait in the proxy before they are sent on. ReverseProxy sends a response
// without a known length (chunked, server-sent events) at every write. A
// delay of -1 (flush at every write) would also send the header alone
// ahead of a body that follows at once: a timer, a goroutine and a write
// more per request, 15-20% of the proxy's CPU for a small request.
const flushDelay = 10 * time.Millisecond

// DefaultUpstreamTimeout is long enough for a slow search or a large
// _bulk to start answering, as OpenSearch does long before it.
const DefaultUpstreamTimeout = 5 * time.Minute

// Proxy is the signing reverse proxy. It is safe for concurrent use.
// Create one with [New].
type Proxy struct {
	upstream *url.URL
	tr       *transport.Transport
	rp       *httputil.ReverseProxy
	log      *slog.Logger
	m        *metrics
}

// New returns a proxy to upstream, an http or https URL without a path (a
// domain or collection endpoint). It does no network I/O.
func New(upstream string, optFns ...func(*Options)) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, errors.New("sigv4/proxy: upstream " + quote(upstream) + " is not a URL such as https://search-logs-abc.eu-west-1.es.amazonaws.com (scheme and host, no path)")
	}
	u.Path = ""
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.UpstreamTimeout <= 0 {
		o.UpstreamTimeout = DefaultUpstreamTimeout
	}
	m := newMetrics()
	tr, err := transport.New(func(to *transport.Options) {
		if o.Transport != nil {
			o.Transport(to)
		}
		if to.Base == nil {
			base := http.DefaultTransport.(*http.Transport).Clone()
			base.ResponseHeaderTimeout = o.UpstreamTimeout
			// Every request goes to the one upstream: keep as many idle
			// connections to it as to all hosts (net/http keeps 2 per
			// host), or concurrent clients make the proxy dial and close
			// a connection for most requests.
			base.MaxIdleConnsPerHost = base.MaxIdleConns
			to.Base = base
		}
		to.Endpoint = u.String()
		to.Credentials = m.countFetches(to.Credentials)
	})
	if err != nil {
		return nil, fmt.Errorf("sigv4/proxy: %w", err)
	}
	p := &Proxy{upstream: u, tr: tr, log: o.Logger, m: m}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = "" // the upstream's, whatever the client sent
			for k := range pr.Out.Header {
				if strings.EqualFold(k, "Authorization") {
					delete(pr.Out.Header, k) // the listener's, never forwarded
				}
			}
		},
		Transport:      tr,
		BufferPool:     copyBuffers{},
		FlushInterval:  flushDelay,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		ErrorLog:       slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	return p, nil
}

// Transport returns the signing transport, for DiagnosisFor and the like.
func (p *Proxy) Transport() *transport.Transport { return p.tr }

// ServeHTTP forwards r to the upstream, signed, or answers the health
// check.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.URL.Path == MetricsPath && r.Method == http.MethodGet {
		p.m.handler.ServeHTTP(w, r)
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK, p: p, in: r}
	in := &countingBody{ReadCloser: r.Body}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = in
	}
	defer func() {
		end := time.Now()
		took := end.Sub(start)
		p.m.observe(r.Method, rec.status, atomic.LoadInt64(&in.n), rec.bytes, took)
		p.logAccess(r.Context(), end, r.Method, r.URL.Path, rec.status, rec.bytes, took)
	}()
	switch {
	case r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeJSON(rec, http.StatusOK, map[string]string{"status": "ok", "upstream": p.upstream.String()})
		return
	case strings.HasPrefix(strings.TrimSpace(r.Header.Get("Authorization")), "AWS4-HMAC-SHA256"):
		writeJSON(rec, http.StatusBadRequest, map[string]string{"error": "the request carries a SigV4 signature of its own; " +
			"the proxy signs every request, and a request cannot hold two signatures: send it unsigned"})
		return
	}
	p.rp.ServeHTTP(rec, r)
}

// rewriteLocation rewrites a Location header in h that points at the
// upstream to the proxy's own address, as the client in reached it.
func (p *Proxy) rewriteLocation(h http.Header, in *http.Request) {
	loc := h.Get("Location")
	if loc == "" {
		return
	}
	if u, err := url.Parse(loc); err == nil && strings.EqualFold(u.Host, p.upstream.Host) && strings.EqualFold(u.Scheme, p.upstream.Scheme) {
		u.Scheme, u.Host = "http", in.Host
		if in.TLS != nil {
			u.Scheme = "https"
		}
		h.Set("Location", u.String())
	}
}

// modifyResponse logs every refusal with its diagnosis.
func (p *Proxy) modifyResponse(res *http.Response) error {
	if res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusUnauthorized {
		if d := p.tr.DiagnosisFor(res.Header); d != nil {
			p.m.refusals.WithLabelValues(d.Cause.String()).Inc()
			path := ""
			if res.Request != nil {
				path = res.Request.URL.Path
			}
			p.log.Warn("sigv4 proxy: refused", "path", path, "status", res.StatusCode, "cause", d.Cause.String(),
				"message", d.Message, "fix", d.Fix)
		}
	}
	return nil
}

// errorHandler answers a request the upstream never answered: 504 for a
// timeout, 502 otherwise, with a message that says which; never a hang.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		status = http.StatusGatewayTimeout
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	p.log.Warn("sigv4 proxy: upstream failed", "path", r.URL.Path, "status", status, "error", err.Error())
	writeJSON(w, status, map[string]string{"error": "sigv4 proxy: the request to " + p.upstream.String() + " failed: " + err.Error()})
}

// copyBufferSize is the size of the buffer ReverseProxy copies a
// response body through: its own default.
const copyBufferSize = 32 << 10

// copyBufferPool holds the response copy buffers between requests, which
// ReverseProxy would otherwise allocate and clear for every response.
var copyBufferPool = sync.Pool{New: func() any { return new([copyBufferSize]byte) }}

// copyBuffers is the proxy's httputil.BufferPool.
type copyBuffers struct{}

func (copyBuffers) Get() []byte { return copyBufferPool.Get().(*[copyBufferSize]byte)[:] }

func (copyBuffers) Put(b []byte) {
	if len(b) == copyBufferSize {
		copyBufferPool.Put((*[copyBufferSize]byte)(b))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// recorder notes the status and bytes written, for the access log, and
// rewrites a Location that points at the upstream as the header goes out;
// it passes Flush on (through Unwrap, for http.ResponseController), so that
// streaming works through it.
type recorder struct {
	http.ResponseWriter
	p      *Proxy
	in     *http.Request // the client's request
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
		r.p.rewriteLocation(r.Header(), r.in)
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() { http.NewResponseController(r.ResponseWriter).Flush() }

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func quote(s string) string { return fmt.Sprintf("%q", s) }

// String describes the proxy without its credentials.
func (p *Proxy) String() string { return "proxy.Proxy(" + p.upstream.String() + ")" }

// Format writes String for every verb, so that no verb prints the fields.
func (p *Proxy) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }
