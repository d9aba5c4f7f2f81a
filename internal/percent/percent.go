// Package percent holds the percent-decoding that the signer's wire form
// and the proxy's reading of its own paths share (see DESIGN.md, Wire
// form).
package percent

// Unhex returns the value of the hex digit c, in either case, and whether c
// is one. It is small enough to be inlined where it is called: the signer
// calls it for every '%' of every path and query it reads.
func Unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// AppendDecoded appends s with every %XX escape decoded. A '%' that is not
// followed by two hex digits stands for itself, and so does '+' (as in a
// path).
func AppendDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			hi, ok1 := Unhex(s[i+1])
			lo, ok2 := Unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 2
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}
