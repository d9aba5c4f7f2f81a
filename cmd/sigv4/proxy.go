package main

import (
	"bufio"
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
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/crypto/bcrypt"

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

// runProxy runs `sigv4 proxy` until SIGTERM or SIGINT, then drains the
// requests in flight and exits 0.
func runProxy(args []string, stderr io.Writer) int {
	// One write for the log lines that arrive together, not one per line.
	lw := newLogWriter(stderr)
	defer lw.Close()
	stderr = lw
	o, err := parseProxy(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "sigv4 proxy: "+format+"\n", a...)
		return code
	}
	if err != nil {
		return fail(exitUsage, "%s", err)
	}
	if o.profile != "" {
		os.Setenv("AWS_PROFILE", o.profile)
	}
	var log *slog.Logger
	switch o.logFormat {
	case "text":
		log = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		log = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fail(exitUsage, "--log-format %q is not text or json", o.logFormat)
	}

	host, _, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fail(exitUsage, "--listen %q is not host:port, such as 127.0.0.1:9200", o.listen)
	}
	tlsOn := o.tlsCert != "" || o.tlsKey != ""
	if tlsOn && (o.tlsCert == "" || o.tlsKey == "") {
		return fail(exitUsage, "TLS needs both --tls-cert and --tls-key")
	}
	if o.clientCA != "" && !tlsOn {
		return fail(exitUsage, "--client-ca needs TLS on the listener: give --tls-cert and --tls-key too")
	}
	if !isLoopback(host) && o.clientCA == "" && o.basicAuthFile == "" && !o.insecureListen {
		return fail(exitUsage, "--listen %s is not a loopback address: anyone who reaches it would get requests signed with your AWS credentials. "+
			"Require client certificates (--tls-cert, --tls-key, --client-ca) or basic auth (--basic-auth-file), "+
			"or, on a network you trust, say so with --insecure-listen", o.listen)
	}
	var users map[string][]byte
	if o.basicAuthFile != "" {
		if users, err = readBasicAuthFile(o.basicAuthFile); err != nil {
			return fail(exitUsage, "%s", err)
		}
	}
	if o.maxAuthFailures <= 0 {
		return fail(exitUsage, "--max-auth-failures %d: give a positive number of failures per minute", o.maxAuthFailures)
	}
	maxBody, err := parseSize(o.maxBody)
	if err != nil {
		return fail(exitUsage, "%s", err)
	}
	if o.bodyTimeout <= 0 || o.idleTimeout <= 0 {
		return fail(exitUsage, "--body-timeout and --idle-timeout must be positive durations, such as 30s or 2m")
	}
	if o.externalID != "" && o.roleARN == "" {
		return fail(exitUsage, "--external-id goes with --role-arn: give the role to assume")
	}
	if o.roleARN != "" && (!strings.HasPrefix(o.roleARN, "arn:aws") || !strings.Contains(o.roleARN, ":role/")) {
		return fail(exitUsage, "--role-arn %q is not a role ARN such as arn:aws:iam::123456789012:role/opensearch-writer", o.roleARN)
	}
	if o.caCert != "" && o.insecure {
		return fail(exitUsage, "--cacert and --insecure contradict each other: give one")
	}
	var tlsConfig *tls.Config
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fail(exitUsage, "cannot load the listener's certificate (--tls-cert %s, --tls-key %s): %s", o.tlsCert, o.tlsKey, rootCause(err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.clientCA != "" {
			pool, err := readCAFile("--client-ca", o.clientCA)
			if err != nil {
				return fail(exitUsage, "%s", err)
			}
			tlsConfig.ClientCAs, tlsConfig.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
	}
	var upstreamTLS *tls.Config
	switch {
	case o.caCert != "":
		pool, err := readCAFile("--cacert", o.caCert)
		if err != nil {
			return fail(exitUsage, "%s", err)
		}
		upstreamTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	case o.insecure:
		upstreamTLS = &tls.Config{InsecureSkipVerify: true}
	}
	signingHost := o.signingHost
	if signingHost == "" {
		if u, err := url.Parse(o.upstream); err == nil {
			signingHost = u.Host
		}
	}
	service, hostRegion, err := signingScope(signingHost, o.service)
	if err != nil {
		return fail(exitUsage, "%s", err)
	}
	region := o.region
	if region == "" {
		region = hostRegion
	}
	var assumed aws.CredentialsProvider
	if o.roleARN != "" {
		assumed, err = assumeRole(o.roleARN, o.externalID, region)
		if err != nil {
			return fail(exitFailure, "%s", err)
		}
	}
	var auth *basicAuthenticator
	if users != nil {
		auth = newBasicAuth(users, o.maxAuthFailures, log)
	}

	p, err := proxy.New(o.upstream, func(po *proxy.Options) {
		po.Logger = log
		po.Transport = func(to *transport.Options) {
			to.Region, to.Service, to.SigningHost = region, service, o.signingHost
			to.Credentials = markSource{credentials.NewDefaultChain()}
			if assumed != nil {
				to.Credentials = markSource{assumed}
			}
		}
		po.UpstreamTLS = upstreamTLS
		po.MaxBody = maxBody
		po.BodyTimeout = o.bodyTimeout
		po.PublicMetrics = o.publicMetrics
		po.PublicURL = o.publicURL
		if auth != nil {
			po.Authenticate = auth.check
		}
	})
	if err != nil {
		// One prefix: the command's, over the library's typed cause;
		// the proxy's own refusals have no type and keep the library's.
		var te *transport.Error
		if errors.As(err, &te) {
			return fail(exitUsage, "%s", describe(te.Err))
		}
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if o.insecure {
		log.Warn("sigv4 proxy: --insecure: the upstream's certificate is not verified; whoever answers at " + redact.URL(o.upstream) +
			" gets the signed requests. Prefer --cacert with the tunnel's or the domain's CA")
	}
	// Credentials now, so that a proxy without any says so at once.
	check, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, o.upstream, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	err = p.Transport().SignRequest(check.WithContext(ctx))
	cancel()
	if err != nil {
		if isNoCredentials(err) {
			return fail(exitFailure, "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or AWS_PROFILE or --profile; on EC2, ECS or EKS the instance or container role was tried and gave none (%s)", oneLine(cliMessage(err)))
		}
		if o.roleARN != "" {
			return fail(exitFailure, "assuming --role-arn %s failed: %s", o.roleARN, oneLine(cliMessage(err)))
		}
		return fail(exitFailure, "%s", oneLine(cliMessage(err)))
	}

	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(exitFailure, "cannot listen on %s: %s (another process there? choose another --listen)", o.listen, rootCause(err))
	}
	srv := &http.Server{Handler: p, TLSConfig: tlsConfig, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: o.idleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		l = tls.NewListener(l, tlsConfig)
	}
	log.Info("sigv4 proxy: listening", "address", scheme+"://"+l.Addr().String(), "upstream", redact.URL(o.upstream),
		"basic_auth", users != nil, "client_certificates", o.clientCA != "", "role", o.roleARN, "max_body", maxBody,
		"body_timeout", o.bodyTimeout, "idle_timeout", o.idleTimeout)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	select {
	case err := <-done:
		return fail(exitFailure, "%s", err)
	case sig := <-stop:
		log.Info("sigv4 proxy: draining the requests in flight", "signal", sig.String())
		// Every request in flight ends within this: an unfinished body by
		// --body-timeout, an upstream by its own timeout.
		drain := max(30*time.Second, o.bodyTimeout+10*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
			return fail(exitFailure, "requests still in flight after %s were cut off: %s", drain, err)
		}
		log.Info("sigv4 proxy: stopped")
		return exitOK
	}
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

// readBasicAuthFile reads lines user:bcrypt-hash, as htpasswd -B writes
// them; blank lines and lines starting with '#' are skipped. An error names
// the line and what is wrong with it, never the hash.
func readBasicAuthFile(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read --basic-auth-file %s: %s", path, rootCause(err))
	}
	defer f.Close()
	users := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := path + ":" + strconv.Itoa(n)
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok || user == "":
			return nil, errors.New(where + ": not user:bcrypt-hash (as htpasswd -B writes it)")
		case !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$"):
			return nil, errors.New(where + ": the hash for " + strconv.Quote(user) + " is not bcrypt ($2y$...): make it with htpasswd -B")
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, errors.New(where + ": the bcrypt hash for " + strconv.Quote(user) + " is malformed: " + err.Error())
		}
		if _, dup := users[user]; dup {
			return nil, errors.New(where + ": " + strconv.Quote(user) + " appears twice")
		}
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --basic-auth-file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, errors.New("--basic-auth-file " + path + " names no user")
	}
	return users, nil
}

// compareHash is bcrypt's comparison; tests count its calls.
var compareHash = bcrypt.CompareHashAndPassword

// basicAuthenticator requires one of its users' passwords, for
// proxy.Options.Authenticate. The client's Authorization is consumed here:
// the proxy never forwards it. What a guesser can learn or cost is bounded:
//   - a request without credentials is refused without a bcrypt
//     comparison (a browser sends one first, then asks for the password);
//   - every refusal takes at least as long as a comparison at the highest
//     cost among the users, whoever the user (known or not, whatever the
//     cost of its hash), so that timing tells no user from another;
//   - each client address (an IPv6 /64) may fail a limited number of times
//     a minute; past it the answer is 429 with Retry-After, before any
//     comparison.
type basicAuthenticator struct {
	users map[string][]byte
	dummy []byte        // compared for an unknown user
	floor time.Duration // the least time a refusal takes
	limit *failureLimit
	log   *slog.Logger
}

func newBasicAuth(users map[string][]byte, perMinute int, log *slog.Logger) *basicAuthenticator {
	cost := bcrypt.MinCost
	for _, h := range users {
		if c, err := bcrypt.Cost(h); err == nil {
			cost = max(cost, c)
		}
	}
	a := &basicAuthenticator{users: users, limit: newFailureLimit(perMinute, time.Now), log: log}
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), cost)
	for range 3 { // the slowest of three, so that a cold first run does not set it
		start := time.Now()
		bcrypt.CompareHashAndPassword(a.dummy, []byte("a guess"))
		a.floor = max(a.floor, time.Since(start))
	}
	return a
}

func (a *basicAuthenticator) check(w http.ResponseWriter, r *http.Request) bool {
	client := clientKey(r)
	if wait := a.limit.wait(client); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		http.Error(w, "sigv4 proxy: too many failed authentications from "+client+"; try again later", http.StatusTooManyRequests)
		return false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		challenge(w)
		return false
	}
	start := time.Now()
	hash, known := a.users[user]
	if !known {
		hash = a.dummy // the same work as for a user who exists
	}
	if compareHash(hash, []byte(pass)) == nil && known {
		r.Header.Del("Authorization")
		return true
	}
	if a.limit.fail(client) {
		a.log.Warn("sigv4 proxy: failed authentications over the limit; refusing with 429", "client", client)
	}
	if d := a.floor - time.Since(start); d > 0 {
		time.Sleep(d)
	}
	challenge(w)
	return false
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="sigv4 proxy", charset="UTF-8"`)
	http.Error(w, "sigv4 proxy: basic auth required", http.StatusUnauthorized)
}

// clientKey is the address failures are counted against: the client's IP,
// or for IPv6 its /64, which one host usually holds whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// failureLimit is a token bucket per client: perMinute failures, refilled
// evenly over a minute. It holds at most maxClients buckets; past that,
// full buckets (clients that have not failed lately) are dropped first.
type failureLimit struct {
	mu        sync.Mutex
	perMinute float64
	now       func() time.Time
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const maxClients = 10000

func newFailureLimit(perMinute int, now func() time.Time) *failureLimit {
	return &failureLimit{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// refill brings b up to now; the caller holds mu.
func (l *failureLimit) refill(b *bucket, now time.Time) {
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
}

// wait returns how long client must wait before its next attempt: zero
// while it has failures left.
func (l *failureLimit) wait(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		return 0
	}
	now := l.now()
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
}

// fail counts a failure of client's and reports whether it used the last
// one left.
func (l *failureLimit) fail(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxClients {
			for k, v := range l.buckets {
				if l.refill(v, now); v.tokens >= l.perMinute {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxClients {
				clear(l.buckets) // all failing at once: start again rather than grow
			}
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[client] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
	return b.tokens < 1
}
