package signer

import (
	"bytes"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/percent"
	"golang.org/x/net/http/httpguts"
)

// This file computes the wire form of a request (DESIGN.md, "Wire form"):
// the host, path and query that are both signed and sent, so that what
// the server reads means what the caller's URL meant.

// wireHost returns the host as net/http will send it: an internationalised
// name in its ASCII (punycode) form, an IPv6 zone dropped, and the default
// port of the scheme (":443" for https, ":80" for http) dropped.
func wireHost(host, scheme string) (string, error) {
	if plainHost(host) { // what net/http sends unchanged
		return stripDefaultPort(host, scheme), nil
	}
	if host == "" {
		return "", newError(ErrRequest, "the request has no host; use an absolute URL such as https://search-mydomain-abc.us-east-1.es.amazonaws.com/", nil)
	}
	if strings.IndexByte(host, ' ') >= 0 || strings.IndexByte(host, '\t') >= 0 || hasCRLF(host) {
		return "", newError(ErrRequest, "the request's host "+strconv.Quote(host)+" holds white space", nil)
	}
	// What net/http does to Request.Host before writing it (request.go).
	ascii, err := httpguts.PunycodeHostPort(host)
	if err != nil {
		return "", newError(ErrRequest, "the request's host "+strconv.Quote(host)+" is not a valid internationalised domain name", err)
	}
	ascii = removeZone(ascii)
	if !httpguts.ValidHostHeader(ascii) {
		return "", newError(ErrRequest, "the request's host "+strconv.Quote(host)+" cannot be sent in a Host header", nil)
	}
	return stripDefaultPort(ascii, scheme), nil
}

// hostPlain marks the bytes of a host name that net/http sends as they are:
// ASCII letters, digits, '-', '.', '_', ':', '[' and ']'.
var hostPlain = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._:[]" {
		t[c] = true
	}
	return t
}()

// plainHost reports whether host is not empty and made of hostPlain bytes
// only, the common case, which needs no conversion.
func plainHost(host string) bool {
	for i := 0; i < len(host); i++ {
		if !hostPlain[host[i]] {
			return false
		}
	}
	return host != ""
}

// removeZone drops an IPv6 zone ("[fe80::1%en0]:8080" -> "[fe80::1]:8080"),
// as net/http does (RFC 6874) before sending the Host header.
func removeZone(host string) string {
	if !strings.HasPrefix(host, "[") {
		return host
	}
	i := strings.LastIndexByte(host, ']')
	if i < 0 {
		return host
	}
	j := strings.LastIndexByte(host[:i], '%')
	if j < 0 {
		return host
	}
	return host[:j] + host[i:]
}

// stripDefaultPort drops ":443" for https and ":80" for http.
func stripDefaultPort(host, scheme string) string {
	n := len(host)
	switch {
	case n > 4 && host[n-4:] == ":443" && strings.EqualFold(scheme, "https"),
		n > 3 && host[n-3:] == ":80" && strings.EqualFold(scheme, "http"):
		return host[:strings.LastIndexByte(host, ':')]
	}
	return host
}

// callerPath returns the path the caller's URL means, escaped: the path of
// an opaque URL; URL.RawPath when it is an encoding of URL.Path (kept even
// when it holds bytes net/url would escape, such as a space beside a %2F,
// which URL.EscapedPath would give up on and re-escape the decoded path,
// turning the %2F into '/'); otherwise URL.EscapedPath. raw reports an
// opaque path, whose bytes the caller chose to send as they are.
func callerPath(u *url.URL) (p string, raw bool, err error) {
	if o := u.Opaque; o != "" {
		if strings.HasPrefix(o, "//") { // "//host/path"
			i := strings.IndexByte(o[2:], '/')
			if i < 0 {
				return "/", true, nil
			}
			return o[2+i:], true, nil
		}
		if strings.HasPrefix(o, "/") {
			return o, true, nil
		}
		return "", true, newError(ErrRequest, "URL.Opaque does not hold a path (want \"/path\" or \"//host/path\")", nil)
	}
	if u.RawPath == "" {
		if pathNeedsNoEscape(u.Path) {
			return u.Path, false, nil // what EscapedPath would return, found cheaper
		}
		return u.EscapedPath(), false, nil
	}
	if dec, err := url.PathUnescape(u.RawPath); err == nil && dec == u.Path {
		return u.RawPath, false, nil
	}
	return u.EscapedPath(), false, nil
}

// pathKept marks the bytes net/url leaves unescaped in a path: unreserved
// characters and $&+,/:;=@.
var pathKept = func() (t [256]bool) {
	t = unreserved
	for _, c := range "$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

// wireKept marks the bytes a wire path may hold as they are: what net/url
// accepts in URL.RawPath (RFC 3986 pchar: unreserved, sub-delims, ':' and
// '@') and '/'.
var wireKept = func() (t [256]bool) {
	t = pathKept
	for _, c := range "!'()*" {
		t[c] = true
	}
	return t
}()

// plainPath reports whether p, the URL.Path of a URL without RawPath, is
// its own wire form: URL.EscapedPath leaves it as it is (pathNeedsNoEscape)
// and appendWirePath would too (wirePathClean). It is the two in one pass.
// canonical reports that p is also its own canonical URI: unreserved
// bytes and '/' only, which appendCanonicalURI leaves as they are.
func plainPath(p string) (plain, canonical bool) {
	if p == "" || p[0] != '/' {
		return false, false
	}
	all := pathPlain | pathCanonical
	seg := 1 // where the segment starts
	for i := 1; i < len(p); i++ {
		c := p[i]
		if c != '/' {
			k := pathClass[c]
			if k == 0 {
				return false, false
			}
			all &= k
			continue
		}
		if n := i - seg; n <= 2 && (n == 0 || p[seg] == '.' && (n == 1 || p[seg+1] == '.')) {
			return false, false // an empty, "." or ".." segment
		}
		seg = i + 1
	}
	n := len(p) - seg
	if n == 1 && p[seg] == '.' || n == 2 && p[seg] == '.' && p[seg+1] == '.' {
		return false, false
	}
	return true, all&pathCanonical != 0
}

// pathClass classes the bytes of a path other than '/' for plainPath: 0
// for one that is escaped on the wire, pathPlain for one that is not, and
// pathPlain|pathCanonical for one the canonical URI keeps too.
var pathClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case unreserved[c]:
			t[c] = pathPlain | pathCanonical
		case pathKept[c]:
			t[c] = pathPlain
		}
	}
	return t
}()

const (
	pathPlain uint8 = 1 << iota
	pathCanonical
)

// pathNeedsNoEscape reports whether URL.EscapedPath would return p as it is
// (for a URL without RawPath).
func pathNeedsNoEscape(p string) bool {
	for i := 0; i < len(p); i++ {
		if !pathKept[p[i]] {
			return false
		}
	}
	return true
}

// appendWirePath appends the wire form of the caller's escaped path p
// (DESIGN.md, "Wire form"): segments split on '/', empty ones dropped (a trailing
// '/' is kept), a segment that is exactly "." or ".." written %2E or
// %2E%2E, so that it stays a name, and, unless raw, every byte that may not
// stand in a path percent-encoded, the caller's own %XX escapes kept. With
// resolveDots, dot segments are removed per RFC 3986 instead (the official
// test suite's rule, not ours). The result starts with '/'.
func appendWirePath(dst []byte, p string, raw, resolveDots bool) []byte {
	start := len(dst)
	trailing := false
	for rest := p; ; {
		seg, after, more := cutByte(rest, '/')
		switch {
		case seg == "":
		case (seg == "." || seg == "..") && resolveDots:
			if seg == ".." {
				if i := lastSlash(dst[start:]); i >= 0 {
					dst = dst[:start+i]
				}
			}
		case seg == ".":
			dst = append(dst, "/%2E"...)
		case seg == "..":
			dst = append(dst, "/%2E%2E"...)
		default:
			dst = append(dst, '/')
			if raw {
				dst = append(dst, seg...)
			} else {
				dst = appendPathSegment(dst, seg)
			}
		}
		if !more {
			trailing = seg == "" || (resolveDots && (seg == "." || seg == ".."))
			break
		}
		rest = after
	}
	if len(dst) == start || trailing {
		dst = append(dst, '/')
	}
	return dst
}

func lastSlash(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '/' {
			return i
		}
	}
	return -1
}

// appendPathSegment appends seg with every byte that may not stand in a
// path percent-encoded; well-formed %XX escapes are kept as the caller wrote
// them, and a '%' that starts none is written %25.
func appendPathSegment(dst []byte, seg string) []byte {
	start := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if wireKept[c] && c != '/' {
			continue
		}
		if c == '%' && i+2 < len(seg) && isHex(seg[i+1]) && isHex(seg[i+2]) {
			i += 2
			continue
		}
		dst = append(dst, seg[start:i]...)
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		start = i + 1
	}
	return append(dst, seg[start:]...)
}

// wirePathClean reports whether p is already in wire form (appendWirePath
// would return it unchanged), which is the case for almost every request.
func wirePathClean(p string, raw bool) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	segStart := 1
	for i := 1; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			c := p[i]
			if !raw && !wireKept[c] {
				if c != '%' || i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
					return false
				}
			}
			continue
		}
		seg := p[segStart:i]
		if seg == "." || seg == ".." || (seg == "" && i < len(p)) {
			return false
		}
		segStart = i + 1
	}
	return true
}

// setWirePath makes u send exactly p as its path.
func setWirePath(u *url.URL, p string) {
	if validWirePath(p) {
		if dec, err := url.PathUnescape(p); err == nil {
			u.Opaque, u.Path, u.RawPath = "", dec, p
			if u.EscapedPath() == p {
				return
			}
		}
	}
	// Bytes that net/url would re-encode (raw UTF-8 or spaces that the
	// caller put in URL.Opaque) can only be sent as they are through
	// Opaque. A wire path never starts with "//", so Opaque cannot be
	// mistaken for an authority.
	u.Opaque, u.Path, u.RawPath = p, "", ""
}

// validWirePath reports whether net/url will send p unchanged when it is set
// as URL.RawPath: the bytes of wireKept and well-formed %XX escapes.
func validWirePath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if wireKept[c] {
			continue
		}
		if c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]) {
			i += 2
			continue
		}
		return false
	}
	return true
}

// s3Path returns p with each segment percent-decoded and encoded once,
// strictly (RFC 3986 unreserved characters only). S3 signs and receives
// this form; it is not normalised.
func s3Path(p string) string {
	if !strings.Contains(p, "%") && !needsEscape(p, true) {
		return p
	}
	buf := make([]byte, 0, len(p)+16)
	var seg []byte
	for i, part := range strings.Split(p, "/") {
		if i > 0 {
			buf = append(buf, '/')
		}
		seg = percent.AppendDecoded(seg[:0], part)
		buf = appendEscaped(buf, string(seg), false)
	}
	return string(buf)
}

// queryPair locates one parameter of a wire query: q[ks:ke] is the encoded
// key, q[vs:ve] the encoded value (empty, with vs == ve, when the caller
// wrote no '=').
type queryPair struct{ ks, ke, vs, ve int }

// appendWireQuery appends to dst the wire form of a raw query (DESIGN.md,
// "Wire form"): split on '&' and on the first '='; empty parameters dropped;
// each key and value percent-decoded ('+' is a space, a '%' without two hex
// digits stands for itself) and encoded again per RFC 3986; parameters kept
// in the caller's order, so that a repeated key keeps its last value. It
// appends to pairs where each parameter's key and value lie in dst.
//
// It is one pass over raw, each byte's class looked up in a table: runs of
// unreserved bytes, which decoding and encoding both leave alone, are
// copied whole, and each other byte is a separator or is decoded and
// encoded again on the spot. Output is written in place (dst is grown once
// to the most raw can become, three bytes for each of its own).
func appendWireQuery(dst []byte, pairs []queryPair, raw string) ([]byte, []queryPair) {
	if raw == "" {
		return dst, pairs
	}
	dst = slices.Grow(dst, 3*len(raw))
	out := dst[:cap(dst)]
	w := len(dst)
	ks, ke := -1, -1 // the parameter's key start (-1 between parameters) and '=' (-1 before one)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		class := queryClass[c]
		if class == qAmp {
			if ks >= 0 {
				pairs = append(pairs, paramAt(ks, ke, w))
				ks = -1
			}
			continue
		}
		if ks < 0 { // a parameter starts
			if len(pairs) > 0 {
				out[w] = '&'
				w++
			}
			ks, ke = w, -1
		}
		switch class {
		case qCopy: // a run of them, copied whole
			j := i + 1
			for j < len(raw) && queryClass[raw[j]] == qCopy {
				j++
			}
			w += copy(out[w:], raw[i:j])
			i = j - 1
			continue
		case qEq:
			if ke < 0 {
				ke = w
				out[w] = '='
				w++
				continue
			}
			// A later '=' belongs to the value, encoded below.
		case qPlus:
			c = ' '
		case qPct:
			if i+2 < len(raw) {
				hi, ok1 := percent.Unhex(raw[i+1])
				lo, ok2 := percent.Unhex(raw[i+2])
				if ok1 && ok2 {
					c = hi<<4 | lo
					i += 2
				}
			}
		}
		if unreserved[c] {
			out[w] = c
			w++
		} else {
			out[w], out[w+1], out[w+2] = '%', upperHex[c>>4], upperHex[c&15]
			w += 3
		}
	}
	if ks >= 0 {
		pairs = append(pairs, paramAt(ks, ke, w))
	}
	return out[:w], pairs
}

// The classes of a raw query's bytes for appendWireQuery.
const (
	qCopy   = iota // unreserved: kept as it is
	qAmp           // '&': ends a parameter
	qEq            // '=': ends the key when it is the parameter's first
	qPlus          // '+': a space
	qPct           // '%': an escape when two hex digits follow
	qEncode        // any other byte: percent-encoded
)

var queryClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case unreserved[c]:
			t[c] = qCopy
		case c == '&':
			t[c] = qAmp
		case c == '=':
			t[c] = qEq
		case c == '+':
			t[c] = qPlus
		case c == '%':
			t[c] = qPct
		default:
			t[c] = qEncode
		}
	}
	return t
}()

// paramAt is the parameter whose key starts at ks and which ends at end;
// ke is where its '=' is, or -1 when it has none (its value is empty).
func paramAt(ks, ke, end int) queryPair {
	if ke < 0 {
		return queryPair{ks, end, end, end}
	}
	return queryPair{ks, ke, ke + 1, end}
}

// sortThreshold is the number of items up to which the signer sorts by
// insertion, inline, and above which it calls slices.SortFunc. Neither
// allocates; slices.SortFunc itself sorts 12 items or fewer by insertion
// (its pdqsort's cutoff), so below the threshold the inline loop does the
// same comparisons without a call through a function value for each.
const sortThreshold = 12

// sortPairs orders the parameters of q by encoded key, then encoded value:
// the canonical query's order.
func sortPairs(q []byte, pairs []queryPair) {
	if len(pairs) < 2 {
		return
	}
	less := func(a, b queryPair) int {
		if c := bytes.Compare(q[a.ks:a.ke], q[b.ks:b.ke]); c != 0 {
			return c
		}
		return bytes.Compare(q[a.vs:a.ve], q[b.vs:b.ve])
	}
	if len(pairs) > sortThreshold {
		slices.SortFunc(pairs, less)
		return
	}
	for i := 1; i < len(pairs); i++ {
		for j := i; j > 0 && less(pairs[j], pairs[j-1]) < 0; j-- {
			pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
		}
	}
}

// wholeQuery reports whether the wire query q is its own canonical form:
// its parameters are in order, each written key=value, so that the
// canonical query is q itself (the common case).
func wholeQuery(q []byte, sorted []queryPair) bool {
	end := -1
	for _, p := range sorted {
		if p.ks != end+1 || p.vs != p.ke+1 { // not next in q, or no '='
			return false
		}
		end = p.ve
	}
	return end == len(q)
}

// appendCanonicalQuery appends the canonical query: the sorted parameters
// of the wire query q, each as key=value.
func appendCanonicalQuery(dst, q []byte, sorted []queryPair) []byte {
	if wholeQuery(q, sorted) {
		return append(dst, q...)
	}
	for i, p := range sorted {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, q[p.ks:p.ke]...)
		dst = append(dst, '=')
		dst = append(dst, q[p.vs:p.ve]...)
	}
	return dst
}
