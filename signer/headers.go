package signer

import (
	"net/http"
	"sort"
	"strings"
)

// neverSigned lists the headers that are never signed, not even when named:
// proxies, load balancers and Go's own transport add, drop or rewrite them,
// and a signed header that changes in flight is a 403.
var neverSigned = map[string]bool{
	"authorization":     true,
	"content-length":    true,
	"user-agent":        true,
	"accept-encoding":   true,
	"connection":        true,
	"transfer-encoding": true,
	"expect":            true,
	"x-amzn-trace-id":   true,
	"host":              true, // always signed, from the request's host
}

// isNeverSigned reports whether the lower-case header name is one that is
// never signed.
func isNeverSigned(lower string) bool {
	return neverSigned[lower] || strings.HasPrefix(lower, "x-forwarded-")
}

// lowerNames maps the canonical form of the headers that are commonly signed
// to their lower-case form, so the hot path does not allocate to lower them.
var lowerNames = map[string]string{
	"Content-Type":         "content-type",
	"X-Amz-Date":           "x-amz-date",
	"X-Amz-Content-Sha256": "x-amz-content-sha256",
	"X-Amz-Security-Token": "x-amz-security-token",
}

func lowerName(k string) string {
	if l, ok := lowerNames[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

// signedHeader is one header of the canonical request.
type signedHeader struct {
	name   string   // lower case
	values []string // as in the request, in order
}

// collectHeaders appends to dst the headers of h that are signed: content-type,
// every x-amz-* header, and those named in extra; with all set (the test
// suite's policy), every header. The result is sorted by name; headers whose
// names differ only in case are merged.
func collectHeaders(dst []signedHeader, h http.Header, extra map[string]bool, all bool) []signedHeader {
	for k, v := range h {
		l := lowerName(k)
		if !all {
			if isNeverSigned(l) {
				continue
			}
			if l != "content-type" && !strings.HasPrefix(l, "x-amz-") && !extra[l] {
				continue
			}
		} else if l == "host" || l == "authorization" {
			continue
		}
		dst = append(dst, signedHeader{l, v})
	}
	sort.Slice(dst, func(i, j int) bool { return dst[i].name < dst[j].name })
	// Merge names that differ only in case (possible when the header map was
	// written to directly). Rare: only then is anything allocated.
	for i := 1; i < len(dst); i++ {
		if dst[i].name == dst[i-1].name {
			merged := append(append([]string(nil), dst[i-1].values...), dst[i].values...)
			dst[i-1].values = merged
			dst = append(dst[:i], dst[i+1:]...)
			i--
		}
	}
	return dst
}

// appendHeaderValue appends v trimmed, with each run of spaces and tabs
// collapsed to one space.
func appendHeaderValue(dst []byte, v string) []byte {
	space := false
	wrote := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && wrote {
			dst = append(dst, ' ')
		}
		space = false
		wrote = true
		dst = append(dst, c)
	}
	return dst
}

// hasCRLF reports whether v holds a CR or LF, which cannot be sent in a
// header value.
func hasCRLF(v string) bool {
	return strings.ContainsAny(v, "\r\n")
}
