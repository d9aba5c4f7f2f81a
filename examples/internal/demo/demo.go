// Package demo starts what the examples run against offline: a SigV4
// verifying endpoint (sigv4test) in front of the in-memory OpenSearch
// stand-in, or in front of a real OpenSearch given as an upstream URL.
package demo

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// The demo's credentials and scope. They are not AWS keys: the local
// endpoint is the only thing that accepts them.
const (
	AccessKeyID     = "AKIASIGV4DEMOKEY0001"
	SecretAccessKey = "demo-secret-not-an-aws-key"
	SessionToken    = "demo-session-token-not-an-aws-token"
	Region          = "ap-northeast-1"
	Service         = "es"
	// RoleARN is the IAM role the stand-in's security plugin reports as the
	// caller.
	RoleARN = "arn:aws:iam::123456789012:role/sigv4-demo-role"
)

// Credentials returns the demo's credentials.
func Credentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, SessionToken: SessionToken}
}

// Endpoint is a running verifying endpoint.
type Endpoint struct {
	// URL is where to send requests.
	URL string
	// Verifier counts accepted and rejected requests.
	Verifier *sigv4test.Handler
	// Store is the stand-in, or nil with an upstream.
	Store *standin.Server
	srv   *httptest.Server
}

// Options points a transport at the endpoint with the demo's keys, region
// and service.
func (e *Endpoint) Options(o *transport.Options) {
	o.Endpoint, o.Region, o.Service = e.URL, Region, Service
	o.Credentials = credentials.NewStatic(AccessKeyID, SecretAccessKey, SessionToken)
}

// Close stops the endpoint.
func (e *Endpoint) Close() { e.srv.Close() }

// Start starts a verifying endpoint for Region and Service. With upstream
// empty, accepted requests go to a fresh stand-in; otherwise they are
// forwarded to upstream (a real OpenSearch, such as http://localhost:9200)
// without the signing headers.
func Start(upstream string) (*Endpoint, error) {
	e := &Endpoint{}
	var next http.Handler
	if upstream == "" {
		e.Store = standin.New()
		e.Store.SetPrincipal(RoleARN)
		next = e.Store
	} else {
		u, err := url.Parse(upstream)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, errors.New("upstream " + upstream + " is not an http(s) URL such as http://localhost:9200")
		}
		proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u) // the upstream's scheme, host and path; Host too
			pr.Out.Header.Del("Authorization")
			for k := range pr.Out.Header {
				if strings.HasPrefix(http.CanonicalHeaderKey(k), "X-Amz-") {
					pr.Out.Header.Del(k)
				}
			}
		}}
		next = proxy
	}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{Credentials()}
		o.Region, o.Service = Region, Service
		o.Handler = next
	})
	if err != nil {
		return nil, err
	}
	e.Verifier = v
	e.srv = httptest.NewServer(v)
	e.URL = e.srv.URL
	return e, nil
}

// Target returns the transport options for *endpoint. When it is empty, it
// starts a local verifying endpoint, points *endpoint at it and adds the
// options that sign for it with the demo's keys; stop shuts it down.
func Target(endpoint *string) (opts []func(*transport.Options), stop func(), err error) {
	opts = []func(*transport.Options){func(o *transport.Options) { o.Endpoint = *endpoint }}
	if *endpoint != "" {
		return opts, func() {}, nil
	}
	local, err := Start("")
	if err != nil {
		return nil, nil, err
	}
	*endpoint = local.URL
	return append(opts, local.Options), local.Close, nil
}
