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
	if raw == "" {
		return dst, nil
	}
	var bufArr [512]byte
	var pairsArr [16]queryPair
	buf, pairs := bufArr[:0], pairsArr[:0]
	// One pass re-encodes every part and notes whether that changed
	// anything: every parameter has '=', each part comes out byte for byte
	// as it went in, and the pairs are in order. Then raw is canonical
	// already and nothing is appended.
	same := true
	for rest := raw; rest != ""; {
		var param string
		var more bool
		param, rest, more = cutByte(rest, '&')
		if param == "" || (more && rest == "") {
			same = false
			if param == "" {
				continue
			}
		}
		k, v, hasEq := cutByte(param, '=')
		ks := len(buf)
		buf = appendReencoded(buf, k)
		ke := len(buf)
		buf = appendReencoded(buf, v)
		p := queryPair{ks, ke, len(buf)}
		if same && (!hasEq || string(buf[ks:ke]) != k || string(buf[ke:p.ve]) != v ||
			(len(pairs) > 0 && pairLess(buf, p, pairs[len(pairs)-1]))) {
			same = false
		}
		pairs = append(pairs, p)
	}
	if same {
		return dst, nil
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
// Runs of unreserved bytes, which both steps leave alone, are copied whole.
func appendReencoded(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] {
			continue
		}
		dst = append(dst, s[start:i]...)
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
		start = i + 1
	}
	return append(dst, s[start:]...)
}
