package signer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"sync"
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
//   - otherwise the body is read once, and Body, GetBody and ContentLength
//     are set so that it (and any retry) sends the same bytes.
//
// A computed hash is written in hex to out and "" is returned, so that the
// caller can keep it in an allocation it makes anyway; h is the hash to use
// and buf scratch space for its sum.
func payloadHash(req *http.Request, h hash.Hash, buf []byte, out *[2 * sha256.Size]byte) (constant string, grown []byte, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return EmptyPayloadHash, buf, nil
	}
	h.Reset()
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil {
			return "", buf, newError(ErrBody, "Request.GetBody failed; fix GetBody or leave it nil", err)
		}
		_, err = copyTo(h, rc)
		rc.Close()
		if err != nil {
			return "", buf, newError(ErrBody, "reading the copy of the body returned by Request.GetBody failed", err)
		}
		return "", sumHex(h, buf, out), nil
	}
	if s, ok := req.Body.(io.ReadSeeker); ok {
		pos, err := s.Seek(0, io.SeekCurrent)
		if err == nil {
			if _, err = copyTo(h, s); err != nil {
				return "", buf, newError(ErrBody, "reading the seekable request body failed", err)
			}
			if _, err = s.Seek(pos, io.SeekStart); err != nil {
				return "", buf, newError(ErrBody, "seeking the request body back after hashing it failed", err)
			}
			return "", sumHex(h, buf, out), nil
		}
		// Not actually seekable (a pipe, say): read it like any other body.
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return "", buf, newError(ErrBody, "reading the request body failed; nothing was sent", err)
	}
	h.Write(b)
	req.ContentLength = int64(len(b))
	if len(b) == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
	} else {
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	return "", sumHex(h, buf, out), nil
}

// copyTo copies r into w without an intermediate copy when r can write
// itself (bytes.Reader, strings.Reader), and with a pooled buffer otherwise.
func copyTo(w io.Writer, r io.Reader) (int64, error) {
	if wt, ok := r.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	return io.CopyBuffer(onlyWriter{w}, r, *bp)
}

// onlyWriter hides any ReaderFrom so that io.CopyBuffer uses the buffer.
type onlyWriter struct{ io.Writer }

// sumHex writes h's sum in hex to out, using buf for the sum.
func sumHex(h hash.Hash, buf []byte, out *[2 * sha256.Size]byte) []byte {
	buf = h.Sum(buf[:0])
	hex.Encode(out[:], buf)
	return buf
}
