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
// Its flags are curl's, with curl's meaning and exit codes (sigv4 --help
// lists them); an HTTP error status exits 22 after writing the body, as
// curl --fail-with-body does, and -f writes no body. A refused request
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
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

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
	if len(args) > 0 && args[0] == "proxy" {
		return runProxy(args[1:], stderr)
	}
	o, err := parse(args)
	c := &cli{o: o, stdin: stdin, stdout: stdout, stderr: stderr}
	if err != nil {
		c.o = &options{}
		c.errorf("%s", err)
		return exitUsage
	}
	switch {
	case o.help:
		fmt.Fprint(stdout, usage)
		return exitOK
	case o.version:
		fmt.Fprintln(stdout, "sigv4", version())
		return exitOK
	}
	whoami := len(o.positional) > 0 && o.positional[0] == "whoami"
	if whoami {
		o.positional = o.positional[1:]
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

	out, closeOut, code := c.openOutput()
	if code != exitOK {
		return code
	}
	defer closeOut()
	if o.include || o.head {
		c.writeHead(out, "", res, tok)
	}
	failed := res.StatusCode >= 400
	var n int64
	if !(failed && o.fail) && !o.head {
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
	if o.writeOut != "" {
		io.WriteString(c.stdout, writeOut(o.writeOut, res, n, time.Since(start)))
	}
	if !failed {
		return exitOK
	}
	if d := c.tr.DiagnosisFor(res.Header); d != nil {
		if !o.silent || o.showEr {
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

type outputWriter struct{ w io.Writer }

func (w outputWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// openOutput opens -o's file, or standard output.
func (c *cli) openOutput() (io.Writer, func(), int) {
	if c.o.output == "" || c.o.output == "-" {
		return outputWriter{c.stdout}, func() {}, exitOK
	}
	f, err := os.Create(c.o.output)
	if err != nil {
		c.errorf("cannot write the output to %s: %s", c.o.output, errors.Unwrap(err))
		return nil, nil, exitWrite
	}
	return outputWriter{f}, func() { f.Close() }, exitOK
}

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

// failed reports a request that got no response, with curl's exit code.
func (c *cli) failed(err error) int {
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
	case isNoCredentials(err):
		c.errorf("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE or --profile with a profile in ~/.aws; on EC2, ECS or EKS the instance or container role was tried and gave none (%s)", oneLine(cliMessage(err)))
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

func isNoCredentials(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.Op == "retrieve credentials"
}

// exitCode maps a request error to curl's exit code.
func exitCode(err error) int {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	var netErr net.Error
	var te *transport.Error
	switch {
	case errors.As(err, &dnsErr):
		return exitResolve
	case errors.As(err, &certErr), strings.Contains(err.Error(), "x509: "):
		return exitCert
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return exitTimeout
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "tls: "), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return exitTLS
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return exitConnect
	case errors.As(err, &te):
		return exitFailure
	}
	return exitFailure
}

// cliMessage speaks the command's language: its flags, not the library's
// options, and "sigv4:" first.
func cliMessage(err error) string {
	s := err.Error()
	for _, p := range []string{"sigv4/transport: ", "sigv4/credentials: ", "sigv4/signer: "} {
		s = strings.ReplaceAll(s, p, "")
	}
	s = strings.NewReplacer(
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
	).Replace(s)
	return "sigv4: " + s
}

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
