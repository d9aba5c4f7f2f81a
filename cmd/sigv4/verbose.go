package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/signer"
)

// flushTrace writes what was signed, for -v.
func (c *cli) flushTrace() {
	if c.o.verbose {
		io.WriteString(c.stderr, c.trace.String())
		c.trace.Reset()
	}
}

// sentLogger writes each request as it goes on the wire, for -v, with
// curl's "> " prefix: the signature and the session token redacted.
type sentLogger struct {
	next http.RoundTripper
	w    io.Writer
}

func (l *sentLogger) RoundTrip(r *http.Request) (*http.Response, error) {
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	fmt.Fprintf(l.w, "> %s %s HTTP/1.1\n> Host: %s\n", r.Method, r.URL.RequestURI(), host)
	tok := r.Header.Get("X-Amz-Security-Token")
	for _, k := range sortedKeys(r.Header) {
		for _, v := range r.Header[k] {
			switch k {
			case "Authorization":
				v = redact.Signature(v)
			case "X-Amz-Security-Token":
				v = redact.Placeholder
			}
			fmt.Fprintf(l.w, "> %s: %s\n", k, redact.Secret(v, tok))
		}
	}
	if r.ContentLength > 0 {
		fmt.Fprintf(l.w, "> Content-Length: %d\n", r.ContentLength)
	}
	fmt.Fprintln(l.w, ">")
	return l.next.RoundTrip(r)
}

// sentToken returns the session token the request of res carried, if any.
func sentToken(res *http.Response) string {
	if res.Request == nil {
		return ""
	}
	return res.Request.Header.Get("X-Amz-Security-Token")
}

// traceTo writes what was signed, for -v.
func traceTo(b *strings.Builder, t signer.Trace) {
	expires := "does not expire"
	if !t.Expires.IsZero() {
		expires = "expires " + t.Expires.UTC().Format("2006-01-02T15:04:05Z")
	}
	fmt.Fprintf(b, "* credentials: %s (access key %s, %s)\n", orUnknown(t.Source), t.AccessKeyID, expires)
	fmt.Fprintf(b, "* scope: %s\n", t.CredentialScope)
	b.WriteString("* canonical request:\n")
	for _, l := range strings.Split(t.CanonicalRequest, "\n") {
		b.WriteString("*   " + l + "\n")
	}
	b.WriteString("* string to sign:\n")
	for _, l := range strings.Split(t.StringToSign, "\n") {
		b.WriteString("*   " + l + "\n")
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown source)"
	}
	return s
}
