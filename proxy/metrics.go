package proxy

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/spool"
)

// metrics are one proxy's, in a registry of its own, so that two proxies
// in one process do not collide.
type metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	bytesIn       prometheus.Counter
	bytesOut      prometheus.Counter
	refusals      *prometheus.CounterVec
	fetches       prometheus.Counter
	fetchFailures prometheus.Counter
	handler       http.Handler // serves the registry holding the above

	// The children of requests and duration, by method label (methods)
	// and status code (100-599, and one slot for "other"), once used:
	// WithLabelValues hashes its labels and formats the code on every
	// call.
	requestsBy [len(methods)][codeSlots]atomic.Pointer[prometheus.Counter]
	durationBy [len(methods)]atomic.Pointer[prometheus.Observer]
}

// methods are the method labels, a fixed set: a client chooses its
// method, and a label per method it invents would grow the metrics page
// and the memory without bound. The last, "other", is for any other
// method.
var methods = [...]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, "other"}

// codeSlots is one slot per status code from 100 to 599, and one for
// "other".
const codeSlots = 501

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sigv4_proxy_requests_total",
			Help: "Requests forwarded (or answered), by method and status code."}, []string{"method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sigv4_proxy_request_duration_seconds",
			Help: "Time from the client's request to the end of the response.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 9)}, []string{"method"}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{Name: "sigv4_proxy_request_bytes_total",
			Help: "Request body bytes received from clients."}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "sigv4_proxy_response_bytes_total",
			Help: "Response body bytes sent to clients."}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sigv4_proxy_refusals_total",
			Help: "Requests AWS or OpenSearch refused (403, 401), by diagnosed cause."}, []string{"cause"}),
		fetches: prometheus.NewCounter(prometheus.CounterOpts{Name: "sigv4_proxy_credential_fetches_total",
			Help: "Credentials fetched from their source (the first fetch and every refresh)."}),
		fetchFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "sigv4_proxy_credential_fetch_failures_total",
			Help: "Credential fetches that failed."}),
	}
	spooled := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sigv4_proxy_spooled_body_bytes",
		Help: "Request body bytes held in memory to be signed and sent, in the whole process; past the shared budget of " +
			strconv.FormatInt(spool.Budget>>20, 10) + " MiB bodies wait in temporary files."},
		func() float64 { return float64(spool.BudgetInUse()) })
	reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.refusals, m.fetches, m.fetchFailures, spooled)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

func (m *metrics) observe(method string, status int, in, out int64, took time.Duration) {
	mi := len(methods) - 1
	for i, name := range methods[:len(methods)-1] {
		if method == name {
			mi = i
			break
		}
	}
	ci := codeSlots - 1
	if status >= 100 && status <= 599 {
		ci = status - 100
	}
	c := m.requestsBy[mi][ci].Load()
	if c == nil {
		child := m.requests.WithLabelValues(methods[mi], codeLabel(status))
		c = &child
		m.requestsBy[mi][ci].Store(c)
	}
	(*c).Inc()
	d := m.durationBy[mi].Load()
	if d == nil {
		child := m.duration.WithLabelValues(methods[mi])
		d = &child
		m.durationBy[mi].Store(d)
	}
	(*d).Observe(took.Seconds())
	m.bytesIn.Add(float64(in))
	m.bytesOut.Add(float64(out))
}

// countFetches wraps a provider so that each fetch is counted; the
// transport keeps the wrapper in its credentials cache, so a fetch is the
// first retrieval or a refresh. A cache of the caller's own is returned as
// it is: it fetches on its own, out of sight, and its fetches are not
// counted.
func (m *metrics) countFetches(p aws.CredentialsProvider) aws.CredentialsProvider {
	switch p.(type) {
	case *credentials.Cache, *aws.CredentialsCache:
		return p
	case nil:
		p = credentials.NewDefaultChain()
	}
	return fetchCounter{p, m}
}

type fetchCounter struct {
	p aws.CredentialsProvider
	m *metrics
}

func (f fetchCounter) Retrieve(ctx context.Context) (aws.Credentials, error) {
	f.m.fetches.Inc()
	c, err := f.p.Retrieve(ctx)
	if err != nil {
		f.m.fetchFailures.Inc()
	}
	return c, err
}

// codeLabel is a status code as a label value: the codes HTTP defines
// (100-599) and 499, else "other".
func codeLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}
