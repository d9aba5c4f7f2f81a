package signer

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Canonical reconstructs, from a request as this package signed and sent it,
// the canonical request and the string to sign behind its Authorization
// header, for diagnosis: set them beside the ones AWS says it expected. A
// signed request's path, query and host are already in canonical form, so
// the reconstruction is exact. The session token's value is replaced by
// "<redacted>" in the canonical request. It returns an [*Error] of kind
// [ErrRequest] when req carries no SigV4 Authorization header.
func Canonical(req *http.Request) (canonicalRequest, stringToSign string, err error) {
	if req == nil || req.URL == nil {
		return "", "", newError(ErrRequest, "the request or its URL is nil", nil)
	}
	authz, ok := strings.CutPrefix(req.Header.Get("Authorization"), algorithm+" ")
	if !ok {
		return "", "", newError(ErrRequest, "the request has no AWS4-HMAC-SHA256 Authorization header", nil)
	}
	var scope, signed string
	for _, part := range strings.Split(authz, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			if _, sc, ok := strings.Cut(v, "/"); ok {
				scope = sc
			}
		case "SignedHeaders":
			signed = v
		}
	}
	if scope == "" || signed == "" {
		return "", "", newError(ErrRequest, "the Authorization header lacks Credential or SignedHeaders", nil)
	}
	p, _, err := wirePath(req.URL)
	if err != nil {
		return "", "", err
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	s3 := strings.Count(scope, "/") == 3 && strings.Split(scope, "/")[2] == "s3"

	names := strings.Split(signed, ";")
	headers := make([]signedHeader, len(names))
	for i, name := range names {
		headers[i] = signedHeader{name: name, values: req.Header.Values(name)}
		if name == "host" {
			headers[i] = signedHeader{name: name, own: &host}
		}
	}
	ph := req.Header.Get("X-Amz-Content-Sha256")
	if ph == "" {
		ph = EmptyPayloadHash
	}
	b, _, _ := appendCanonicalRequest(nil, req.Method, p, s3, req.URL.RawQuery, headers, ph)
	sum := sha256.Sum256(b)
	sts := algorithm + "\n" + req.Header.Get("X-Amz-Date") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	creq := string(b)
	if tok := req.Header.Get("X-Amz-Security-Token"); tok != "" {
		creq = redactToken(creq, tok)
	}
	return creq, sts, nil
}
