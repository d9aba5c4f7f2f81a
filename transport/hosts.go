// Where requests may be signed: the AllowedHosts entries, the form hosts are
// compared in, and the redirect rule (DESIGN.md, "Where requests may go").

package transport

import (
	"net"
	"net/http"
	"strings"

	"golang.org/x/net/idna"
)

// allowedEntry checks one AllowedHosts entry and returns it in the form
// hosts are compared in: lower-case ASCII, as net/http dials it. An entry
// that can never match a host is an error that says why.
func allowedEntry(entry string) (string, error) {
	h := strings.TrimSpace(entry)
	bad := func(why string) error {
		return &ConfigError{Option: "AllowedHosts", Value: entry,
			Problem: why + "; want a host name such as \"search-logs-abc.eu-west-1.es.amazonaws.com\" or \"*.es.amazonaws.com\""}
	}
	wild := strings.HasPrefix(h, "*.")
	name := strings.TrimPrefix(h, "*.")
	switch {
	case h == "":
		return "", bad("is empty")
	case strings.ContainsAny(h, "/ \t\r\n?#@"):
		return "", bad("is not a host name (no scheme, path or spaces)")
	case strings.ContainsAny(h, "[]"):
		return "", bad("has brackets: name an IPv6 address without them")
	case strings.Contains(name, "*"):
		return "", bad("has a '*' other than a leading \"*.\"")
	case name == "":
		return "", bad("matches nothing after \"*.\"")
	case strings.HasSuffix(name, "."):
		return "", bad("ends in a dot, which no request host has")
	case strings.Count(name, ":") == 1:
		return "", bad("has a port: entries are compared without the port, so name the host alone")
	}
	a, ok := dialName(name)
	if !ok {
		return "", bad("is not a valid (internationalised) host name")
	}
	if wild {
		return "*." + a, nil
	}
	return a, nil
}

// dialName returns the name of host (name or name:port, as in a URL) in
// the form net/http dials it: an internationalised name in lower-case ASCII
// (punycode, IDNA lookup profile), without port, brackets or IPv6 zone.
func dialName(host string) (string, bool) {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if i := strings.IndexByte(name, '%'); i >= 0 && strings.Contains(name, ":") {
		name = name[:i] // an IPv6 zone
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			a, err := idna.Lookup.ToASCII(name)
			if err != nil || a == "" {
				return "", false
			}
			return strings.ToLower(a), true
		}
	}
	return strings.ToLower(name), name != ""
}

// hostAllowed reports whether a request to host (host[:port]) may be
// signed: names are compared in the ASCII form net/http dials.
func (t *Transport) hostAllowed(host string) bool {
	if len(t.allowed) == 0 {
		return true
	}
	name, ok := dialName(host)
	if !ok {
		return false
	}
	for _, a := range t.allowed {
		if a == name || (strings.HasPrefix(a, "*.") && strings.HasSuffix(name, a[1:])) {
			return true
		}
	}
	return false
}

// redirectAllowed reports whether r, a request http.Client made to follow
// a redirect (r.Response is the redirect), may be signed: only to the same
// scheme and host as the request that was redirected, or to a host that
// AllowedHosts names, and never from https to http.
func (t *Transport) redirectAllowed(r *http.Request) bool {
	prev := r.Response.Request
	if prev == nil || prev.URL == nil {
		return false
	}
	if strings.EqualFold(prev.URL.Scheme, "https") && !strings.EqualFold(r.URL.Scheme, "https") {
		return false
	}
	if len(t.allowed) > 0 {
		return t.hostAllowed(r.URL.Host)
	}
	a, ok1 := dialName(r.URL.Host)
	b, ok2 := dialName(prev.URL.Host)
	return ok1 && ok2 && a == b && r.URL.Port() == prev.URL.Port() && strings.EqualFold(r.URL.Scheme, prev.URL.Scheme)
}
