package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Exit codes, as curl's.
const (
	exitOK        = 0
	exitFailure   = 1  // anything else: no credentials, a request that cannot be signed
	exitUsage     = 2  // bad options
	exitURL       = 3  // the URL is malformed
	exitResolve   = 6  // could not resolve host
	exitConnect   = 7  // could not connect
	exitHTTPError = 22 // the server answered with an error status
	exitWrite     = 23 // could not write the output
	exitTimeout   = 28 // timed out
	exitTLS       = 35 // TLS handshake failed
	exitCert      = 60 // the server's certificate is not trusted

	// exitCredentials is sigv4's own, outside curl's range: no usable AWS
	// credentials (none configured, a credential source that failed, or
	// credentials that expired), so nothing was sent to the URL.
	exitCredentials = 120
)

// errorf writes one error line, starting "sigv4: ", unless -s without -S.
func (c *cli) errorf(format string, args ...any) {
	if c.o.silent && !c.o.showEr {
		return
	}
	fmt.Fprintf(c.stderr, "sigv4: "+format+"\n", args...)
}

// failed reports a request that got no response, with curl's exit code,
// or exitCredentials when no credentials could be had for it.
func (c *cli) failed(err error) int {
	if msg, ok := credentialFailure(err); ok {
		c.errorf("%s", msg)
		return exitCredentials
	}
	code := exitCode(err)
	var he *transport.HostError
	switch {
	case errors.As(err, &he) && he.Redirect:
		c.errorf("not following the redirect to %s, which leaves the scheme or host of the request: nothing was signed or sent there. If it is yours, name it: -L --allowed-host %s", he.Host, hostOnly(he.Host))
	case code == exitResolve:
		var dnsErr *net.DNSError
		errors.As(err, &dnsErr)
		c.errorf("could not resolve host %s: check the URL's host name, and your DNS (a VPC domain resolves only inside its VPC: reach it through a tunnel with --signing-host)", dnsErr.Name)
	case code == exitConnect:
		c.errorf("failed to connect to %s: %s (is the endpoint up, and is this the right port?)", hostOnlyPort(err), rootCause(err))
	case code == exitTLS:
		c.errorf("the TLS handshake failed (%s): check that the URL's scheme and port are the server's (https for a domain; a tunnel's local end speaks what the far end does)", oneLine(describe(err)))
	case code == exitTimeout:
		c.errorf("timed out (%s); give more time with -m/--max-time or --connect-timeout", oneLine(describe(err)))
	default:
		c.errorf("%s", oneLine(describe(err)))
	}
	return code
}

// hostOnlyPort returns the address a dial error was for.
func hostOnlyPort(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return "the endpoint"
}

// rootCause returns the innermost error's message.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

func hostOnly(h string) string {
	if name, _, err := net.SplitHostPort(h); err == nil {
		return name
	}
	return h
}

// exitCode maps a request error to curl's exit code, from the error's
// type, never its text.
func exitCode(err error) int {
	var (
		dnsErr      *net.DNSError
		certErr     *tls.CertificateVerificationError
		unknownCA   x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidCert x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		echErr      *tls.ECHRejectionError
		opErr       *net.OpError
		netErr      net.Error
	)
	switch {
	case errors.As(err, &dnsErr):
		return exitResolve
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return exitCert
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return exitTimeout
	case errors.Is(err, http.ErrSchemeMismatch), errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &echErr):
		return exitTLS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return exitConnect
	}
	return exitFailure
}

// cliMessage speaks the command's language: its flags, not the library's
// options (see describe), and "sigv4:" first.
func cliMessage(err error) string { return "sigv4: " + describe(err) }

// describe is err's message in the command's words, built from the
// library's error types and their fields: no library prefix, the command's
// flags where the library names its options.
func describe(err error) string {
	switch e := err.(type) {
	case *url.Error:
		return e.Op + " " + strconv.Quote(e.URL) + ": " + describe(e.Err)
	case *transport.Error:
		switch c := e.Err.(type) {
		case *transport.ConfigError, *transport.ScopeError:
			return describe(e.Err) // the flag says which setting: no step word
		case *signer.Error:
			if c.Option != "" {
				return describe(e.Err)
			}
		}
		return e.Op + ": " + describe(e.Err)
	case *sourceError:
		return describe(e.err)
	case *transport.ScopeError:
		flag := flagFor(e.Option)
		return flag + " says " + e.Value + ", but the host name " + e.Host + " says " + e.HostSays +
			": AWS refuses a signature for any " + strings.ToLower(e.Option) + " but the domain's. Remove " + flag +
			" (the host name decides), or use the endpoint of the domain you mean"
	case *transport.HostError:
		if e.Redirect {
			return "a redirect to " + e.Host + " leaves the scheme or host of the request that was redirected; nothing was signed or sent for it. " +
				"If that host is yours, name it with --allowed-host (an https request is never followed to http)"
		}
		return "the request is for host " + e.Host + ", which --allowed-host (or the Endpoint) does not name; nothing was signed or sent. " +
			"If it is yours, name it with --allowed-host"
	case *transport.ConfigError:
		return optionSays(e.Option, e.Value, e.Problem)
	case *proxy.ConfigError:
		return optionSays(e.Option, e.Value, e.Problem)
	case *credentials.RegionError:
		return "no AWS region found; set --region or AWS_REGION. Looked at:\n  - " + strings.Join(e.Tried, "\n  - ")
	case *signer.Error:
		if e.Option != "" {
			return optionSays(e.Option, e.Value, e.Problem)
		}
		msg := e.Kind.Error() + ": " + e.Problem
		if e.Err != nil {
			msg += ": " + describe(e.Err)
		}
		return msg
	case *credentials.ProviderError:
		return e.Source + ": " + providerProblem(e)
	case *credentials.ChainError:
		var b strings.Builder
		b.WriteString("no credentials found; tried, in order:")
		for _, a := range e.Attempts {
			b.WriteString("\n  - " + a.Source + ": ")
			var pe *credentials.ProviderError
			if p, ok := a.Err.(*credentials.ProviderError); ok && p.Source == a.Source {
				pe = p
			}
			if pe != nil {
				b.WriteString(providerProblem(pe))
			} else {
				b.WriteString(describe(a.Err))
			}
		}
		return b.String()
	case *transport.Diagnosis:
		// Its text is written for people, evidence diff included, and its
		// fix names each option with the command's flag; only the
		// package's prefix goes (Explanation is Error without it).
		return e.Explanation()
	}
	// Errors of no library type (the transport's plain errors.New
	// causes, the standard library's): their text, which names no option.
	return err.Error()
}

// optionFlags names, for each library option the command sets from its
// arguments, the flag or argument that sets it: typed errors carry the
// option's name (transport.ConfigError, transport.ScopeError,
// proxy.ConfigError), and messages name the flag from this table.
var optionFlags = map[string]string{
	"Region":             "--region",
	"Service":            "--service",
	"SigningHost":        "--signing-host",
	"AllowedHosts":       "--allowed-host",
	"PublicURL":          "--public-url",
	"Endpoint":           "UPSTREAM_URL", // only the proxy sets it, to its upstream
	proxy.UpstreamOption: "UPSTREAM_URL",
}

// flagFor is the flag that sets a library option; an option the command
// never sets keeps its own name.
func flagFor(option string) string {
	if f, ok := optionFlags[option]; ok {
		return f
	}
	return option
}

// optionSays is a configuration refusal in the command's words: the flag,
// the value given (when there is one) and the library's problem, which
// names no option.
func optionSays(option, value, problem string) string {
	if value == "" {
		return flagFor(option) + " " + problem
	}
	return flagFor(option) + " " + strconv.Quote(value) + " " + problem
}

// providerProblem is a credentials.ProviderError's problem and cause,
// without its source.
func providerProblem(e *credentials.ProviderError) string {
	msg := e.Problem
	if e.Err != nil && e.Err != credentials.ErrNotConfigured {
		msg += ": " + describe(e.Err)
	}
	return msg
}

// oneLine folds a message's lines and runs of white space into one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
