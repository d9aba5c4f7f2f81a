package signer

import (
	"net/url"
	"strings"
)

// wirePath returns the path of u as it goes on the wire: the escaped path,
// or the path part of an opaque URL, or "/" when there is none.
func wirePath(u *url.URL) (path string, fromOpaque bool, err error) {
	if u.Opaque == "" {
		if u.RawPath == "" && pathNeedsNoEscape(u.Path) {
			if u.Path == "" {
				return "/", false, nil
			}
			return u.Path, false, nil // what EscapedPath would return, found cheaper
		}
		p := u.EscapedPath()
		if p == "" {
			p = "/"
		}
		return p, false, nil
	}
	o := u.Opaque
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

// pathKept marks the bytes net/url leaves unescaped in a path: unreserved
// characters and $&+,/:;=@.
var pathKept = func() (t [256]bool) {
	t = unreserved
	for _, c := range "$&+,/:;=@" {
		t[c] = true
	}
	return t
}()

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

// normalizePath removes "." and ".." segments and collapses repeated "/",
// as AWS does for every service but S3. A trailing "/" is kept; the result
// is never empty.
func normalizePath(p string) string {
	if !needsNormalizing(p) {
		return p
	}
	segs := make([]string, 0, 8)
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, seg)
		}
	}
	n := 1
	for _, s := range segs {
		n += len(s) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(s)
	}
	// A path that ended in a separator or in a dot segment names a
	// directory: keep its trailing slash.
	last := p[strings.LastIndexByte(p, '/')+1:]
	if len(segs) == 0 || last == "" || last == "." || last == ".." {
		b.WriteByte('/')
	}
	return b.String()
}

// needsNormalizing reports whether p has an empty, "." or ".." segment
// (other than the empty segment after a trailing slash) or does not start
// with "/".
func needsNormalizing(p string) bool {
	if p == "" || p[0] != '/' {
		return true
	}
	rest := p[1:]
	for {
		seg, after, more := cutByte(rest, '/')
		if seg == "." || seg == ".." || (seg == "" && more) {
			return true
		}
		if !more {
			return false
		}
		rest = after
	}
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
		seg = appendUnescaped(seg[:0], part)
		buf = appendEscaped(buf, string(seg), false)
	}
	return string(buf)
}

// validWirePath reports whether net/url will send p unchanged when it is set
// as URL.RawPath: unreserved characters, sub-delimiters, ':', '@', '/', and
// well-formed %XX escapes.
func validWirePath(p string) bool {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved[c] {
			continue
		}
		switch c {
		case '/', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '@':
			continue
		case '%':
			if i+2 < len(p) {
				if _, ok := unhex(p[i+1]); ok {
					if _, ok := unhex(p[i+2]); ok {
						i += 2
						continue
					}
				}
			}
		}
		return false
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
	// Bytes that net/url would re-encode (raw UTF-8, spaces) can only be
	// sent as they are through Opaque. Normalised paths never start with
	// "//", so Opaque cannot be mistaken for an authority.
	u.Opaque, u.Path, u.RawPath = p, "", ""
}
