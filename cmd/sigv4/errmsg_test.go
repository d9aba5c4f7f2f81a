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
	"github.com/opensearch-sigv4/sigv4/proxy"
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
// types say what the library's text said, without the library's prefixes
// and with the command's flags where the library names an option, from
// the error's Option field.
func TestDescribeKeepsMessages(t *testing.T) {
	pe := &credentials.ProviderError{Source: credentials.SourceEnv, Problem: "AWS_SECRET_ACCESS_KEY is not set", Err: credentials.ErrNotConfigured}
	for _, c := range []struct {
		err  error
		want string
	}{
		{&transport.Error{Op: "configure", Err: &transport.ScopeError{Option: "Region", Value: "eu-west-1", Host: "search-a-b.us-east-1.es.amazonaws.com", HostSays: "us-east-1"}},
			"--region says eu-west-1, but the host name search-a-b.us-east-1.es.amazonaws.com says us-east-1: AWS refuses a signature for any region but the domain's. Remove --region (the host name decides), or use the endpoint of the domain you mean"},
		{&url.Error{Op: "Get", URL: "https://a/", Err: &transport.Error{Op: "check the request", Err: &transport.HostError{Host: "b:443", Redirect: true}}},
			`Get "https://a/": check the request: a redirect to b:443 leaves the scheme or host of the request that was redirected; nothing was signed or sent for it. If that host is yours, name it with --allowed-host (an https request is never followed to http)`},
		{&transport.HostError{Host: "b"},
			"the request is for host b, which --allowed-host (or the Endpoint) does not name; nothing was signed or sent. If it is yours, name it with --allowed-host"},
		{&transport.Error{Op: "resolve the region", Err: &credentials.RegionError{Tried: []string{"endpoint: none given", "AWS_REGION: not set"}}},
			"resolve the region: no AWS region found; set --region or AWS_REGION. Looked at:\n  - endpoint: none given\n  - AWS_REGION: not set"},
		{&transport.Error{Op: "sign", Err: &signer.Error{Kind: signer.ErrBody, Problem: "cannot read the body", Err: errors.New("boom")}},
			"sign: request body cannot be hashed: cannot read the body: boom"},
		{&transport.Error{Op: "retrieve credentials", Err: &credentials.ChainError{Attempts: []credentials.Attempt{
			{Source: credentials.SourceEnv, Err: pe},
			{Source: "other", Err: errors.New("plain")},
		}}}, "retrieve credentials: no credentials found; tried, in order:\n  - " + credentials.SourceEnv + ": AWS_SECRET_ACCESS_KEY is not set\n  - other: plain"},
		{&credentials.ProviderError{Source: "s", Problem: "p", Err: errors.New("c")}, "s: p: c"},
		{&transport.Error{Op: "configure", Err: &transport.ConfigError{Option: "AllowedHosts", Value: "a:1", Problem: "has a port"}},
			`--allowed-host "a:1" has a port`},
		{&transport.ConfigError{Option: "Region", Problem: "is not set"}, "--region is not set"},
		{&transport.Error{Op: "configure", Err: &signer.Error{Kind: signer.ErrOption, Option: "SigningHost", Value: "a b", Problem: "is not a host name"}},
			`--signing-host "a b" is not a host name`},
		{&proxy.ConfigError{Option: proxy.UpstreamOption, Value: "x", Problem: "is not a URL"}, `UPSTREAM_URL "x" is not a URL`},
		{&proxy.ConfigError{Option: "PublicURL", Value: "y", Problem: "is not a URL"}, `--public-url "y" is not a URL`},
	} {
		if got := describe(c.err); got != c.want {
			t.Errorf("describe(%T):\n got %q\nwant %q", c.err, got, c.want)
		}
	}
}

// TestOptionFlagsTable: every option a typed library error can name, of
// those the command sets, has a flag in the table; no message falls back
// to the library's option name for them.
func TestOptionFlagsTable(t *testing.T) {
	for _, option := range []string{"Region", "Service", "SigningHost", "AllowedHosts", "PublicURL", "Endpoint", proxy.UpstreamOption} {
		if f := flagFor(option); f == option || f == "" {
			t.Errorf("flagFor(%q) = %q; want the command's flag", option, f)
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

// TestConfigurationRefusalOnePrefix: a flag the transport refuses is told
// once, as the command's ("sigv4: --allowed-host ..."), without the
// library's step word ("configure:") or a second "sigv4: ".
func TestConfigurationRefusalOnePrefix(t *testing.T) {
	code, _, errs := toolEnv(t, testSecret, "", nil, "--allowed-host", "bad host:99", "--region", "us-east-1", "http://127.0.0.1:1/")
	want := `sigv4: --allowed-host "bad host:99" is not a host name`
	if code != exitUsage || !strings.HasPrefix(errs, want) || strings.Count(errs, "sigv4: ") != 1 || strings.Contains(errs, "configure") {
		t.Errorf("exit %d, stderr %q; want exit %d and a line starting %q, one prefix, no step word", code, errs, exitUsage, want)
	}
}

// TestSignerOptionRefusalNamesTheFlag: a signer option the command sets
// (--signing-host) is refused under the flag's name, not the library's
// option name and step ("configure: invalid signer option: SigningHost").
func TestSignerOptionRefusalNamesTheFlag(t *testing.T) {
	code, _, errs := toolEnv(t, testSecret, "", nil, "--signing-host", "a b", "--region", "us-east-1", "http://127.0.0.1:1/")
	want := `sigv4: --signing-host "a b" is not a host name`
	if code != exitUsage || !strings.HasPrefix(errs, want) || strings.Contains(errs, "SigningHost") || strings.Contains(errs, "configure") {
		t.Errorf("exit %d, stderr %q; want exit %d and a line starting %q", code, errs, exitUsage, want)
	}
}
