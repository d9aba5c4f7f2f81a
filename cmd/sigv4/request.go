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
	"strings"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

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
	if h, ok := takeHostHeader(&o.headers); ok && signingHost == "" {
		signingHost = h // as curl: send that host, and sign it
	}
	base, err := c.baseTransport()
	if err != nil {
		c.errorf("%s", err)
		return exitUsage
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
		c.errorf("%s", describe(err)) // errorf says "sigv4: "
		return exitUsage
	}
	c.tr = tr
	c.client = &http.Client{Transport: tr, Timeout: o.maxTime, CheckRedirect: c.checkRedirect}
	return exitOK
}

// takeHostHeader removes every -H "Host: ..." from headers and returns
// the value of the first one.
func takeHostHeader(headers *[]string) (host string, ok bool) {
	var kept []string
	for _, h := range *headers {
		k, v, _ := strings.Cut(h, ":")
		if strings.EqualFold(strings.TrimSpace(k), "Host") {
			if !ok {
				host, ok = strings.TrimSpace(v), true
			}
			continue
		}
		kept = append(kept, h)
	}
	*headers = kept
	return host, ok
}

// baseTransport is the connection layer below the signing transport:
// --connect-timeout, the proxy environment variables, and --cacert or
// --insecure.
func (c *cli) baseTransport() (*http.Transport, error) {
	o := c.o
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
			return nil, err
		}
		base.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return base, nil
}

// checkRedirect follows a redirect only with -L, at most 50 of them,
// saying so under -v.
func (c *cli) checkRedirect(req *http.Request, via []*http.Request) error {
	if !c.o.location {
		return http.ErrUseLastResponse
	}
	if len(via) >= 50 {
		return errors.New("stopped after 50 redirects")
	}
	if c.o.verbose {
		fmt.Fprintf(c.stderr, "* following the redirect to %s\n", req.URL.Redacted())
	}
	return nil
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
