package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/transport"
)

const proxyUsage = `usage: sigv4 proxy [flags] UPSTREAM_URL

A local proxy that signs every request for UPSTREAM_URL (a domain or
collection endpoint), for tools that cannot sign: OpenSearch Dashboards,
Grafana, Logstash, curl, scripts. GET /_sigv4/health answers without
contacting AWS and without authentication; GET /_sigv4/metrics gives
Prometheus metrics (behind the listener's authentication). Paths under
/_sigv4/ are never forwarded.

  --listen ADDR            where to listen (default 127.0.0.1:9200)
  --region R, --service S, --profile P, --signing-host NAME   as for requests
  --role-arn ARN           assume this role (STS AssumeRole) with the credentials found
  --external-id ID         the external id the role's trust policy asks for (with --role-arn)
  --cacert FILE            trust the upstream's certificate if this CA (PEM) issued it
  -k, --insecure           do not verify the upstream's certificate (an SSH tunnel's); a warning is logged
  --tls-cert FILE --tls-key FILE   TLS on the listener
  --client-ca FILE         require client certificates issued by this CA (with TLS)
  --basic-auth-file FILE   require basic auth: lines user:bcrypt-hash, as htpasswd -B writes them
  --max-auth-failures N    failed authentications per minute per client address before 429 (default 10)
  --public-metrics         serve /_sigv4/metrics without authentication
  --insecure-listen        allow a non-loopback listener with neither client certificates nor basic auth
  --max-body SIZE          largest request body, bytes or with K, M, G (default 100M); larger gets 413
  --body-timeout D         longest pause in a request body before 408 (default 30s)
  --idle-timeout D         close a keep-alive connection idle this long (default 2m)
  --public-url URL         the proxy's address as clients reach it, for redirects (default: a path)
  --log-format text|json   log format on standard error (default text)

SIGTERM, SIGINT and SIGHUP drain the requests in flight, then stop.
`

type proxyOptions struct {
	listen, region, service, profile, signingHost       string
	tlsCert, tlsKey, clientCA, basicAuthFile, logFormat string
	caCert, roleARN, externalID, maxBody, publicURL     string
	insecureListen, insecure, publicMetrics             bool
	maxAuthFailures                                     int
	bodyTimeout, idleTimeout                            time.Duration
	upstream                                            string
}

func parseProxy(args []string, stderr io.Writer) (*proxyOptions, error) {
	o := &proxyOptions{}
	fs := flag.NewFlagSet("sigv4 proxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9200", "")
	fs.StringVar(&o.region, "region", "", "")
	fs.StringVar(&o.service, "service", "", "")
	fs.StringVar(&o.profile, "profile", "", "")
	fs.StringVar(&o.signingHost, "signing-host", "", "")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "")
	fs.StringVar(&o.tlsKey, "tls-key", "", "")
	fs.StringVar(&o.clientCA, "client-ca", "", "")
	fs.StringVar(&o.basicAuthFile, "basic-auth-file", "", "")
	fs.StringVar(&o.logFormat, "log-format", "text", "")
	fs.StringVar(&o.caCert, "cacert", "", "")
	fs.StringVar(&o.roleARN, "role-arn", "", "")
	fs.StringVar(&o.externalID, "external-id", "", "")
	fs.StringVar(&o.maxBody, "max-body", "100M", "")
	fs.StringVar(&o.publicURL, "public-url", "", "")
	fs.BoolVar(&o.insecureListen, "insecure-listen", false, "")
	fs.BoolVar(&o.insecure, "insecure", false, "")
	fs.BoolVar(&o.insecure, "k", false, "")
	fs.BoolVar(&o.publicMetrics, "public-metrics", false, "")
	fs.IntVar(&o.maxAuthFailures, "max-auth-failures", 10, "")
	fs.DurationVar(&o.bodyTimeout, "body-timeout", proxy.DefaultBodyTimeout, "")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "")
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stderr, proxyUsage)
			}
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return nil, errors.New("give exactly one UPSTREAM_URL, such as https://search-logs-abc.eu-west-1.es.amazonaws.com (sigv4 proxy -h)")
	}
	o.upstream = positional[0]
	return o, nil
}

// parseSize reads a byte count: digits, optionally followed by K, M or G
// (powers of 1024, with or without a trailing "iB" or "B").
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	shift := 0
	switch {
	case strings.HasSuffix(t, "K"):
		shift = 10
	case strings.HasSuffix(t, "M"):
		shift = 20
	case strings.HasSuffix(t, "G"):
		shift = 30
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, errors.New("--max-body " + strconv.Quote(s) + " is not a size such as 100M, 512K or 1048576")
	}
	return n << shift, nil
}

// reExecuteAPI matches an API Gateway host: ID.execute-api.REGION.amazonaws.com(.cn).
var reExecuteAPI = regexp.MustCompile(`^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(?:\.cn)?$`)

// recognisedHosts names the host names whose service the proxy knows.
const recognisedHosts = "*.REGION.es.amazonaws.com (OpenSearch Service), *.REGION.aoss.amazonaws.com (OpenSearch Serverless), " +
	"the same under .amazonaws.com.cn, and *.execute-api.REGION.amazonaws.com (API Gateway)"

// signingScope returns the service and region to sign for when the host
// names them and no flag does: "" for an OpenSearch host (the transport
// reads it) and for a loopback host (a local test endpoint, signed as
// "es"), "execute-api" and its region for an API Gateway host; for any
// other host, without --service, an error that lists what is recognised.
func signingScope(host, service string) (svc, region string, err error) {
	if service != "" || host == "" { // no host: New says what is wrong with the URL
		return service, "", nil
	}
	if _, ok := credentials.ParseEndpoint(host); ok {
		return "", "", nil
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if m := reExecuteAPI.FindStringSubmatch(name); m != nil {
		return "execute-api", m[1], nil
	}
	if isLoopback(strings.Trim(name, "[]")) {
		return "", "", nil
	}
	return "", "", errors.New("the signing host " + name + " is not one whose service the proxy recognises (" + recognisedHosts +
		"): give --service (es for an OpenSearch custom domain name, or the AWS service's name), or --signing-host with the domain's own host name")
}

// proxyFailure is why `sigv4 proxy` could not start or stopped, other
// than its flags (a *usageError): the message in the command's words, a
// library error reworded from its type. It exits 1.
type proxyFailure struct{ msg string }

func (e *proxyFailure) Error() string { return e.msg }

// badFlags is a refusal of the flags given (exit 2).
func badFlags(format string, a ...any) error {
	return &usageError{fmt.Sprintf(format, a...)}
}

// cannotRun is a refusal for anything else (exit 1).
func cannotRun(format string, a ...any) error {
	return &proxyFailure{fmt.Sprintf(format, a...)}
}

// runProxy runs `sigv4 proxy` until ctx is done or SIGTERM, SIGINT or
// SIGHUP arrives, then drains the requests in flight and returns 0. A
// refusal to start is one line on stderr and its exit code.
func runProxy(ctx context.Context, args []string, stderr io.Writer) int {
	// One write for the log lines that arrive together, not one per line.
	lw := newLogWriter(stderr)
	defer lw.Close()
	err := proxyMain(ctx, args, lw)
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintln(lw, "sigv4 proxy: "+usage.msg)
		return exitUsage
	}
	fmt.Fprintln(lw, "sigv4 proxy: "+describe(err)) // a *proxyFailure: already the command's words
	return exitFailure
}

// proxyMain is runProxy's work: the flags, the proxy, then serving.
func proxyMain(ctx context.Context, args []string, stderr io.Writer) error {
	o, err := parseProxy(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if err != nil {
		return badFlags("%s", err)
	}
	if err := o.check(); err != nil {
		return err
	}
	if o.profile != "" {
		os.Setenv("AWS_PROFILE", o.profile)
	}
	log := proxyLogger(o.logFormat, stderr)
	s, err := newProxyServer(ctx, o, log)
	if err != nil {
		return err
	}
	return s.serve(ctx)
}

// check refuses flags that contradict each other or cannot work, before
// anything is read or built.
func (o *proxyOptions) check() error {
	if o.logFormat != "text" && o.logFormat != "json" {
		return badFlags("--log-format %q is not text or json", o.logFormat)
	}
	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return badFlags("--listen %q is not host:port, such as 127.0.0.1:9200", o.listen)
	}
	tlsOn := o.tlsCert != "" || o.tlsKey != ""
	switch {
	case tlsOn && (o.tlsCert == "" || o.tlsKey == ""):
		return badFlags("TLS needs both --tls-cert and --tls-key")
	case o.clientCA != "" && !tlsOn:
		return badFlags("--client-ca needs TLS on the listener: give --tls-cert and --tls-key too")
	case !isLoopback(host) && o.clientCA == "" && o.basicAuthFile == "" && !o.insecureListen:
		return badFlags("--listen %s is not a loopback address: anyone who reaches it would get requests signed with your AWS credentials. "+
			"Require client certificates (--tls-cert, --tls-key, --client-ca) or basic auth (--basic-auth-file), "+
			"or, on a network you trust, say so with --insecure-listen", o.listen)
	case o.maxAuthFailures <= 0:
		return badFlags("--max-auth-failures %d: give a positive number of failures per minute", o.maxAuthFailures)
	case o.bodyTimeout <= 0 || o.idleTimeout <= 0:
		return badFlags("--body-timeout and --idle-timeout must be positive durations, such as 30s or 2m")
	case o.externalID != "" && o.roleARN == "":
		return badFlags("--external-id goes with --role-arn: give the role to assume")
	case o.roleARN != "" && (!strings.HasPrefix(o.roleARN, "arn:aws") || !strings.Contains(o.roleARN, ":role/")):
		return badFlags("--role-arn %q is not a role ARN such as arn:aws:iam::123456789012:role/opensearch-writer", o.roleARN)
	case o.caCert != "" && o.insecure:
		return badFlags("--cacert and --insecure contradict each other: give one")
	}
	return nil
}

// proxyLogger writes the proxy's log in the format check accepted.
func proxyLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// proxyServer is a proxy ready to serve: built, its credentials checked.
type proxyServer struct {
	o        *proxyOptions
	log      *slog.Logger
	p        *proxy.Proxy
	tls      *tls.Config // the listener's; nil for plain HTTP
	maxBody  int64
	users    bool
	upstream string // redacted, for the log
}

// newProxyServer builds the proxy from the flags: the listener's TLS, the
// upstream's, the signing scope and credentials, the authentication; then
// it signs one request, so that a proxy without credentials says so at
// once instead of at the first client's request.
func newProxyServer(ctx context.Context, o *proxyOptions, log *slog.Logger) (*proxyServer, error) {
	s := &proxyServer{o: o, log: log, upstream: redact.URL(o.upstream)}
	var err error
	if s.tls, err = listenerTLS(o); err != nil {
		return nil, err
	}
	upstreamTLS, err := upstreamTLS(o)
	if err != nil {
		return nil, err
	}
	if s.maxBody, err = parseSize(o.maxBody); err != nil {
		return nil, badFlags("%s", err)
	}
	var auth *basicAuthenticator
	if o.basicAuthFile != "" {
		users, err := readBasicAuthFile(o.basicAuthFile)
		if err != nil {
			return nil, badFlags("%s", err)
		}
		auth, s.users = newBasicAuth(users, o.maxAuthFailures, log), true
	}
	sign, err := signingFor(o)
	if err != nil {
		return nil, err
	}
	s.p, err = proxy.New(o.upstream, func(po *proxy.Options) {
		po.Logger, po.Transport, po.UpstreamTLS = log, sign, upstreamTLS
		po.MaxBody, po.BodyTimeout = s.maxBody, o.bodyTimeout
		po.PublicMetrics, po.PublicURL = o.publicMetrics, o.publicURL
		if auth != nil {
			po.Authenticate = auth.check
		}
	})
	if err != nil {
		return nil, rewordNewError(err)
	}
	if o.insecure {
		log.Warn("sigv4 proxy: --insecure: the upstream's certificate is not verified; whoever answers at " + s.upstream +
			" gets the signed requests. Prefer --cacert with the tunnel's or the domain's CA")
	}
	return s, checkCredentials(ctx, s.p, o)
}

// rewordNewError rewords proxy.New's error: its own *proxy.ConfigError,
// or the transport's refusal of the signing options (whose "configure"
// step the command does not name).
func rewordNewError(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		err = te.Err
	}
	return badFlags("%s", describe(err))
}

// listenerTLS is the listener's TLS configuration from --tls-cert,
// --tls-key and --client-ca; nil without TLS.
func listenerTLS(o *proxyOptions) (*tls.Config, error) {
	if o.tlsCert == "" {
		return nil, nil // check made sure --tls-key is absent too
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, badFlags("cannot load the listener's certificate (--tls-cert %s, --tls-key %s): %s", o.tlsCert, o.tlsKey, rootCause(err))
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.clientCA != "" {
		pool, err := readCAFile("--client-ca", o.clientCA)
		if err != nil {
			return nil, badFlags("%s", err)
		}
		c.ClientCAs, c.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return c, nil
}

// upstreamTLS is the TLS configuration for the upstream from --cacert or
// --insecure; nil for the system's roots.
func upstreamTLS(o *proxyOptions) (*tls.Config, error) {
	switch {
	case o.caCert != "":
		pool, err := readCAFile("--cacert", o.caCert)
		if err != nil {
			return nil, badFlags("%s", err)
		}
		return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
	case o.insecure:
		return &tls.Config{InsecureSkipVerify: true}, nil
	}
	return nil, nil
}

// signingFor returns the signing transport's options from the flags: the
// region and service (the flags', else what the host name tells), the
// signing host, and the credentials (the default chain's, or the role's
// they assume with --role-arn), marked with their source for messages.
func signingFor(o *proxyOptions) (func(*transport.Options), error) {
	signingHost := o.signingHost
	if signingHost == "" {
		// Only an http(s) upstream's host: of anything else proxy.New
		// says that the URL is wrong, which is the first thing to fix.
		if u, err := url.Parse(o.upstream); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			signingHost = u.Host
		}
	}
	service, hostRegion, err := signingScope(signingHost, o.service)
	if err != nil {
		return nil, badFlags("%s", err)
	}
	region := o.region
	if region == "" {
		region = hostRegion
	}
	creds := aws.CredentialsProvider(credentials.NewDefaultChain())
	if o.roleARN != "" {
		if creds, err = assumeRole(o.roleARN, o.externalID, region); err != nil {
			return nil, cannotRun("%s", err)
		}
	}
	return func(to *transport.Options) {
		to.Region, to.Service, to.SigningHost = region, service, o.signingHost
		to.Credentials = markSource{creds}
	}, nil
}

// checkCredentials signs one request for the upstream (sending nothing),
// so that missing or failing credentials stop the proxy at start.
func checkCredentials(ctx context.Context, p *proxy.Proxy, o *proxyOptions) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	check, err := http.NewRequestWithContext(ctx, http.MethodGet, o.upstream, nil)
	if err == nil {
		err = p.Transport().SignRequest(check)
	}
	switch {
	case err == nil:
		return nil
	case o.roleARN != "": // the role's provider is the source: its failure is not a want of credentials
		return cannotRun("assuming --role-arn %s failed: %s", o.roleARN, oneLine(describe(err)))
	case isNoCredentials(err):
		return cannotRun("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE or --profile; on EC2, ECS or EKS the instance or container role was tried and gave none (%s)", oneLine(describe(err)))
	}
	return cannotRun("%s", oneLine(describe(err)))
}

// serve listens on --listen and serves until ctx is done or a signal
// arrives, then drains the requests in flight.
func (s *proxyServer) serve(ctx context.Context) error {
	l, err := net.Listen("tcp", s.o.listen)
	if err != nil {
		return cannotRun("cannot listen on %s: %s (another process there? choose another --listen)", s.o.listen, rootCause(err))
	}
	srv := &http.Server{Handler: s.p, TLSConfig: s.tls, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: s.o.idleTimeout,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		l = tls.NewListener(l, s.tls)
	}
	s.log.Info("sigv4 proxy: listening", "address", scheme+"://"+l.Addr().String(), "upstream", s.upstream,
		"basic_auth", s.users, "client_certificates", s.o.clientCA != "", "role", s.o.roleARN, "max_body", s.maxBody,
		"body_timeout", s.o.bodyTimeout, "idle_timeout", s.o.idleTimeout)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(stop)
	var why string
	select {
	case err := <-done:
		return cannotRun("%s", err)
	case sig := <-stop:
		why = sig.String()
	case <-ctx.Done():
		why = "stop requested"
	}
	return s.drain(srv, why)
}

// drain shuts srv down, waiting for the requests in flight.
func (s *proxyServer) drain(srv *http.Server, why string) error {
	s.log.Info("sigv4 proxy: draining the requests in flight", "signal", why)
	// Every request in flight ends within this: an unfinished body by
	// --body-timeout, an upstream by its own timeout.
	drain := max(30*time.Second, s.o.bodyTimeout+10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		return cannotRun("requests still in flight after %s were cut off: %s", drain, err)
	}
	s.log.Info("sigv4 proxy: stopped")
	return nil
}

// readCAFile reads a PEM file of CA certificates for the flag named.
func readCAFile(flagName, path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s %s: %s", flagName, path, rootCause(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s holds no PEM certificate", flagName, path)
	}
	return pool, nil
}

// assumeRole returns a provider of the role's credentials, through
// aws-sdk-go-v2's STS AssumeRole provider, with the credentials the SDK's
// default chain finds (and its endpoint settings, AWS_ENDPOINT_URL_STS
// included). The transport keeps it in a credentials cache, refreshed
// ahead of expiry like any other source. Nothing is fetched here.
func assumeRole(roleARN, externalID, region string) (aws.CredentialsProvider, error) {
	optFns := []func(*config.LoadOptions) error{}
	if region != "" {
		optFns = append(optFns, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), optFns...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration for --role-arn: %s", rootCause(err))
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // STS's global endpoint; the role's credentials are valid in every region
	}
	return stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN, func(ao *stscreds.AssumeRoleOptions) {
		ao.RoleSessionName = "sigv4-proxy-" + strconv.FormatInt(time.Now().Unix(), 10)
		if externalID != "" {
			ao.ExternalID = aws.String(externalID)
		}
	}), nil
}

// isLoopback reports whether a listen host reaches this machine only.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
