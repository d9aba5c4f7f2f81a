// Command sigv4 is curl for IAM-protected Amazon OpenSearch Service: it
// signs each request with AWS Signature Version 4, with credentials from
// the default chain (environment, profiles, web identity, SSO, ECS/EKS
// container endpoint, EC2 instance metadata) and the region and service
// from the host name.
//
//	sigv4 [options] URL
//	sigv4 whoami [--map ROLE] [options] URL
//	sigv4 proxy [flags] UPSTREAM_URL
//
// Its flags are curl's, with curl's meaning and exit codes (sigv4 help
// lists them); an HTTP error status exits 22 after writing the body, as
// curl --fail-with-body does, and -f writes no body (and leaves an -o FILE
// as it was). Without usable AWS credentials nothing is sent and it exits
// 120, naming the credential source that failed and what to check. A refused request
// (403, or the 401 of fine-grained access control) gets a diagnosis of the
// cause and the fix on standard error. No output ever shows the secret key,
// the session token (raw or JSON-escaped) or a signature.
//
// proxy runs a local signing proxy to one upstream, for tools that cannot
// sign (package proxy): loopback by default; any other address requires
// client certificates or basic auth, or --insecure-listen.
//
// whoami asks the cluster who the credentials are
// (_plugins/_security/authinfo): user name, backend roles, OpenSearch
// roles; when the IAM principal is mapped to no role, it says how to map
// it, and with --map ROLE prints the sigv4 command that adds it to ROLE's
// mapping.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
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

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// cli is one run of the command.
type cli struct {
	o              *options
	stdin          io.Reader
	stdout, stderr io.Writer
	trace          strings.Builder // what was signed, for -v; requests are made one at a time
	tr             *transport.Transport
	client         *http.Client
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "help" {
		return help(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "proxy" {
		if wantsHelp(args[1:]) {
			fmt.Fprint(stdout, proxyUsage)
			return exitOK
		}
		return runProxy(args[1:], stderr)
	}
	o, err := parse(args)
	c := &cli{o: o, stdin: stdin, stdout: stdout, stderr: stderr}
	if err != nil {
		c.o = &options{}
		c.errorf("%s", err)
		return exitUsage
	}
	whoami := len(o.positional) > 0 && o.positional[0] == "whoami"
	if whoami {
		o.positional = o.positional[1:]
	}
	switch {
	case o.help && whoami:
		fmt.Fprint(stdout, whoamiUsage)
		return exitOK
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case o.version:
		fmt.Fprintln(stdout, "sigv4", version())
		return exitOK
	}
	if len(o.positional) != 1 {
		c.errorf("give exactly one URL, such as https://search-mydomain-abc.eu-west-1.es.amazonaws.com/_cat/indices?v (sigv4 --help)")
		return exitUsage
	}
	target, code := c.parseURL(o.positional[0])
	if code != exitOK {
		return code
	}
	if code := c.setup(target); code != exitOK {
		return code
	}
	if whoami {
		return c.whoami(ctx, target)
	}
	req, code := c.request(ctx, target)
	if code != exitOK {
		return code
	}
	return c.do(req)
}

// help answers "sigv4 help [COMMAND]" on standard output.
func help(args []string, stdout, stderr io.Writer) int {
	topic := ""
	if len(args) > 0 {
		topic = args[0]
	}
	switch {
	case len(args) > 1:
	case topic == "":
		fmt.Fprint(stdout, usage)
		return exitOK
	case topic == "proxy":
		fmt.Fprint(stdout, proxyUsage)
		return exitOK
	case topic == "whoami":
		fmt.Fprint(stdout, whoamiUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "sigv4: no help for %q: sigv4 help, sigv4 help whoami or sigv4 help proxy\n", strings.Join(args, " "))
	return exitUsage
}

// wantsHelp reports whether a subcommand's arguments ask for its help:
// -h, -help or --help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// errorf writes one error line, starting "sigv4: ", unless -s without -S.
func (c *cli) errorf(format string, args ...any) {
	if c.o.silent && !c.o.showEr {
		return
	}
	fmt.Fprintf(c.stderr, "sigv4: "+format+"\n", args...)
}

// parseURL checks the URL, suggesting a scheme when it has none.
func (c *cli) parseURL(raw string) (*url.URL, int) {
	u, err := url.Parse(raw)
	if err == nil && u.Scheme == "" && u.Host == "" && raw != "" && !strings.HasPrefix(raw, "/") {
		c.errorf("%q has no scheme: did you mean https://%s ?", raw, raw)
		return nil, exitURL
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.errorf("%q is not an http(s) URL such as https://search-mydomain-abc.eu-west-1.es.amazonaws.com/_cat/indices?v", raw)
		return nil, exitURL
	}
	return u, exitOK
}

// setup builds the signing transport and the client.
func (c *cli) setup(target *url.URL) int {
	o := c.o
	if o.profile != "" {
		// The same as AWS_PROFILE=P: credentials and region both.
		os.Setenv("AWS_PROFILE", o.profile)
	}
	signingHost := o.signingHost
	var headers []string
	for _, h := range o.headers {
		k, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(k), "Host") {
			if signingHost == "" {
				signingHost = strings.TrimSpace(v) // as curl: send that host, and sign it
			}
			continue
		}
		headers = append(headers, h)
	}
	o.headers = headers

	dialer := &net.Dialer{Timeout: o.connectTimeout, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSHandshakeTimeout: o.connectTimeout,
		ForceAttemptHTTP2:   true,
	}
	if o.insecure {
		base.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	} else if o.caCert != "" {
		pool, err := readCAFile("--cacert", o.caCert)
		if err != nil {
			c.errorf("%s", err)
			return exitUsage
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	var rt http.RoundTripper = base
	if o.verbose {
		rt = &sentLogger{next: base, w: c.stderr}
	}
	tr, err := transport.New(func(t *transport.Options) {
		t.Region, t.Service, t.SigningHost = o.region, o.service, signingHost
		t.Credentials = expiryCheck{credentials.NewDefaultChain()}
		t.Base = rt
		t.AllowedHosts = o.allowedHosts
		if len(t.AllowedHosts) > 0 {
			t.AllowedHosts = append(t.AllowedHosts, target.Hostname())
		}
		if o.verbose {
			t.Trace = func(tr signer.Trace) { traceTo(&c.trace, tr) }
		}
	})
	if err != nil {
		c.errorf("%s", cliMessage(err))
		return exitUsage
	}
	c.tr = tr
	c.client = &http.Client{Transport: tr, Timeout: o.maxTime}
	c.client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !o.location {
			return http.ErrUseLastResponse
		}
		if len(via) >= 50 {
			return errors.New("stopped after 50 redirects")
		}
		if o.verbose {
			fmt.Fprintf(c.stderr, "* following the redirect to %s\n", req.URL.Redacted())
		}
		return nil
	}
	return exitOK
}

// request builds the request from the method, headers and data.
func (c *cli) request(ctx context.Context, target *url.URL) (*http.Request, int) {
	o := c.o
	var body []byte
	json := false
	for i, d := range o.data {
		b, err := c.dataBytes(d)
		if err != nil {
			c.errorf("%s", err)
			return nil, exitUsage
		}
		if d.kind == dataJSON {
			json = true
		} else if i > 0 {
			body = append(body, '&') // as curl joins repeated -d
		}
		body = append(body, b...)
	}
	method := o.method
	switch {
	case method != "":
	case o.head:
		method = http.MethodHead
	case o.data != nil:
		method = http.MethodPost
	default:
		method = http.MethodGet
	}
	var rdr io.Reader
	if o.data != nil {
		rdr = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), rdr)
	if err != nil {
		c.errorf("%s", err)
		return nil, exitURL
	}
	req.Header.Set("User-Agent", "sigv4/"+version())
	for _, h := range o.headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if json {
		if req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if req.Header.Get("Accept") == "" {
			req.Header.Set("Accept", "application/json")
		}
	}
	if o.data != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json") // OpenSearch refuses curl's form encoding
	}
	return req, exitOK
}

// dataBytes reads one data flag's value.
func (c *cli) dataBytes(d dataPiece) ([]byte, error) {
	v := d.value
	if d.kind == dataRaw || !strings.HasPrefix(v, "@") {
		return []byte(v), nil
	}
	if v == "@-" {
		b, err := io.ReadAll(c.stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(v[1:])
	if err != nil {
		return nil, fmt.Errorf("cannot read %s for the request body: %w", v[1:], errors.Unwrap(err))
	}
	return b, nil
}

// do sends req and writes the response as curl would.
func (c *cli) do(req *http.Request) int {
	o := c.o
	start := time.Now()
	res, err := c.client.Do(req)
	c.flushTrace()
	if err != nil {
		return c.failed(err)
	}
	defer res.Body.Close()
	tok := sentToken(res)
	if o.verbose {
		c.writeHead(c.stderr, "< ", res, tok)
	}

	failed := res.StatusCode >= 400
	if failed && o.fail {
		// As curl -f: no body, and an existing -o FILE untouched.
		if o.writeOut != "" {
			io.WriteString(c.stdout, writeOut(o.writeOut, res, 0, time.Since(start)))
		}
		return c.httpError(req, res)
	}
	out, err := c.openOutput()
	if err != nil {
		c.errorf("cannot write the output to %s: %s", c.o.output, oneLine(rootCause(err)))
		return exitWrite
	}
	defer out.abort() // a no-op once committed
	if o.include || o.head {
		c.writeHead(out, "", res, tok)
	}
	var n int64
	if !o.head {
		var body io.Reader = res.Body
		if failed {
			// An error body can echo the signed headers: the session token
			// is redacted before it reaches a terminal or a log.
			b, err := io.ReadAll(res.Body)
			if err != nil {
				return c.failed(err)
			}
			body = strings.NewReader(redactToken(string(b), tok))
		}
		n, err = io.Copy(out, body)
		if err != nil {
			var we *writeError
			if errors.As(err, &we) {
				c.errorf("cannot write the output: %s", we.err)
				return exitWrite
			}
			return c.failed(err)
		}
	}
	if err := out.commit(); err != nil {
		c.errorf("cannot write the output to %s: %s", c.o.output, oneLine(rootCause(err)))
		return exitWrite
	}
	if o.writeOut != "" {
		io.WriteString(c.stdout, writeOut(o.writeOut, res, n, time.Since(start)))
	}
	if !failed {
		return exitOK
	}
	return c.httpError(req, res)
}

// httpError reports an HTTP error status: the diagnosis of a refusal, or
// the status.
func (c *cli) httpError(req *http.Request, res *http.Response) int {
	if d := c.tr.DiagnosisFor(res.Header); d != nil {
		if !c.o.silent || c.o.showEr {
			fmt.Fprintln(c.stderr, cliMessage(d))
		}
	} else {
		c.errorf("%s %s: the server answered %s", req.Method, req.URL.Redacted(), res.Status)
	}
	return exitHTTPError
}

// writeError marks an error from writing the output.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

// writeHead writes the status line and headers, each line after prefix.
func (c *cli) writeHead(w io.Writer, prefix string, res *http.Response, tok string) {
	eol := "\n"
	if prefix == "" {
		eol = "\r\n" // -i and -I write them as they came
	}
	fmt.Fprintf(w, "%s%s %s%s", prefix, res.Proto, res.Status, eol)
	for _, k := range sortedKeys(res.Header) {
		for _, v := range res.Header[k] {
			fmt.Fprintf(w, "%s%s: %s%s", prefix, k, redactToken(v, tok), eol)
		}
	}
	fmt.Fprintf(w, "%s%s", strings.TrimRight(prefix, " "), eol)
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// writeOut expands -w's variables and escapes.
func writeOut(format string, res *http.Response, size int64, took time.Duration) string {
	r := strings.NewReplacer(
		"%{http_code}", fmt.Sprintf("%03d", res.StatusCode),
		"%{response_code}", fmt.Sprintf("%03d", res.StatusCode),
		"%{time_total}", fmt.Sprintf("%.6f", took.Seconds()),
		"%{size_download}", fmt.Sprint(size),
		"%{url_effective}", res.Request.URL.Redacted(),
		`\n`, "\n", `\t`, "\t", `\r`, "\r",
	)
	return r.Replace(format)
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
		c.errorf("the TLS handshake failed (%s): check that the URL's scheme and port are the server's (https for a domain; a tunnel's local end speaks what the far end does)", oneLine(cliMessage(err)))
	case code == exitTimeout:
		c.errorf("timed out (%s); give more time with -m/--max-time or --connect-timeout", oneLine(cliMessage(err)))
	default:
		c.errorf("%s", oneLine(cliMessage(err)))
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
// options, and "sigv4:" first.
func cliMessage(err error) string { return "sigv4: " + describe(err) }

// describe is err's message in the command's words, built from the
// library's error types and their fields: no library prefix, the command's
// flags where the library names its options.
func describe(err error) string {
	switch e := err.(type) {
	case *url.Error:
		return e.Op + " " + strconv.Quote(e.URL) + ": " + describe(e.Err)
	case *transport.Error:
		return e.Op + ": " + describe(e.Err)
	case *sourceError:
		return describe(e.err)
	case *transport.ScopeError:
		flag := "--" + strings.ToLower(e.Option)
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
	case *credentials.RegionError:
		return "no AWS region found; set --region or AWS_REGION. Looked at:\n  - " + flagWords(strings.Join(e.Tried, "\n  - "))
	case *signer.Error:
		msg := e.Kind.Error() + ": " + flagWords(e.Problem)
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
		// The diagnosis's text (its evidence diff is written by the
		// library) has no typed parts for the prose of its fix.
		return flagWords(strings.TrimPrefix(e.Error(), "sigv4/transport: "))
	}
	// Errors of no library type (the transport's plain errors.New
	// causes, the standard library's): their text, with the library's
	// option names in the command's flags.
	return flagWords(err.Error())
}

// providerProblem is a credentials.ProviderError's problem and cause,
// without its source.
func providerProblem(e *credentials.ProviderError) string {
	msg := flagWords(e.Problem)
	if e.Err != nil && e.Err != credentials.ErrNotConfigured {
		msg += ": " + describe(e.Err)
	}
	return msg
}

// flagWords rewrites the library's option names in free prose (a cause
// the library gives no type for, a diagnosis's fix) as the command's
// flags.
func flagWords(s string) string {
	return optionsAsFlags.Replace(s)
}

var optionsAsFlags = strings.NewReplacer(
	"set the Region option or AWS_REGION", "set --region or AWS_REGION",
	"set the Region option (or AWS_REGION)", "set --region (or AWS_REGION)",
	"the Region option (sigv4 --region)", "--region",
	"the Region option", "--region",
	"the Service option", "--service",
	"Remove the Region option", "Remove --region",
	"Remove the Service option", "Remove --service",
	"the Region and Service options", "--region and --service",
	"Region option", "--region",
	"Service option", "--service",
	"the SigningHost option (sigv4 --signing-host ", "--signing-host (",
	"the SigningHost option", "--signing-host",
	"add it to AllowedHosts", "name it with --allowed-host",
	"AllowedHosts", "--allowed-host",
)

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "sigv4: ")
	return strings.Join(strings.Fields(s), " ")
}

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
				if i := strings.Index(v, "Signature="); i >= 0 {
					v = v[:i] + "Signature=<redacted>"
				}
			case "X-Amz-Security-Token":
				v = "<redacted>"
			}
			fmt.Fprintf(l.w, "> %s: %s\n", k, redactToken(v, tok))
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

// redactToken replaces a session token in s, as it is and JSON-escaped
// ('/' written '\/'), with "<redacted>".
func redactToken(s, tok string) string {
	if tok == "" {
		return s
	}
	s = strings.ReplaceAll(s, tok, "<redacted>")
	return strings.ReplaceAll(s, strings.ReplaceAll(tok, "/", `\/`), "<redacted>")
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

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
