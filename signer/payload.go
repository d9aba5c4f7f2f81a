package signer

import (
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"net/http"
	"sync"

	"github.com/opensearch-sigv4/sigv4/internal/spool"
)

// Payload hash values with a special meaning.
const (
	// EmptyPayloadHash is the hex SHA-256 of an empty body.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// UnsignedPayload, set by the caller as X-Amz-Content-Sha256, signs the
	// request without its body (services that allow it, such as S3).
	UnsignedPayload = "UNSIGNED-PAYLOAD"
)

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// validPayloadHash reports whether a caller-supplied X-Amz-Content-Sha256 is
// a hex SHA-256 or one of the special values AWS defines.
func validPayloadHash(v string) bool {
	if v == UnsignedPayload || (len(v) > 10 && v[:10] == "STREAMING-") {
		return true
	}
	if len(v) != 64 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// payloadHash hashes the request body without copying it where it can be
// replayed:
//   - nil body or http.NoBody: it returns the empty-body constant;
//   - GetBody: a fresh copy is streamed through SHA-256;
//   - an io.Seeker body: hashed, then sought back to where it was;
//   - otherwise the body is read once into a spool (in memory up to 16 MiB,
//     a temporary file beyond) in 32 KiB chunks, hashed as it is read, and
//     closed; Body, GetBody and ContentLength are set so that it (and any
//     retry) sends the same bytes from the spool.
//
// Hashing stops with the request's context. On error the request's body is
// left as it was, not closed: its owner closes it.
//
// A computed hash is written in hex to out and "" is returned, so that the
// caller can keep it in an allocation it makes anyway; h is the hash to use
// and buf scratch space for its sum. budgeted counts a spool against the
// process's shared spool budget (Options.SpoolBudget).
func payloadHash(req *http.Request, h hash.Hash, buf []byte, out *[2 * sha256.Size]byte, budgeted bool) (constant string, grown []byte, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return EmptyPayloadHash, buf, nil
	}
	ctx := req.Context()
	h.Reset()
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return "", buf, newError(ErrBody, "Request.GetBody failed; fix GetBody or leave it nil", err)
		}
		err = hashFrom(ctx, h, rc)
		rc.Close()
		if err != nil {
			return "", buf, newError(ErrBody, "reading the copy of the body returned by Request.GetBody failed", err)
		}
		return "", sumHex(h, buf, out), nil
	}
	if s, ok := req.Body.(io.ReadSeeker); ok {
		pos, err := s.Seek(0, io.SeekCurrent)
		if err == nil {
			if err = hashFrom(ctx, h, s); err != nil {
				return "", buf, newError(ErrBody, "reading the seekable request body failed", err)
			}
			if _, err = s.Seek(pos, io.SeekStart); err != nil {
				return "", buf, newError(ErrBody, "seeking the request body back after hashing it failed", err)
			}
			return "", sumHex(h, buf, out), nil
		}
		// Not actually seekable (a pipe, say): read it like any other body.
	}
	size := req.ContentLength
	if size == 0 {
		size = -1 // with a Body, 0 means unknown (net/http.Request.ContentLength)
	}
	sp, err := spool.Read(ctx, req.Body, h, spool.DefaultMemory, size, budgeted)
	if err != nil {
		return "", buf, newError(ErrBody, "reading the request body failed; nothing was sent", err)
	}
	req.Body.Close()
	req.ContentLength = sp.Len()
	if sp.Len() == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	} else {
		req.Body = sp.Reader()
		req.GetBody = func() (io.ReadCloser, error) { return sp.Reader(), nil }
	}
	return "", sumHex(h, buf, out), nil
}

// hashChunk is how much is hashed between two looks at the context.
const hashChunk = 1 << 20

// hashFrom writes r into w, a hash, stopping with ctx's error once ctx is
// done. Readers that can write themselves (bytes.Reader, strings.Reader)
// are not copied; others go through a pooled buffer.
func hashFrom(ctx context.Context, w io.Writer, r io.Reader) error {
	if ctx.Done() != nil {
		w = ctxWriter{ctx, w}
	}
	if wt, ok := r.(io.WriterTo); ok {
		_, err := wt.WriteTo(w)
		return err
	}
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	_, err := io.CopyBuffer(onlyWriter{w}, r, *bp)
	return err
}

// ctxWriter writes to w in chunks, stopping with ctx's error once ctx is
// done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := c.ctx.Err(); err != nil {
			return n, err
		}
		chunk := p[:min(len(p), hashChunk)]
		m, err := c.w.Write(chunk)
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// onlyWriter hides any ReaderFrom so that io.CopyBuffer uses the buffer.
type onlyWriter struct{ io.Writer }

// sumHex writes h's sum in hex to out, using buf for the sum.
func sumHex(h hash.Hash, buf []byte, out *[2 * sha256.Size]byte) []byte {
	buf = h.Sum(buf[:0])
	hexSum(out, (*[sha256.Size]byte)(buf))
	return buf
}
