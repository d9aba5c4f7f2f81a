package transport

import (
	"bytes"
	"io"
	"net/http"
	"reflect"
	"sync"
)

// redactingBody hands back a refused response's body with every session
// token it echoes replaced by "<redacted>" (AWS's signature-mismatch
// message quotes the canonical request, token included, and clients such as
// opensearch-go put that body in their errors, which end up in logs). It
// streams: only a token's length of bytes is held back, so that a token
// split across two reads is still found.
type redactingBody struct {
	body     io.ReadCloser
	patterns [][]byte
	hold     int    // bytes kept back: the longest pattern's length - 1
	pending  []byte // read, redacted, not yet handed out
	ready    int    // pending[:ready] may be handed out
	err      error  // the body's error, after which pending is all ready
}

var redacted = []byte("<redacted>")

// refusedBody is the body of a refused response as the transport hands it
// back: the session tokens redacted.
func refusedBody(body io.ReadCloser, tokens ...string) io.ReadCloser {
	if body == nil || body == http.NoBody {
		return body
	}
	r := &redactingBody{body: body}
	for _, t := range tokens {
		if t == "" {
			continue
		}
		for _, p := range []string{t, jsonEscaped(t)} {
			r.patterns = append(r.patterns, []byte(p))
			r.hold = max(r.hold, len(p)-1)
		}
	}
	if len(r.patterns) == 0 {
		return body
	}
	return r
}

func (r *redactingBody) Read(p []byte) (int, error) {
	for r.ready == 0 {
		if r.err != nil {
			if len(r.pending) == 0 {
				return 0, r.err
			}
			r.ready = len(r.pending)
			break
		}
		var chunk [32 << 10]byte
		n, err := r.body.Read(chunk[:])
		r.pending = append(r.pending, chunk[:n]...)
		for _, pat := range r.patterns {
			if bytes.Contains(r.pending, pat) {
				r.pending = bytes.ReplaceAll(r.pending, pat, redacted)
			}
		}
		r.err = err
		if err == nil {
			r.ready = max(0, len(r.pending)-r.hold)
		}
	}
	n := copy(p, r.pending[:r.ready])
	r.pending = r.pending[n:]
	r.ready -= n
	if len(r.pending) == 0 {
		r.pending = nil
	}
	return n, nil
}

func (r *redactingBody) Close() error { return r.body.Close() }

// refusalRing remembers the diagnoses of the last refused responses, by
// the identity of their header maps, which it keeps (so that no other map
// can take the address of one it holds).
type refusalRing struct {
	mu   sync.Mutex
	next int
	ring [256]struct {
		header http.Header
		d      *Diagnosis
	}
}

func headerID(h http.Header) uintptr {
	if h == nil {
		return 0
	}
	return reflect.ValueOf(h).Pointer()
}

func (r *refusalRing) add(h http.Header, d *Diagnosis) {
	if h == nil {
		return
	}
	r.mu.Lock()
	r.ring[r.next].header, r.ring[r.next].d = h, d
	r.next = (r.next + 1) % len(r.ring)
	r.mu.Unlock()
}

func (r *refusalRing) find(h http.Header) *Diagnosis {
	id := headerID(h)
	if id == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.ring {
		if r.ring[i].header != nil && headerID(r.ring[i].header) == id {
			return r.ring[i].d
		}
	}
	return nil
}
