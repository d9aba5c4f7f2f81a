package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
)

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
