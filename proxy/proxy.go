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
// bounded memory), with its path and query exactly as the client wrote
// them in its request line. Responses stream: a response without a known
// length (chunked, server-sent events) is flushed at every write, and the
// bytes of one with a length wait at most 10 ms (scrolls, large searches).
// Redirects are never followed; a Location that points at the upstream is
// rewritten to the proxy (Options.PublicURL, or a path). A client's own
// Authorization header is never forwarded, and a client that signs its
// requests itself has its signature, date, token and payload hash
// replaced by the proxy's. Every refusal from AWS is logged once with its
// diagnosis, and the body goes back to the client with any echoed session
// token redacted.
//
// What a client can make the proxy hold is bounded: the body's size
// (Options.MaxBody, 413), a pause in the body (Options.BodyTimeout, 408);
// a spool's temporary file is closed when its request ends. A client that
// goes away before its body is complete is recorded as 499
// ([StatusClientClosed]) and nothing is forwarded.
//
// Paths under /_sigv4/ ([OwnPrefix]) are the proxy's own in every
// spelling and never forwarded: GET /_sigv4/health answers without
// contacting AWS and without Options.Authenticate; GET /_sigv4/metrics
// serves Prometheus metrics. Names that start with '_' are OpenSearch's
// own APIs, so the paths cannot shadow an index.
package proxy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/percent"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// HealthPath answers GET and HEAD with 200 and a small JSON body, without
// contacting AWS and without Options.Authenticate, for load balancers and
// orchestrators.
const HealthPath = "/_sigv4/health"

// MetricsPath exposes the proxy's metrics in the Prometheus text format:
// requests by method and status, latency, bytes in and out, credential
// fetches and refusals by diagnosed cause. It answers GET and HEAD, after
// Options.Authenticate unless Options.PublicMetrics is set.
const MetricsPath = "/_sigv4/metrics"

// OwnPrefix starts every path of the proxy's own. A request for any path
// under it, in any spelling (percent-encoded, in another case, reached
// through dot segments), is answered by the proxy and never forwarded:
// names starting with '_' are OpenSearch's own APIs, so it shadows no
// index.
const OwnPrefix = "/_sigv4/"

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

	// UpstreamTLS, when not nil, is the TLS configuration of the base
	// transport the proxy makes (a CA of its own for the upstream, or
	// InsecureSkipVerify for an SSH tunnel's certificate). A Base of your
	// own keeps its own.
	UpstreamTLS *tls.Config

	// MaxBody is the largest request body forwarded, in bytes. A body
	// whose declared length is larger is answered 413 before a byte of it
	// is read; one without a declared length is cut off and answered 413
	// once it passes the limit. Zero means DefaultMaxBody; a negative
	// value means no limit.
	MaxBody int64

	// BodyTimeout is the longest wait for the next bytes of a request
	// body; a client that stops sending gets 408 and its connection is
	// closed. Zero means DefaultBodyTimeout; a negative value means no
	// limit.
	BodyTimeout time.Duration

	// Authenticate, when not nil, is asked about every request but the
	// health check (and the metrics with PublicMetrics) before anything is
	// forwarded: it returns true to let the request through, or writes the
	// refusal to w (401, 429) and returns false. It must be safe for
	// concurrent use. The client's Authorization header is never forwarded
	// either way.
	Authenticate func(w http.ResponseWriter, r *http.Request) bool

	// PublicMetrics serves MetricsPath without Authenticate.
	PublicMetrics bool

	// PublicURL, when not empty, is the proxy's own address as clients
	// reach it (such as "https://search-proxy.internal:9200"): a Location
	// that points at the upstream is rewritten to it. Empty means such a
	// Location becomes a path ("/_dashboards/login?..."), which a client
	// reads relative to the address it used. The client's Host header is
	// never used.
	PublicURL string
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

// DefaultMaxBody is the largest payload Amazon OpenSearch Service accepts
// on any instance type (100 MiB; smaller types accept 10 MiB).
const DefaultMaxBody = 100 << 20

// DefaultBodyTimeout is how long a request body may pause: far longer
// than any network stall a live client has, short enough that a client
// that stopped half-way does not hold a connection and a spool for long,
// nor hold up a shutdown.
const DefaultBodyTimeout = 30 * time.Second

// Proxy is the signing reverse proxy. It is safe for concurrent use.
// Create one with [New].
type Proxy struct {
	upstream    *url.URL
	signingHost string // the transport's SigningHost, if any
	public      *url.URL
	tr          *transport.Transport
	rp          *httputil.ReverseProxy
	log         *slog.Logger
	m           *metrics
	maxBody     int64
	bodyTimeout time.Duration
	auth        func(http.ResponseWriter, *http.Request) bool
	publicMet   bool
	selfSigned  clientSet // clients whose own signatures were replaced, logged once each
}

// New returns a proxy to upstream, an http or https URL without a path (a
// domain or collection endpoint). It does no network I/O. An upstream or
// option it cannot work with is a [*ConfigError]; Transport options that
// the signing transport refuses give the transport's *transport.Error.
func New(upstream string, optFns ...func(*Options)) (*Proxy, error) {
	u, err := parseUpstream(upstream)
	if err != nil {
		return nil, err
	}
	o := applyOptions(optFns)
	public, err := parsePublicURL(o.PublicURL)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	tr, signingHost, err := newTransport(u, o, m)
	if err != nil {
		return nil, err // the transport's *Error, under its own prefix
	}
	p := &Proxy{upstream: u, signingHost: signingHost, public: public, tr: tr, log: o.Logger, m: m,
		maxBody: o.MaxBody, bodyTimeout: o.BodyTimeout, auth: o.Authenticate, publicMet: o.PublicMetrics}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			setTarget(pr.Out.URL, u, pr.In)
			pr.Out.Host = "" // the upstream's, whatever the client sent
			for k := range pr.Out.Header {
				if clientOnly(k) {
					delete(pr.Out.Header, k)
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

// parseUpstream reads New's upstream: an http or https URL with a host and
// no user information, path or query.
func parseUpstream(upstream string) (*url.URL, error) {
	u, err := url.Parse(upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, &ConfigError{Option: UpstreamOption, Value: redact.Password(upstream),
			Problem: "is not a URL such as https://search-logs-abc.eu-west-1.es.amazonaws.com (scheme and host, no path)"}
	}
	if u.User != nil {
		return nil, &ConfigError{Option: UpstreamOption, Value: u.Redacted(), Problem: "holds a user name or password, which the proxy cannot send " +
			"(the Authorization header carries the signature): remove it from the URL"}
	}
	u.Path = ""
	return u, nil
}

// applyOptions applies the option functions, in order, to a zero Options
// and fills in the defaults of the fields they left unset.
func applyOptions(optFns []func(*Options)) Options {
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
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.BodyTimeout == 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	return o
}

// parsePublicURL reads Options.PublicURL (nil when empty): an http or
// https URL with a host and no user information; a trailing '/' of its
// path is dropped.
func parsePublicURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	public, err := url.Parse(raw)
	if err != nil || (public.Scheme != "http" && public.Scheme != "https") || public.Host == "" || public.User != nil {
		return nil, &ConfigError{Option: "PublicURL", Value: redact.Password(raw),
			Problem: "is not a URL such as https://proxy.internal:9200 (scheme and host, no user name or password)"}
	}
	public.Path, public.RawPath = strings.TrimSuffix(public.Path, "/"), ""
	return public, nil
}

// newTransport makes the signing transport to upstream: Options.Transport
// applied, then the proxy's own settings (the endpoint, credential fetches
// counted in m, and a base transport that keeps idle connections to the
// one upstream, unless Options.Transport gave one). It returns the
// transport's SigningHost beside it.
func newTransport(upstream *url.URL, o Options, m *metrics) (tr *transport.Transport, signingHost string, err error) {
	tr, err = transport.New(func(to *transport.Options) {
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
			if o.UpstreamTLS != nil {
				base.TLSClientConfig = o.UpstreamTLS.Clone()
			}
			to.Base = base
		}
		to.Endpoint = upstream.String()
		to.Credentials = m.countFetches(to.Credentials)
		signingHost = to.SigningHost
	})
	return tr, signingHost, err
}

// clientOnly reports whether a request header of the client's stays at
// the proxy, under a key of any case: its Authorization (the listener's,
// or a signature of its own), the signing headers that the proxy sets
// itself (a client's X-Amz-Content-Sha256 would be signed as given, with
// UNSIGNED-PAYLOAD or another body's hash), and an upgrade (after a 101
// the bytes would go upstream raw, unsigned).
func clientOnly(k string) bool {
	for _, h := range [...]string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Upgrade", "Connection"} {
		if len(k) == len(h) && strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// signsItself reports whether r carries a SigV4 signature of its client's
// own (an SDK pointed at the proxy).
func signsItself(r *http.Request) bool {
	return strings.HasPrefix(strings.TrimSpace(r.Header.Get("Authorization")), "AWS4-HMAC-SHA256") ||
		r.Header.Get("X-Amz-Date") != "" || r.Header.Get("X-Amz-Security-Token") != "" || r.Header.Get("X-Amz-Content-Sha256") != ""
}

// Transport returns the signing transport, for DiagnosisFor and the like.
func (p *Proxy) Transport() *transport.Transport { return p.tr }

// StatusClientClosed is what the access log and the metrics record for a
// request whose client went away before the request or its answer was
// complete, as nginx records it. No client ever receives it.
const StatusClientClosed = 499

// ServeHTTP forwards r to the upstream, signed, or answers one of the
// proxy's own paths.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK, p: p}
	rawPath, _ := requestTarget(r)
	own, isOwn := ownPath(rawPath)
	if isOwn && own == "metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		if !p.publicMet && p.auth != nil && !p.auth(rec, r) {
			return
		}
		p.m.handler.ServeHTTP(w, r)
		return
	}
	in := &clientBody{}
	if r.Body != nil && r.Body != http.NoBody {
		in.ReadCloser, in.w, in.timeout = r.Body, w, p.bodyTimeout
		r.Body = in
	}
	defer func() {
		end := time.Now()
		took := end.Sub(start)
		status := rec.status
		if rec.gone {
			status = StatusClientClosed
		}
		p.m.observe(r.Method, status, in.n.Load(), rec.bytes, took)
		p.logAccess(context.Background(), end, r.Method, r.URL.Path, status, rec.bytes, took)
	}()
	if isOwn {
		p.serveOwn(rec, r, own)
		return
	}
	if p.auth != nil && !p.auth(rec, r) {
		return
	}
	if p.maxBody >= 0 {
		if r.ContentLength > p.maxBody {
			rec.Header().Set("Connection", "close") // the body is not read
			p.tooLarge(rec, r)
			return
		}
		if in.ReadCloser != nil {
			in.ReadCloser = http.MaxBytesReader(w, in.ReadCloser, p.maxBody)
		}
	}
	if signsItself(r) && p.selfSigned.add(clientIP(r)) {
		p.log.Info("sigv4 proxy: the client signs its requests itself; its signature, date, token and payload hash are replaced by the proxy's own (logged once per client)",
			"client", clientIP(r))
	}
	// The request goes on whatever the client's connection does once the
	// request is complete: a client that half-closes its socket after
	// sending still reads the answer, and one that is gone makes the
	// writing of the answer fail (recorded as 499). A body that does not
	// arrive ends the request through BodyTimeout.
	p.rp.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
}

// serveOwn answers a request for one of the proxy's own paths.
func (p *Proxy) serveOwn(w *recorder, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed_exception",
			"the proxy's own paths ("+OwnPrefix+"...) answer GET and HEAD only, and are never forwarded")
		return
	}
	switch name {
	case "health":
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "upstream": p.upstream.Redacted()})
	case "metrics": // reached only with a method ServeHTTP did not serve
	default:
		writeError(w, http.StatusNotFound, "resource_not_found_exception",
			"no such path of the proxy's own: it has "+HealthPath+" and "+MetricsPath+"; paths under "+OwnPrefix+" are never forwarded")
	}
}

// tooLarge answers a body over MaxBody: 413 in OpenSearch's error shape.
func (p *Proxy) tooLarge(w http.ResponseWriter, r *http.Request) {
	p.log.Info("sigv4 proxy: request body too large", "path", r.URL.Path, "limit", p.maxBody, "content_length", r.ContentLength)
	writeError(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
		"the request body is larger than the proxy's limit of "+strconv.FormatInt(p.maxBody, 10)+" bytes (sigv4 proxy --max-body); "+
			"send smaller requests (a _bulk in parts)")
}

// ownPath reports whether a raw request path is under OwnPrefix in any
// spelling, and which of the proxy's paths it is ("health", "metrics", or
// "" for none). Percent-escapes are decoded until none is left (so %2F and
// %5F and their double encodings count), dot segments are resolved, empty
// segments dropped and case ignored: every reading that a server, a load
// balancer or a later decode could make of it.
func ownPath(raw string) (name string, own bool) {
	if !strings.Contains(raw, "%") && !containsFoldASCII(raw, "_sigv4") {
		return "", false // the common case, without an allocation
	}
	return readOwnPath(raw)
}

// readOwnPath is ownPath without its shortcut: every reading, in full.
func readOwnPath(raw string) (name string, own bool) {
	p := raw
	for range 4 {
		d := percentDecodeAll(p)
		if d == p {
			break
		}
		p = d
	}
	p = strings.ToLower(strings.ReplaceAll(p, "\\", "/"))
	var plain, resolved []string // OpenSearch's reading, and one with dot segments resolved
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			plain = append(plain, s)
		}
		switch s {
		case "", ".":
		case "..":
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
		default:
			resolved = append(resolved, s)
		}
	}
	ownFirst := func(segs []string) bool { return len(segs) > 0 && strings.TrimSpace(segs[0]) == "_sigv4" }
	if !ownFirst(plain) && !ownFirst(resolved) {
		return "", false
	}
	for _, segs := range [][]string{plain, resolved} {
		if !ownFirst(segs) || len(segs) != 2 || (segs[1] != "health" && segs[1] != "metrics") {
			return "", true // under the prefix in some reading, and no page of the proxy's in another
		}
	}
	return resolved[1], true
}

// containsFoldASCII reports whether s holds sub (lower-case ASCII) in any
// case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// percentDecodeAll decodes every %XX escape in s; a '%' without two hex
// digits stays as it is.
func percentDecodeAll(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return string(percent.AppendDecoded(make([]byte, 0, len(s)), s))
}

// setTarget points out at upstream with the path and query exactly as the
// client wrote them in its request line. ProxyRequest.SetURL and the
// query clean-up that ReverseProxy does before Rewrite go through
// url.ParseQuery (dropping and re-sorting the pieces it cannot parse: a
// lone '%', a ';') and URL.EscapedPath (which re-escapes the decoded path,
// turning a %2F into '/', as soon as the path holds a '<' or '{'). The
// signing transport sends the raw form by the wire rules (DESIGN.md,
// "Signing rules"), so the request means upstream what it meant here.
func setTarget(out, upstream *url.URL, in *http.Request) {
	rawPath, rawQuery := requestTarget(in)
	out.Scheme, out.Host, out.User = upstream.Scheme, upstream.Host, nil
	out.Opaque, out.Fragment, out.RawFragment, out.ForceQuery = "", "", "", false
	out.Path, out.RawPath, out.RawQuery = in.URL.Path, "", rawQuery
	if rawPath != in.URL.Path {
		out.RawPath = rawPath
	}
}

// requestTarget returns the path and query of r's request line as the
// client wrote them: the origin form ("/path?query") or the absolute form
// ("http://host/path?query") that a client configured for a proxy sends.
// A request made in this process (no RequestURI) gives its URL's.
func requestTarget(r *http.Request) (path, query string) {
	t := r.RequestURI
	if t == "" {
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	if !strings.HasPrefix(t, "/") {
		if _, rest, ok := strings.Cut(t, "://"); ok {
			if i := strings.IndexAny(rest, "/?"); i >= 0 {
				t = rest[i:]
			} else {
				t = "/"
			}
		}
	}
	path, query, _ = strings.Cut(t, "?")
	if path == "" {
		path = "/"
	}
	return path, query
}

// rewriteLocation rewrites a Location header in h that points at the
// upstream (or at the host signed for) to the proxy: to PublicURL, or to a
// path that the client reads relative to the address it used. Never to
// the client's Host header, which the client chooses.
func (p *Proxy) rewriteLocation(h http.Header) {
	loc := h.Get("Location")
	if loc == "" {
		return
	}
	u, err := url.Parse(loc)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Scheme, p.upstream.Scheme) || !p.isUpstreamHost(u) {
		return
	}
	// The path, query and fragment as the upstream wrote them.
	rest := loc[strings.Index(loc, "//")+2:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	if !strings.HasPrefix(rest, "/") {
		rest = "/" + rest
	}
	if p.public != nil {
		rest = p.public.Scheme + "://" + p.public.Host + p.public.Path + rest
	}
	h.Set("Location", rest)
}

// isUpstreamHost reports whether u names the upstream's host, or the host
// the proxy signs for, with the same port (a default port or none alike).
func (p *Proxy) isUpstreamHost(u *url.URL) bool {
	port := func(v *url.URL) string {
		if pt := v.Port(); pt != "" {
			return pt
		}
		if strings.EqualFold(v.Scheme, "http") {
			return "80"
		}
		return "443"
	}
	if strings.EqualFold(u.Hostname(), p.upstream.Hostname()) && port(u) == port(p.upstream) {
		return true
	}
	if p.signingHost == "" {
		return false
	}
	sh := &url.URL{Scheme: p.upstream.Scheme, Host: p.signingHost}
	return strings.EqualFold(u.Hostname(), sh.Hostname()) && port(u) == port(sh)
}

// errUpgrade refuses an upstream's 101: after it, ReverseProxy would copy
// the client's raw bytes upstream, where nothing signs them.
var errUpgrade = errors.New("the upstream switched protocols (101); the proxy signs HTTP requests one by one and does not pass an upgraded connection on")

// modifyResponse refuses a protocol switch and logs every refusal with its
// diagnosis.
func (p *Proxy) modifyResponse(res *http.Response) error {
	if res.StatusCode == http.StatusSwitchingProtocols {
		return errUpgrade
	}
	if res.StatusCode >= http.StatusBadRequest { // the transport diagnoses 400, 401, 403, 413 and 429
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

// errorHandler answers a request that got no answer from the upstream. A
// failure of the client's own body is the client's: 413 past MaxBody, 408
// past BodyTimeout, 400 for a body that is not valid HTTP framing, and for
// a client that went away before its body was complete, no answer at all
// (its connection is closed; 499 in the log and the metrics, never 200).
// Otherwise 504 for a timeout and 502 for the rest, with a message that
// says which; never a hang.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	rec, _ := w.(*recorder)
	if in, ok := r.Body.(*clientBody); ok {
		if cerr := in.failure(); cerr != nil {
			var tooLarge *http.MaxBytesError
			var ne net.Error
			switch {
			case errors.As(cerr, &tooLarge):
				p.tooLarge(w, r)
			case errors.As(cerr, &ne) && ne.Timeout():
				p.log.Info("sigv4 proxy: the client stopped sending its body", "path", r.URL.Path, "status", http.StatusRequestTimeout, "after", p.bodyTimeout)
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusRequestTimeout, "request_timeout_exception",
					"no byte of the request body arrived for "+p.bodyTimeout.String()+"; nothing was forwarded")
			case errors.Is(cerr, io.ErrUnexpectedEOF) || errors.Is(cerr, syscall.ECONNRESET) || errors.Is(cerr, net.ErrClosed):
				p.log.Info("sigv4 proxy: the client went away before its body was complete; nothing was forwarded",
					"path", r.URL.Path, "status", StatusClientClosed, "received", in.n.Load())
				if rec != nil {
					rec.gone = true
				}
				panic(http.ErrAbortHandler) // close the connection without an answer
			default:
				p.log.Info("sigv4 proxy: malformed request body", "path", r.URL.Path, "status", http.StatusBadRequest, "error", cerr.Error())
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusBadRequest, "parse_exception", "the request body could not be read: "+cerr.Error()+"; nothing was forwarded")
			}
			return
		}
	}
	status := http.StatusBadGateway
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		status = http.StatusGatewayTimeout
	}
	p.log.Warn("sigv4 proxy: upstream failed", "path", r.URL.Path, "status", status, "error", err.Error())
	writeError(w, status, "sigv4_proxy_exception", "sigv4 proxy: the request to "+p.upstream.Redacted()+" failed: "+err.Error())
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
	w.Header().Del("Content-Length")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// openSearchError is OpenSearch's error body, so that clients that parse
// it (opensearch-go's error.reason) show the proxy's reason.
type openSearchError struct {
	Error struct {
		RootCause []errorCause `json:"root_cause"`
		errorCause
	} `json:"error"`
	Status int `json:"status"`
}

type errorCause struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// writeError writes an error of the proxy's own in OpenSearch's shape:
// {"error":{"root_cause":[{"type":..,"reason":..}],"type":..,"reason":..},"status":..}.
func writeError(w http.ResponseWriter, status int, typ, reason string) {
	var e openSearchError
	e.Error.errorCause = errorCause{Type: typ, Reason: reason}
	e.Error.RootCause = []errorCause{e.Error.errorCause}
	e.Status = status
	writeJSON(w, status, e)
}

// recorder notes the status and bytes written, for the access log, and
// rewrites a Location that points at the upstream as the header goes out;
// it passes Flush on (through Unwrap, for http.ResponseController), so that
// streaming works through it.
type recorder struct {
	http.ResponseWriter
	p      *Proxy
	status int
	bytes  int64
	wrote  bool
	gone   bool // a write failed, or the client left mid-body: the client is gone
}

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
		r.p.rewriteLocation(r.Header())
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	if err != nil {
		r.gone = true
	}
	return n, err
}

func (r *recorder) Flush() {
	if http.NewResponseController(r.ResponseWriter).Flush() != nil {
		r.gone = true
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// clientBody is a client's request body on its way to the spool: it counts
// the bytes, keeps the first error that was not the end of the body (so
// that a failure of the client's is told from the upstream's), and gives
// every read BodyTimeout to return.
type clientBody struct {
	io.ReadCloser
	w       http.ResponseWriter // the server's, for read deadlines
	timeout time.Duration
	n       atomic.Int64
	mu      sync.Mutex
	err     error
}

func (c *clientBody) Read(p []byte) (int, error) {
	ctl := http.NewResponseController(c.w)
	if c.timeout > 0 {
		ctl.SetReadDeadline(time.Now().Add(c.timeout))
	}
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	switch {
	case err == io.EOF:
		if c.timeout > 0 {
			ctl.SetReadDeadline(time.Time{}) // the server reads on, for the next request
		}
	case err != nil:
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
	}
	return n, err
}

// failure returns the first error reading the body, other than its end.
func (c *clientBody) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// clientSet remembers up to 4096 clients; past that it starts again, so
// that no number of clients grows it without bound.
type clientSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
}

// add reports whether client is new to the set, and adds it.
func (s *clientSet) add(client string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[client]; ok {
		return false
	}
	if s.seen == nil || len(s.seen) >= 4096 {
		s.seen = map[string]struct{}{}
	}
	s.seen[client] = struct{}{}
	return true
}

// clientIP is the address a request came from, without its port.
func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// String describes the proxy without its credentials.
func (p *Proxy) String() string { return "proxy.Proxy(" + p.upstream.Redacted() + ")" }

// Format writes String for every verb, so that no verb prints the fields.
func (p *Proxy) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }
