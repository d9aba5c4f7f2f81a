package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

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
