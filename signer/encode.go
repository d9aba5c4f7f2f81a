package signer

import (
	"encoding/binary"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/percent"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports the RFC 3986 unreserved characters, the only bytes that
// SigV4 leaves unencoded in a canonical URI or query.
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['.'], t['_'], t['~'] = true, true, true, true
	return t
}()

// appendEscaped appends s with every byte that is not unreserved written as
// %XX (upper-case hex). With keepSlash, '/' is kept as is.
func appendEscaped(dst []byte, s string, keepSlash bool) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved[c] || (keepSlash && c == '/') {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// needsEscape reports whether appendEscaped would change s.
func needsEscape(s string, keepSlash bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved[c] && !(keepSlash && c == '/') {
			return true
		}
	}
	return false
}

// cutByte is strings.Cut for a one-byte separator, without the general
// search's dispatch: it is called for every path segment.
func cutByte(s string, sep byte) (before, after string, found bool) {
	if i := strings.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// isHex reports whether c is a hex digit.
func isHex(c byte) bool {
	_, ok := percent.Unhex(c)
	return ok
}

// hexSum writes a SHA-256 sum in lower-case hex, four bytes at a time
// in a machine word: 1.5 to 1.7 times as fast as encoding/hex's table loop
// (BenchmarkHexSum), on a path every signing takes twice.
func hexSum(dst *[2 * 32]byte, sum *[32]byte) {
	for i := 0; i < 8; i++ {
		binary.BigEndian.PutUint64(dst[8*i:], hexWord(binary.BigEndian.Uint32(sum[4*i:])))
	}
}

// hexWord returns the eight lower-case hex digits of v, the first in the
// top byte.
func hexWord(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff                            // each 16 bits of v in its own 32
	x = (x | x<<8) & 0x00ff00ff00ff00ff                             // each byte in its own 16
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f                             // each nibble in its own byte
	letters := ((x + 0x0606060606060606) >> 4) & 0x0101010101010101 // 1 where the nibble is >= 10
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
}
