package signer

import (
	"net/http"
	"slices"
	"strings"
	"unsafe"
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

// Who sets a signed header's value: the request, or the signer itself.
const (
	fromRequest = iota
	ownHost
	ownDate
	ownPayloadHash
	ownToken
)

// signedHeader is one header of the canonical request: one of the
// request's, or one the signer sets itself.
type signedHeader struct {
	name   string   // lower case
	values []string // the request's values, in order (fromRequest)
	own    int      // who sets the value
}

// ownName reports whether k names a header the signer sets itself (or, for
// authorization, removes): the request's own values of these are never
// signed, whatever their case.
func ownName(k string) bool {
	switch len(k) {
	case len("Host"):
		return strings.EqualFold(k, "Host")
	case len("X-Amz-Date"):
		return strings.EqualFold(k, "X-Amz-Date")
	case len("Authorization"):
		return strings.EqualFold(k, "Authorization")
	case len("X-Amz-Security-Token"): // and X-Amz-Content-Sha256
		return strings.EqualFold(k, "X-Amz-Security-Token") || strings.EqualFold(k, "X-Amz-Content-Sha256")
	}
	return false
}

// signedName returns the lower-case name of header key k when it is signed
// (content-type, every x-amz-* header the signer does not set itself, the
// names in extra, or with all every header), and "" when it is not. Only the
// names of signed headers are lower-cased, into arena (see lowerInto), so
// that none is allocated.
func signedName(k string, extra []string, all bool, arena *[]byte) string {
	switch k { // the canonical keys of the commonest headers
	case "Content-Type":
		return "content-type"
	case "Accept", "Accept-Encoding", "User-Agent", "Content-Length", "Connection":
		if !all {
			return ""
		}
	}
	if ownName(k) {
		return ""
	}
	if len(k) > 6 && strings.EqualFold(k[:6], "x-amz-") {
		return lowerInto(arena, k)
	}
	if strings.EqualFold(k, "content-type") {
		return "content-type"
	}
	for _, e := range extra {
		if strings.EqualFold(k, e) {
			return e
		}
	}
	if all {
		return lowerInto(arena, k)
	}
	return ""
}

// lowerInto appends k in lower case to *arena and returns those bytes as a
// string, without allocating while the arena has room. When append moves
// the arena, the strings made before keep the old array, which is never
// written again; the arena is reused only by the next signing, after every
// string made from it is dropped.
func lowerInto(arena *[]byte, k string) string {
	start := len(*arena)
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		*arena = append(*arena, c)
	}
	b := (*arena)[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// mergeHeaderCase moves the values of header keys that are not in
// canonical form ("x-amz-meta-a", "authorization") under their canonical
// key, so that every header is one key whatever the case it was written in:
// the canonical key's values first, then the others' in the byte order of
// their keys (the order in which net/http writes them). Value slices are
// copied, never appended to in place, since they may be shared with the
// caller's request.
func mergeHeaderCase(h http.Header) {
	var odd []string
	for k := range h {
		if http.CanonicalHeaderKey(k) != k {
			odd = append(odd, k)
		}
	}
	slices.Sort(odd)
	for _, k := range odd {
		ck := http.CanonicalHeaderKey(k)
		v := h[ck]
		h[ck] = append(v[:len(v):len(v)], h[k]...)
		delete(h, k)
	}
}

// collectHeaders appends to dst the request's headers that are signed, and
// sorts dst, which may already hold the signer's own (sorted), by name. It reports
// false, collecting nothing, when a header key is not in canonical form:
// the caller then merges the keys (mergeHeaderCase) and collects again.
func collectHeaders(dst []signedHeader, h http.Header, extra []string, all bool, arena *[]byte) ([]signedHeader, bool) {
	n := len(dst) // the signer's own, sorted
	for k, v := range h {
		if !isCanonicalKey(k) {
			return dst[:n], false
		}
		if l := signedName(k, extra, all, arena); l != "" {
			dst = append(dst, signedHeader{name: l, values: v})
		}
	}
	if len(dst) > sortThreshold {
		sortHeaders(dst)
	} else {
		// Insertion sort: a request signs a handful of headers, and it
		// allocates nothing.
		for i := max(n, 1); i < len(dst); i++ {
			for j := i; j > 0 && dst[j].name < dst[j-1].name; j-- {
				dst[j], dst[j-1] = dst[j-1], dst[j]
			}
		}
	}
	return dst, true
}

// sortHeaders sorts many headers by name: it sorts their names alone (16
// bytes to swap, not a whole signedHeader), then puts the headers in that
// order.
func sortHeaders(hs []signedHeader) {
	type entry struct {
		name string
		i    int
	}
	order := make([]entry, len(hs))
	for i, h := range hs {
		order[i] = entry{h.name, i}
	}
	slices.SortFunc(order, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	sorted := make([]signedHeader, len(hs))
	for j, e := range order {
		sorted[j] = hs[e.i]
	}
	copy(hs, sorted)
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

// isCanonicalKey reports whether http.CanonicalHeaderKey(k) == k, without
// building the canonical key: a key with a byte that is not a token byte
// is left as it is (so it counts as canonical); otherwise each letter must
// be upper case at the start and after '-', lower case elsewhere.
func isCanonicalKey(k string) bool {
	canonical, upper := true, true
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !tokenByte[c] {
			return true
		}
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			canonical = false
		}
		upper = c == '-'
	}
	return canonical
}

// tokenByte marks the bytes of an HTTP token (RFC 9110), the bytes
// net/textproto accepts in a header name it canonicalises.
var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// hasCRLF reports whether v holds a CR or LF, which cannot be sent in a
// header value. (Two IndexByte calls are much faster than IndexAny.)
func hasCRLF(v string) bool {
	return strings.IndexByte(v, '\n') >= 0 || strings.IndexByte(v, '\r') >= 0
}
