package transport

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// redactingBody hands back a response body with every session token it
// echoes replaced by "<redacted>" (AWS's signature-mismatch message quotes
// the canonical request, token included, and clients such as opensearch-go
// put that body in their errors, which end up in logs). It streams: only a
// token's length of bytes is held back, so that a token split across two
// reads is still found.
type redactingBody struct {
	body     io.ReadCloser
	patterns [][]byte
	hold     int    // bytes kept back: the longest pattern's length - 1
	pending  []byte // read, redacted, not yet handed out
	ready    int    // pending[:ready] may be handed out
	err      error  // the body's error, after which pending is all ready
}

var redacted = []byte(redact.Placeholder)

// spellingsMemo holds the spellings (redact.Spellings) of the last token
// spellingsOf was asked for: the tokens of one transport change only at a
// credential refresh.
var spellingsMemo atomic.Pointer[[2]string]

// spellingsOf is redact.Spellings(token), without an allocation when the
// token is the last one asked for.
func spellingsOf(token string) [2]string {
	if m := spellingsMemo.Load(); m != nil && m[0] == token {
		return *m
	}
	sp := redact.Spellings(token)
	spellingsMemo.Store(&sp)
	return sp
}

// tokenPatterns returns the spellings in which a response may echo tokens
// (redact.Spellings), each once.
func tokenPatterns(tokens []string) (patterns [][]byte, hold int) {
	for _, t := range tokens {
		if t == "" {
			continue
		}
		sp := redact.Spellings(t)
		for i, p := range sp {
			if i > 0 && p == sp[0] {
				continue
			}
			patterns = append(patterns, []byte(p))
			hold = max(hold, len(p)-1)
		}
	}
	return patterns, hold
}

// redactResponse redacts every session token that res echoes (the tokens
// the request was signed with): in every header value, whatever the
// status, and in the body of every response that is not a success (a
// 2xx body is the data asked for, and a held-back tail would delay a
// stream), decompressing a gzip or deflate body to do so and handing it on
// uncompressed. A body it wraps loses its length (ContentLength -1, no
// Content-Length header), since redaction changes it: a client reading the
// upstream's length would get a cut body. Without a token, res is left as
// it is.
func redactResponse(res *http.Response, tokens ...string) {
	// The header pass runs for every response: its patterns are strings,
	// compared without a conversion, and nothing is allocated unless a
	// header echoes a token.
	var patterns [4]string
	n := 0
	for _, t := range tokens {
		if t != "" && n+2 <= len(patterns) {
			sp := spellingsOf(t)
			patterns[n], patterns[n+1] = sp[0], sp[1]
			n += 2
		}
	}
	if n == 0 {
		return
	}
	for k, vs := range res.Header {
		var out []string // a copy: the values may be shared with another map
		for i, v := range vs {
			w := v
			for _, p := range patterns[:n] {
				if strings.Contains(w, p) {
					w = strings.ReplaceAll(w, p, redact.Placeholder)
				}
			}
			if w != v && out == nil {
				out = append([]string(nil), vs...)
			}
			if out != nil {
				out[i] = w
			}
		}
		if out != nil {
			res.Header[k] = out
		}
	}
	if res.StatusCode < 300 || res.Body == nil || res.Body == http.NoBody {
		return
	}
	bodyPatterns, hold := tokenPatterns(tokens)
	body := res.Body
	switch enc := strings.ToLower(strings.TrimSpace(res.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip", "deflate":
		body = &decodingBody{body: body, deflate: enc == "deflate"}
		res.Header.Del("Content-Encoding")
		res.Uncompressed = true
	default:
		// An encoding the standard library cannot read (br, zstd): AWS
		// sends its refusals uncompressed, and this body is left alone.
		return
	}
	res.Body = &redactingBody{body: body, patterns: bodyPatterns, hold: hold}
	res.ContentLength = -1
	res.Header.Del("Content-Length")
}

// decodingBody decompresses a gzip or deflate (zlib) body, opening the
// decompressor on the first read.
type decodingBody struct {
	body    io.ReadCloser
	deflate bool
	r       io.Reader
	err     error
}

func (d *decodingBody) Read(p []byte) (int, error) {
	if d.r == nil && d.err == nil {
		if d.deflate {
			d.r, d.err = zlib.NewReader(d.body)
		} else {
			d.r, d.err = gzip.NewReader(d.body)
		}
	}
	if d.err != nil {
		return 0, d.err
	}
	return d.r.Read(p)
}

func (d *decodingBody) Close() error { return d.body.Close() }

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
