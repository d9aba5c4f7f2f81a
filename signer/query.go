package signer

import (
	"bytes"
)

// queryPair locates one parameter of a canonical query in a shared buffer:
// buf[ks:ke] is the encoded key, buf[ke:ve] the encoded value.
type queryPair struct{ ks, ke, ve int }

// appendCanonicalQuery appends to dst the canonical form of a raw query:
// split on '&' and
// on the first '='; a key without '=' has the empty value; each part is
// percent-decoded ('+' is a space) and encoded again per RFC 3986; pairs are
// sorted by key, then value. Empty parameters ("a&&b") are dropped. The same
// string is what the request sends, so what is signed and what the server
// reads cannot differ. It returns dst grown, and the appended form, which
// is nil when raw is canonical already (then nothing is appended). For a
// typical query nothing is allocated: the scratch space is on the stack.
func appendCanonicalQuery(dst []byte, raw string) (grown, form []byte) {
	if raw == "" || isCanonicalQuery(raw) {
		return dst, nil
	}
	var bufArr [512]byte
	var pairsArr [16]queryPair
	buf, pairs := bufArr[:0], pairsArr[:0]
	for rest := raw; rest != ""; {
		var param string
		param, rest, _ = cutByte(rest, '&')
		if param == "" {
			continue
		}
		k, v, _ := cutByte(param, '=')
		ks := len(buf)
		buf = appendReencoded(buf, k)
		ke := len(buf)
		buf = appendReencoded(buf, v)
		pairs = append(pairs, queryPair{ks, ke, len(buf)})
	}
	// Insertion sort: queries have few parameters, and it needs no closure.
	for i := 1; i < len(pairs); i++ {
		for j := i; j > 0 && pairLess(buf, pairs[j], pairs[j-1]); j-- {
			pairs[j], pairs[j-1] = pairs[j-1], pairs[j]
		}
	}
	start := len(dst)
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, buf[p.ks:p.ke]...)
		dst = append(dst, '=')
		dst = append(dst, buf[p.ke:p.ve]...)
	}
	if len(dst) == start {
		return dst, []byte{} // only empty parameters: the canonical query is empty
	}
	return dst, dst[start:]
}

// pairLess orders pairs by encoded key, then encoded value.
func pairLess(buf []byte, a, b queryPair) bool {
	if c := bytes.Compare(buf[a.ks:a.ke], buf[b.ks:b.ke]); c != 0 {
		return c < 0
	}
	return bytes.Compare(buf[a.ke:a.ve], buf[b.ke:b.ve]) < 0
}

// appendReencoded appends s percent-decoded ('+' as a space, a '%' without
// two hex digits as itself) and encoded again per RFC 3986, in one pass.
func appendReencoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				c = hi<<4 | lo
				i += 2
			}
		}
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
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
		param, rest, more = cutByte(rest, '&')
		k, v, ok := cutByte(param, '=')
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
