package signer

import (
	"net/http"
	"strings"
)

// isNeverSigned reports whether the lower-case header name is one that is
// never signed, not even when named: proxies, load balancers and Go's own
// transport add, drop or rewrite them, and a signed header that changes in
// flight is a 403. Host is always signed, from the request's host.
func isNeverSigned(lower string) bool {
	switch lower {
	case "authorization", "content-length", "user-agent", "accept-encoding", "connection",
		"transfer-encoding", "expect", "x-amzn-trace-id", "host":
		return true
	}
	return strings.HasPrefix(lower, "x-forwarded-")
}

// lowerName returns the lower-case form of a header name, without
// allocating for the names that are commonly signed.
func lowerName(k string) string {
	switch k {
	case "Content-Type":
		return "content-type"
	case "X-Amz-Date":
		return "x-amz-date"
	case "X-Amz-Content-Sha256":
		return "x-amz-content-sha256"
	case "X-Amz-Security-Token":
		return "x-amz-security-token"
	case "Authorization":
		return "authorization"
	case "User-Agent":
		return "user-agent"
	case "Accept-Encoding":
		return "accept-encoding"
	case "Accept":
		return "accept"
	}
	return strings.ToLower(k)
}

// signedHeader is one header of the canonical request: one of the
// request's, or one the signer sets itself (own), whose value is known to
// hold no CR or LF.
type signedHeader struct {
	name   string   // lower case
	values []string // the request's values, in order
	own    *string  // the signer's own value, when values is nil
	clean  bool     // own needs no trimming (host, date, hash)
}

// Header names the signer sets itself, which collectHeaders skips in the
// request so that the signer's entries take their place.
const (
	skipDate = 1 << iota
	skipPayloadHash
	skipToken
)

// collectHeaders appends to dst the headers of h that are signed: content-type,
// every x-amz-* header, and those named in extra; with all set (the test
// suite's policy), every header. Names in skip are left out. The result,
// with what dst held, is sorted by name; headers whose names differ only in
// case are merged.
func collectHeaders(dst []signedHeader, h http.Header, extra map[string]bool, all bool, skip int) []signedHeader {
	for k, v := range h {
		l := lowerName(k)
		switch {
		case l == "x-amz-date" && skip&skipDate != 0,
			l == "x-amz-content-sha256" && skip&skipPayloadHash != 0,
			l == "x-amz-security-token" && skip&skipToken != 0:
			continue
		case !all:
			if isNeverSigned(l) {
				continue
			}
			if l != "content-type" && !strings.HasPrefix(l, "x-amz-") && !extra[l] {
				continue
			}
		case l == "host" || l == "authorization":
			continue
		}
		dst = append(dst, signedHeader{name: l, values: v})
	}
	// Insertion sort: a request signs a handful of headers, and unlike
	// sort.Slice it allocates nothing.
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].name < dst[j-1].name; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	// Merge names that differ only in case (possible when the header map was
	// written to directly). Rare: only then is anything allocated.
	for i := 1; i < len(dst); i++ {
		if dst[i].name == dst[i-1].name {
			merged := append(append([]string(nil), dst[i-1].values...), dst[i].values...)
			dst[i-1].values = merged
			dst = append(dst[:i], dst[i+1:]...)
			i--
		}
	}
	return dst
}

// appendHeaderValue appends v trimmed, with each run of spaces and tabs
// collapsed to one space. A value that needs none of that (the common case)
// is copied whole.
func appendHeaderValue(dst []byte, v string) []byte {
	if v == "" || (v[0] != ' ' && v[len(v)-1] != ' ' && strings.IndexByte(v, '\t') < 0 && !strings.Contains(v, "  ")) {
		return append(dst, v...)
	}
	space := false
	wrote := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && wrote {
			dst = append(dst, ' ')
		}
		space = false
		wrote = true
		dst = append(dst, c)
	}
	return dst
}

// hasCRLF reports whether v holds a CR or LF, which cannot be sent in a
// header value. (Two IndexByte calls are much faster than IndexAny.)
func hasCRLF(v string) bool {
	return strings.IndexByte(v, '\n') >= 0 || strings.IndexByte(v, '\r') >= 0
}

// appendCanonicalRequest appends the canonical request: method, canonical
// URI (path, the wire form, encoded once more, or as is for S3's strict
// form), query, one line per header, the signed-header list and the payload
// hash. It returns b and the bounds of the signed-header list within it.
func appendCanonicalRequest(b []byte, method, path string, s3 bool, query string, headers []signedHeader, payloadHash string) (out []byte, signedStart, signedEnd int) {
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	if s3 {
		b = append(b, path...)
	} else {
		b = appendEscaped(b, path, true)
	}
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	for _, h := range headers {
		b = append(b, h.name...)
		b = append(b, ':')
		switch {
		case h.clean:
			b = append(b, *h.own...)
		case h.own != nil:
			b = appendHeaderValue(b, *h.own)
		}
		for i, v := range h.values {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHeaderValue(b, v)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	signedStart = len(b)
	for i, h := range headers {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, h.name...)
	}
	signedEnd = len(b)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	return b, signedStart, signedEnd
}
