package signer

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"unsafe"

	"github.com/opensearch-sigv4/sigv4/internal/authheader"
)

// appendCanonicalURI appends the canonical URI of a wire path: each byte
// that is not unreserved (or '/') encoded once more, so "%2F" becomes
// "%252F"; for s3 the wire path as it is (already strictly encoded).
func appendCanonicalURI(dst, path []byte, s3 bool) []byte {
	if s3 {
		return append(dst, path...)
	}
	return appendEscaped(dst, unsafe.String(unsafe.SliceData(path), len(path)), true)
}

// appendHeaderValues appends a header's values, each trimmed with runs of
// spaces and tabs collapsed, joined with ','.
func appendHeaderValues(dst []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendHeaderValue(dst, v)
	}
	return dst
}

// appendSignedHeaders appends the signed-header list: the names, sorted,
// joined with ';'.
func appendSignedHeaders(dst []byte, headers []signedHeader) []byte {
	for i, h := range headers {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, h.name...)
	}
	return dst
}

// unsafeBytes returns the bytes of s without copying; they must not be
// written to.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Canonical reconstructs, from a request as this package signed and sent it,
// the canonical request and the string to sign behind its Authorization
// header, for diagnosis: set them beside the ones AWS says it expected. A
// signed request's path, query and host are already in wire form, so the
// reconstruction is exact. The session token's value is replaced by
// "<redacted>" in the canonical request. It returns an [*Error] of kind
// [ErrRequest] when req carries no SigV4 Authorization header.
func Canonical(req *http.Request) (canonicalRequest, stringToSign string, err error) {
	if req == nil || req.URL == nil {
		return "", "", newError(ErrRequest, "the request or its URL is nil", nil)
	}
	// Read leniently: only the scope and the signed headers matter here.
	a, _ := authheader.Parse(req.Header.Get("Authorization"))
	if a.Algorithm != authheader.Algorithm {
		return "", "", newError(ErrRequest, "the request has no AWS4-HMAC-SHA256 Authorization header", nil)
	}
	scope, signed := a.Scope(), a.SignedHeaders
	if scope == "" || signed == "" {
		return "", "", newError(ErrRequest, "the Authorization header lacks a credential scope (Credential=KEY/DATE/REGION/SERVICE/aws4_request) or SignedHeaders", nil)
	}
	p, _, err := callerPath(req.URL)
	if err != nil {
		return "", "", err
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	s3 := a.Service == "s3"
	q, pairs := appendWireQuery(nil, nil, req.URL.RawQuery)
	sortPairs(q, pairs)

	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	b := append([]byte(method), '\n')
	b = appendCanonicalURI(b, []byte(p), s3)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, q, pairs)
	b = append(b, '\n')
	for _, name := range a.Headers() {
		b = append(b, name...)
		b = append(b, ':')
		if name == "host" {
			b = append(b, host...)
		} else {
			b = appendHeaderValues(b, req.Header.Values(name))
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	ph := req.Header.Get("X-Amz-Content-Sha256")
	if ph == "" {
		ph = EmptyPayloadHash
	}
	b = append(b, ph...)
	sum := sha256.Sum256(b)
	sts := algorithm + "\n" + req.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	creq := string(b)
	if tok := req.Header.Get("X-Amz-Security-Token"); tok != "" {
		creq = redactToken(creq, tok)
	}
	return creq, sts, nil
}
