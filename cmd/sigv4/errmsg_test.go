package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestExitCodeByType: exit codes come from the error's type, not its text.
// Before, an error merely mentioning "x509: " or "tls: " (a file name, a
// header value) exited 60 or 35.
func TestExitCodeByType(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("cannot read /etc/ssl/x509: no such file"), exitFailure},
		{&transport.Error{Op: "check the request", Err: errors.New("header X-Note says tls: yes")}, exitFailure},
		{&url.Error{Op: "Get", URL: "https://h", Err: fmt.Errorf("x: %w", http.ErrSchemeMismatch)}, exitTLS},
		{&url.Error{Op: "Get", URL: "https://h", Err: x509.UnknownAuthorityError{}}, exitCert},
		{&url.Error{Op: "Get", URL: "https://h", Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "h"}}, exitCert},
		{&url.Error{Op: "Get", URL: "https://h", Err: tls.AlertError(40)}, exitTLS},
		{&url.Error{Op: "Get", URL: "https://h", Err: tls.RecordHeaderError{Msg: "m"}}, exitTLS},
	} {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("exitCode(%v) = %d; want %d", c.err, got, c.want)
		}
	}
}

// TestDescribeKeepsMessages: the messages built from the library's error
// types say what the library's text said, in the command's flags and
// without the library's prefixes.
func TestDescribeKeepsMessages(t *testing.T) {
	stripped := func(err error) string {
		s := err.Error()
		for _, p := range []string{"sigv4/transport: ", "sigv4/credentials: ", "sigv4/signer: "} {
			s = strings.ReplaceAll(s, p, "")
		}
		return flagWords(s)
	}
	pe := &credentials.ProviderError{Source: credentials.SourceEnv, Problem: "AWS_SECRET_ACCESS_KEY is not set", Err: credentials.ErrNotConfigured}
	for _, err := range []error{
		&transport.Error{Op: "configure", Err: &transport.ScopeError{Option: "Region", Value: "eu-west-1", Host: "search-a-b.us-east-1.es.amazonaws.com", HostSays: "us-east-1"}},
		&url.Error{Op: "Get", URL: "https://a/", Err: &transport.Error{Op: "check the request", Err: &transport.HostError{Host: "b:443", Redirect: true}}},
		&transport.HostError{Host: "b"},
		&transport.Error{Op: "resolve the region", Err: &credentials.RegionError{Tried: []string{"the Region option: not set", "AWS_REGION: not set"}}},
		&transport.Error{Op: "sign", Err: &signer.Error{Kind: signer.ErrBody, Problem: "cannot read the body", Err: errors.New("boom")}},
		&transport.Error{Op: "retrieve credentials", Err: &credentials.ChainError{Attempts: []credentials.Attempt{
			{Source: credentials.SourceEnv, Err: pe},
			{Source: "other", Err: errors.New("plain")},
		}}},
		&credentials.ProviderError{Source: "s", Problem: "p", Err: errors.New("c")},
	} {
		if got, want := describe(err), stripped(err); got != want {
			t.Errorf("describe:\n got %q\nwant %q", got, want)
		}
	}
}

// TestNoCredentialsByType: a request not sent for want of credentials is
// told by the command's own marker on its credential source's error, not
// by the transport's Op text.
func TestNoCredentialsByType(t *testing.T) {
	cause := &credentials.ChainError{Attempts: []credentials.Attempt{{Source: "s", Err: errors.New("none")}}}
	marked := &url.Error{Op: "Get", URL: "https://h/", Err: &transport.Error{Op: "retrieve credentials", Err: &sourceError{cause}}}
	if !isNoCredentials(marked) {
		t.Errorf("isNoCredentials(%v) = false", marked)
	}
	if msg, ok := credentialFailure(marked); !ok || strings.Contains(msg, "https://h/") || !strings.Contains(msg, "s: none") {
		t.Errorf("credentialFailure = %q, %v; want the source's failure and not the URL", msg, ok)
	}
	other := &transport.Error{Op: "check the request", Err: transport.ErrAuthorizationSet}
	if isNoCredentials(other) {
		t.Errorf("isNoCredentials(%v) = true", other)
	}
}
