// Package redact masks credentials for messages and traces.
package redact

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// Placeholder is what a secret is replaced with wherever text would show
// it.
const Placeholder = "<redacted>"

// Spellings returns the forms in which text may hold secret: as it is,
// and as a JSON encoder that escapes '/' writes it ("\/"), as AWS's and
// OpenSearch's error bodies may. The two are equal when secret holds no
// '/'.
func Spellings(secret string) [2]string {
	return [2]string{secret, strings.ReplaceAll(secret, "/", `\/`)}
}

// Secret returns s with every spelling of secret (Spellings) replaced by
// Placeholder: the one rule for hiding a known secret in text. An empty
// secret changes nothing.
func Secret(s, secret string) string {
	if secret == "" {
		return s
	}
	for _, sp := range Spellings(secret) {
		s = strings.ReplaceAll(s, sp, Placeholder)
	}
	return s
}

// Signature returns an Authorization header value with everything from its
// "Signature=" on replaced by "Signature=<redacted>": the form in which a
// log line or an echo of the header shows it.
func Signature(authz string) string {
	if i := strings.Index(authz, "Signature="); i >= 0 {
		return authz[:i] + "Signature=" + Placeholder
	}
	return authz
}

// AccessKeyID returns id with all but its last four characters replaced by
// '*'.
func AccessKeyID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// Format writes s, the String of a value that holds secrets, for every fmt
// verb: %d, %x or %+v of the value would otherwise print its fields. %q
// quotes s, as it would a string.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	io.WriteString(f, s)
}

// URL returns raw without its user information, query and fragment, which
// may hold a password or a token: the form in which a credential source's
// address appears in a message or a log line.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unparseable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Password returns raw with what of it may be a credential hidden, and
// the rest as written, for a message that says what is wrong with a URL:
// the password of its user information (url.URL.Redacted's "xxxxx") and
// the value of every query parameter (a presigned URL's token and
// signature), each "xxxxx"; the query's keys, the host and the path stay.
// Text that does not parse as a URL has what lies between "://" and the
// last '@' of its authority replaced by "xxxxx", the user name with the
// password, and its query values hidden the same way.
func Password(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		_, pw := u.User.Password()
		if !pw && u.RawQuery == "" {
			return raw // nothing to hide: as written, not as re-encoded
		}
		u.RawQuery = queryKeys(u.RawQuery)
		if pw {
			return u.Redacted()
		}
		return u.String()
	}
	if q := strings.IndexByte(raw, '?'); q >= 0 {
		end := len(raw)
		if f := strings.IndexByte(raw[q:], '#'); f >= 0 {
			end = q + f
		}
		raw = raw[:q+1] + queryKeys(raw[q+1:end]) + raw[end:]
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	auth := raw[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		return raw[:i+3] + "xxxxx" + raw[i+3+at:]
	}
	return raw
}

// queryKeys is a raw query with every parameter's value "xxxxx".
func queryKeys(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	for i, p := range parts {
		if k, _, ok := strings.Cut(p, "="); ok {
			parts[i] = k + "=xxxxx"
		}
	}
	return strings.Join(parts, "&")
}
