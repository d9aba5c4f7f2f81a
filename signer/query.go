package signer

import (
	"bytes"
	"sort"
	"strings"
)

// queryPair is one parameter of a canonical query, both parts encoded.
type queryPair struct{ key, value []byte }

// canonicalQuery returns the canonical form of a raw query: split on '&' and
// on the first '='; a key without '=' has the empty value; each part is
// percent-decoded ('+' is a space) and encoded again per RFC 3986; pairs are
// sorted by key, then value. Empty parameters ("a&&b") are dropped. The same
// string is what the request sends, so what is signed and what the server
// reads cannot differ.
func canonicalQuery(raw string) string {
	if raw == "" || isCanonicalQuery(raw) {
		return raw
	}
	n := strings.Count(raw, "&") + 1
	pairs := make([]queryPair, 0, n)
	var scratch []byte
	for rest := raw; rest != ""; {
		var param string
		param, rest, _ = strings.Cut(rest, "&")
		if param == "" {
			continue
		}
		k, v, _ := strings.Cut(param, "=")
		scratch = appendUnescaped(scratch[:0], k, true)
		key := appendEscaped(nil, string(scratch), false)
		scratch = appendUnescaped(scratch[:0], v, true)
		val := appendEscaped(nil, string(scratch), false)
		pairs = append(pairs, queryPair{key, val})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if c := bytes.Compare(pairs[i].key, pairs[j].key); c != 0 {
			return c < 0
		}
		return bytes.Compare(pairs[i].value, pairs[j].value) < 0
	})
	out := make([]byte, 0, len(raw)+len(pairs)*2)
	for i, p := range pairs {
		if i > 0 {
			out = append(out, '&')
		}
		out = append(out, p.key...)
		out = append(out, '=')
		out = append(out, p.value...)
	}
	return string(out)
}

// isCanonicalQuery reports whether raw is already in canonical form, so that
// the common case costs no allocation: every parameter has '=', every byte
// is unreserved or a %XX escape with upper-case hex of a byte that must be
// escaped, and the pairs are sorted.
func isCanonicalQuery(raw string) bool {
	var prevKey, prevVal string
	for i, rest := 0, raw; rest != ""; i++ {
		var param string
		var more bool
		param, rest, more = strings.Cut(rest, "&")
		k, v, ok := strings.Cut(param, "=")
		if !ok || (more && rest == "") || !isCanonicalComponent(k) || !isCanonicalComponent(v) {
			return false
		}
		if i > 0 && (k < prevKey || (k == prevKey && v < prevVal)) {
			return false
		}
		prevKey, prevVal = k, v
	}
	return true
}

func isCanonicalComponent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		if c != '%' || i+2 >= len(s) {
			return false
		}
		hi, lo := s[i+1], s[i+2]
		h, ok1 := unhex(hi)
		l, ok2 := unhex(lo)
		if !ok1 || !ok2 || (hi >= 'a' && hi <= 'f') || (lo >= 'a' && lo <= 'f') || unreserved[h<<4|l] {
			return false
		}
		i += 2
	}
	return true
}
