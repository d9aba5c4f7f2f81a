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
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

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

// Transport returns the signing transport, for DiagnosisFor and the like.
func (p *Proxy) Transport() *transport.Transport { return p.tr }

// String describes the proxy without its credentials.
func (p *Proxy) String() string { return "proxy.Proxy(" + p.upstream.Redacted() + ")" }

// Format writes String for every verb, so that no verb prints the fields.
func (p *Proxy) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }
