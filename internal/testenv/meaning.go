package testenv

import (
	"maps"
	"slices"
	"strings"
)

// Meaning is what OpenSearch reads from a request target: the oracle of
// the meaning checks (DESIGN.md, "The first principle"). It is written
// without net/url or package signer, from OpenSearch's own reading, so that
// it checks them instead of repeating them.
type Meaning struct {
	// Segments is the path split on '/', empty segments dropped, each
	// percent-decoded; dot segments are names, never resolved.
	Segments []string
	// Params is the query split on '&' and the first '=', each side
	// percent-decoded with '+' a space; the last value of a key wins.
	Params map[string]string
}

// ReadTarget reads a request target (path?query) the way OpenSearch does.
func ReadTarget(target string) Meaning {
	path, query, _ := strings.Cut(target, "?")
	m := Meaning{Params: map[string]string{}}
	for _, seg := range strings.Split(path, "/") {
		if seg != "" {
			m.Segments = append(m.Segments, decodePercent(seg, false))
		}
	}
	for _, p := range strings.Split(query, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		m.Params[decodePercent(k, true)] = decodePercent(v, true)
	}
	return m
}

// Equal reports whether m and o mean the same request.
func (m Meaning) Equal(o Meaning) bool {
	return slices.Equal(m.Segments, o.Segments) && maps.Equal(m.Params, o.Params)
}

// decodePercent decodes %XX escapes; a '%' without two hex digits stands
// for itself; with plus, '+' is a space.
func decodePercent(s string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && hexValue(s[i+1]) >= 0 && hexValue(s[i+2]) >= 0 {
			b.WriteByte(byte(hexValue(s[i+1])<<4 | hexValue(s[i+2])))
			i += 2
			continue
		}
		if c == '+' && plus {
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

// hexValue is the value of a hex digit, or -1.
func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
