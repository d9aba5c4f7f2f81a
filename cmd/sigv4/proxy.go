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
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/transport"
)

const proxyUsage = `usage: sigv4 proxy [flags] UPSTREAM_URL

A local proxy that signs every request for UPSTREAM_URL (a domain or
collection endpoint), for tools that cannot sign: OpenSearch Dashboards,
Grafana, Logstash, curl, scripts. GET /_sigv4/health answers without
contacting AWS; GET /_sigv4/metrics gives Prometheus metrics.

  --listen ADDR            where to listen (default 127.0.0.1:9200)
  --region R, --service S, --profile P, --signing-host NAME   as for requests
  --tls-cert FILE --tls-key FILE   TLS on the listener
  --client-ca FILE         require client certificates issued by this CA (with TLS)
  --basic-auth-file FILE   require basic auth: lines user:bcrypt-hash, as htpasswd -B writes them
  --insecure-listen        allow a non-loopback listener with neither client certificates nor basic auth
  --log-format text|json   log format on standard error (default text)
`

type proxyOptions struct {
	listen, region, service, profile, signingHost       string
	tlsCert, tlsKey, clientCA, basicAuthFile, logFormat string
	insecureListen                                      bool
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
	fs.BoolVar(&o.insecureListen, "insecure-listen", false, "")
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
	var tlsConfig *tls.Config
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fail(exitUsage, "cannot load the listener's certificate (--tls-cert %s, --tls-key %s): %s", o.tlsCert, o.tlsKey, rootCause(err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.clientCA != "" {
			pem, err := os.ReadFile(o.clientCA)
			if err != nil {
				return fail(exitUsage, "cannot read --client-ca %s: %s", o.clientCA, rootCause(err))
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return fail(exitUsage, "--client-ca %s holds no PEM certificate", o.clientCA)
			}
			tlsConfig.ClientCAs, tlsConfig.ClientAuth = pool, tls.RequireAndVerifyClientCert
		}
	}

	p, err := proxy.New(o.upstream, func(po *proxy.Options) {
		po.Logger = log
		po.Transport = func(to *transport.Options) {
			to.Region, to.Service, to.SigningHost = o.region, o.service, o.signingHost
		}
	})
	if err != nil {
		return fail(exitUsage, "%s", strings.TrimPrefix(cliMessage(err), "sigv4: "))
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
		return fail(exitFailure, "%s", oneLine(cliMessage(err)))
	}

	var h http.Handler = p
	if users != nil {
		h = basicAuth(users, p)
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fail(exitFailure, "cannot listen on %s: %s (another process there? choose another --listen)", o.listen, rootCause(err))
	}
	srv := &http.Server{Handler: h, TLSConfig: tlsConfig, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		l = tls.NewListener(l, tlsConfig)
	}
	log.Info("sigv4 proxy: listening", "address", scheme+"://"+l.Addr().String(), "upstream", o.upstream,
		"basic_auth", users != nil, "client_certificates", o.clientCA != "")

	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	select {
	case err := <-done:
		return fail(exitFailure, "%s", err)
	case sig := <-stop:
		log.Info("sigv4 proxy: draining the requests in flight", "signal", sig.String())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return fail(exitFailure, "requests still in flight after 30 s: %s", err)
		}
		log.Info("sigv4 proxy: stopped")
		return exitOK
	}
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

// basicAuth requires one of users' passwords on every request but the
// health check (for load balancers). The client's Authorization is
// consumed here: the proxy never forwards it. An unknown user's password is
// compared with a hash of the users' highest cost, so that the time to
// refuse does not tell which users exist.
func basicAuth(users map[string][]byte, next http.Handler) http.Handler {
	cost := bcrypt.MinCost
	for _, h := range users {
		if c, err := bcrypt.Cost(h); err == nil {
			cost = max(cost, c)
		}
	}
	dummyHash, _ := bcrypt.GenerateFromPassword([]byte("not a password"), cost)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == proxy.HealthPath {
			next.ServeHTTP(w, r)
			return
		}
		user, pass, ok := r.BasicAuth()
		hash, known := users[user]
		if !ok || !known || bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
			// Compare anyway for an unknown user, so that timing does not
			// tell which users exist.
			if !known {
				bcrypt.CompareHashAndPassword(dummyHash, []byte(pass))
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="sigv4 proxy", charset="UTF-8"`)
			http.Error(w, "sigv4 proxy: basic auth required", http.StatusUnauthorized)
			return
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r)
	})
}
