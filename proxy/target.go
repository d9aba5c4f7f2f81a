package proxy

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/percent"
)

// clientOnly reports whether a request header of the client's stays at
// the proxy, under a key of any case: its Authorization (the listener's,
// or a signature of its own), the signing headers that the proxy sets
// itself (a client's X-Amz-Content-Sha256 would be signed as given, with
// UNSIGNED-PAYLOAD or another body's hash), and an upgrade (after a 101
// the bytes would go upstream raw, unsigned).
func clientOnly(k string) bool {
	for _, h := range [...]string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Upgrade", "Connection"} {
		if len(k) == len(h) && strings.EqualFold(k, h) {
			return true
		}
	}
	return false
}

// signsItself reports whether r carries a SigV4 signature of its client's
// own (an SDK pointed at the proxy).
func signsItself(r *http.Request) bool {
	return strings.HasPrefix(strings.TrimSpace(r.Header.Get("Authorization")), "AWS4-HMAC-SHA256") ||
		r.Header.Get("X-Amz-Date") != "" || r.Header.Get("X-Amz-Security-Token") != "" || r.Header.Get("X-Amz-Content-Sha256") != ""
}

// ownPath reports whether a raw request path is under OwnPrefix in any
// spelling, and which of the proxy's paths it is ("health", "metrics", or
// "" for none). Percent-escapes are decoded until none is left (so %2F and
// %5F and their double encodings count), dot segments are resolved, empty
// segments dropped and case ignored: every reading that a server, a load
// balancer or a later decode could make of it.
func ownPath(raw string) (name string, own bool) {
	if !strings.Contains(raw, "%") && !containsFoldASCII(raw, "_sigv4") {
		return "", false // the common case, without an allocation
	}
	return readOwnPath(raw)
}

// readOwnPath is ownPath without its shortcut: every reading, in full.
func readOwnPath(raw string) (name string, own bool) {
	p := raw
	for range 4 {
		d := percentDecodeAll(p)
		if d == p {
			break
		}
		p = d
	}
	p = strings.ToLower(strings.ReplaceAll(p, "\\", "/"))
	var plain, resolved []string // OpenSearch's reading, and one with dot segments resolved
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			plain = append(plain, s)
		}
		switch s {
		case "", ".":
		case "..":
			if len(resolved) > 0 {
				resolved = resolved[:len(resolved)-1]
			}
		default:
			resolved = append(resolved, s)
		}
	}
	ownFirst := func(segs []string) bool { return len(segs) > 0 && strings.TrimSpace(segs[0]) == "_sigv4" }
	if !ownFirst(plain) && !ownFirst(resolved) {
		return "", false
	}
	for _, segs := range [][]string{plain, resolved} {
		if !ownFirst(segs) || len(segs) != 2 || (segs[1] != "health" && segs[1] != "metrics") {
			return "", true // under the prefix in some reading, and no page of the proxy's in another
		}
	}
	return resolved[1], true
}

// containsFoldASCII reports whether s holds sub (lower-case ASCII) in any
// case.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// percentDecodeAll decodes every %XX escape in s; a '%' without two hex
// digits stays as it is.
func percentDecodeAll(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return string(percent.AppendDecoded(make([]byte, 0, len(s)), s))
}

// setTarget points out at upstream with the path and query exactly as the
// client wrote them in its request line. ProxyRequest.SetURL and the
// query clean-up that ReverseProxy does before Rewrite go through
// url.ParseQuery (dropping and re-sorting the pieces it cannot parse: a
// lone '%', a ';') and URL.EscapedPath (which re-escapes the decoded path,
// turning a %2F into '/', as soon as the path holds a '<' or '{'). The
// signing transport sends the raw form by the wire rules (DESIGN.md,
// "Signing rules"), so the request means upstream what it meant here.
func setTarget(out, upstream *url.URL, in *http.Request) {
	rawPath, rawQuery := requestTarget(in)
	out.Scheme, out.Host, out.User = upstream.Scheme, upstream.Host, nil
	out.Opaque, out.Fragment, out.RawFragment, out.ForceQuery = "", "", "", false
	out.Path, out.RawPath, out.RawQuery = in.URL.Path, "", rawQuery
	if rawPath != in.URL.Path {
		out.RawPath = rawPath
	}
}

// requestTarget returns the path and query of r's request line as the
// client wrote them: the origin form ("/path?query") or the absolute form
// ("http://host/path?query") that a client configured for a proxy sends.
// A request made in this process (no RequestURI) gives its URL's.
func requestTarget(r *http.Request) (path, query string) {
	t := r.RequestURI
	if t == "" {
		return r.URL.EscapedPath(), r.URL.RawQuery
	}
	if !strings.HasPrefix(t, "/") {
		if _, rest, ok := strings.Cut(t, "://"); ok {
			if i := strings.IndexAny(rest, "/?"); i >= 0 {
				t = rest[i:]
			} else {
				t = "/"
			}
		}
	}
	path, query, _ = strings.Cut(t, "?")
	if path == "" {
		path = "/"
	}
	return path, query
}
