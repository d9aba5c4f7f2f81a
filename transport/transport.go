package transport

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
)

// Options configure a [Transport]. The zero value does the right thing on
// AWS Lambda, EC2, ECS, Fargate and EKS: credentials from the SDK's default
// chain, region from the environment, the endpoint's host name or the
// instance, service "es" unless the host is a Serverless collection.
type Options struct {
	// Region signs for this region. Empty means: AWS_REGION, else
	// AWS_DEFAULT_REGION, else the request's host name
	// (*.{region}.es.amazonaws.com, *.{region}.aoss.amazonaws.com), else the
	// shared config, else the EC2 instance's placement (fetched on first
	// use, then cached).
	Region string

	// Service signs for this service: "es" for managed domains, "aoss" for
	// OpenSearch Serverless, or any other AWS service name. Empty means
	// "aoss" for a *.aoss.amazonaws.com host and "es" otherwise.
	Service string

	// Credentials provides the credentials; it must be safe for concurrent
	// use. Nil means aws-sdk-go-v2's default chain in a credentials.Cache.
	// Wrap a provider of your own in credentials.NewCache so that requests
	// do not fetch credentials.
	Credentials aws.CredentialsProvider

	// Base sends the signed requests. Nil means http.DefaultTransport.
	Base http.RoundTripper

	// SigningHost, when not empty, is signed and sent as the Host header
	// instead of the URL's host: for SSH tunnels and port forwarding, where
	// the URL names localhost but AWS expects the domain's host name.
	SigningHost string

	// SignedHeaders names headers to sign besides the default set; see
	// signer.Options.SignedHeaders.
	SignedHeaders []string

	// Clock returns the time to sign with. Nil means time.Now.
	Clock func() time.Time

	// Trace, when not nil, receives what was signed for every request: the
	// canonical request, the string to sign, the credential source, the
	// masked access key id and the credentials' expiry. Never the secret,
	// the token or the signature. It must be safe for concurrent use.
	Trace func(signer.Trace)
}

// Transport is an http.RoundTripper that signs every request with AWS
// Signature Version 4 and sends it with its base RoundTripper. It is safe
// for concurrent use. Create one with [New].
type Transport struct {
	signer  *signer.Signer
	creds   aws.CredentialsProvider
	base    http.RoundTripper
	clock   func() time.Time
	region  string // fixed: from the options or the environment
	service string // fixed: from the options
	host    string // SigningHost

	regionMu       sync.Mutex
	resolvedRegion string // from shared config or IMDS, once found
}

var (
	_ http.RoundTripper = (*Transport)(nil)
	_ interface {
		SignRequest(*http.Request) error
	} = (*Transport)(nil) // opensearch-go's signer.Signer
)

// New returns a Transport configured by the option functions, applied in
// order to a zero [Options]. It does no network I/O: credentials and, where
// needed, the region are fetched on first use under the request's context.
func New(optFns ...func(*Options)) (*Transport, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	s, err := signer.New(func(so *signer.Options) {
		so.SignedHeaders = o.SignedHeaders
		so.Host = o.SigningHost
		so.Trace = o.Trace
	})
	if err != nil {
		return nil, &Error{Op: "configure", Err: err}
	}
	t := &Transport{
		signer:  s,
		creds:   o.Credentials,
		base:    o.Base,
		clock:   o.Clock,
		region:  o.Region,
		service: o.Service,
		host:    o.SigningHost,
	}
	if t.creds == nil {
		t.creds = credentials.NewCache(credentials.Default())
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.clock == nil {
		t.clock = time.Now
	}
	if t.region == "" {
		t.region = os.Getenv("AWS_REGION")
	}
	if t.region == "" {
		t.region = os.Getenv("AWS_DEFAULT_REGION")
	}
	return t, nil
}

// RoundTrip signs a copy of req and sends it with the base RoundTripper.
// req itself is never modified. Every call signs anew, with a fresh time,
// so a client's retries are signed again. Responses come back as they are,
// whatever their status. A request that cannot be signed is not sent: the
// error says why, and req's body is closed.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	bodyClosed := false
	if req.Body != nil {
		defer func() {
			if !bodyClosed {
				req.Body.Close()
			}
		}()
	}
	if req.URL == nil {
		return nil, &Error{Op: "check the request", Err: errors.New("the request has no URL")}
	}
	if req.Header.Get("Authorization") != "" {
		return nil, &Error{Op: "check the request", Err: ErrAuthorizationSet}
	}
	r := req.Clone(req.Context())
	if err := t.sign(r); err != nil {
		return nil, err
	}
	bodyClosed = true // the base RoundTripper closes it from here on
	return t.base.RoundTrip(r)
}

// SignRequest signs req in place. It gives Transport the shape of
// opensearch-go's signer.Signer, as a drop-in for opensearch-go's
// signer/awsv2: opensearch.Config{Signer: tr}. A request that carries an
// Authorization header other than an earlier SigV4 signature is refused.
func (t *Transport) SignRequest(req *http.Request) error {
	if req == nil || req.URL == nil {
		return &Error{Op: "check the request", Err: errors.New("the request or its URL is nil")}
	}
	if a := req.Header.Get("Authorization"); a != "" && !strings.HasPrefix(a, "AWS4-HMAC-SHA256 ") {
		return &Error{Op: "check the request", Err: ErrAuthorizationSet}
	}
	return t.sign(req)
}

// sign finds the scope and credentials for r and signs it in place.
func (t *Transport) sign(r *http.Request) error {
	ctx := r.Context()
	host := t.host
	if host == "" {
		host = r.Host
	}
	if host == "" {
		host = r.URL.Host
	}
	region, service, err := t.scope(ctx, host)
	if err != nil {
		return err
	}
	creds, err := t.creds.Retrieve(ctx)
	if err != nil {
		return &Error{Op: "retrieve credentials", Err: err}
	}
	if err := t.signer.Sign(r, creds, region, service, t.clock()); err != nil {
		return &Error{Op: "sign the request", Err: err}
	}
	return nil
}

// scope returns the region and service to sign for a request to host.
func (t *Transport) scope(ctx context.Context, host string) (region, service string, err error) {
	ep, fromHost := credentials.ParseEndpoint(host)
	service = t.service
	if service == "" {
		service = "es"
		if fromHost {
			service = ep.Service
		}
	}
	if t.region != "" {
		return t.region, service, nil
	}
	if fromHost {
		return ep.Region, service, nil
	}
	region, err = t.lookupRegion(ctx)
	return region, service, err
}

// lookupRegion resolves the region from the shared config or the instance
// metadata once, and caches it. A failure is not cached.
func (t *Transport) lookupRegion(ctx context.Context) (string, error) {
	t.regionMu.Lock()
	defer t.regionMu.Unlock()
	if t.resolvedRegion != "" {
		return t.resolvedRegion, nil
	}
	r, err := credentials.ResolveRegion(ctx)
	if err != nil {
		return "", &Error{Op: "resolve the region", Err: err}
	}
	t.resolvedRegion = r.Name
	return r.Name, nil
}
