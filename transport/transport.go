package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/region"
	"github.com/opensearch-sigv4/sigv4/internal/spool"
	"github.com/opensearch-sigv4/sigv4/signer"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Options configure a [Transport]. The zero value does the right thing on
// AWS Lambda, EC2, ECS, Fargate and EKS: credentials from the SDK's default
// chain, region from the environment, the endpoint's host name or the
// instance, service "es" unless the host is a Serverless collection.
type Options struct {
	// Region signs for this region. Empty means: the request's host name
	// (*.{region}.es.amazonaws.com, *.{region}.aoss.amazonaws.com), which
	// AWS holds the signature to, else AWS_REGION, else AWS_DEFAULT_REGION,
	// else the shared config, else the EC2 instance's placement (fetched on
	// first use, then cached). On Lambda AWS_REGION is the function's own
	// region, which need not be the domain's: the host name comes first. A
	// Region that contradicts an AWS host name is an error (a *ScopeError):
	// from New for the Endpoint, for a request otherwise.
	Region string

	// Service signs for this service: "es" for managed domains, "aoss" for
	// OpenSearch Serverless, or any other AWS service name. Empty means
	// "aoss" for a *.aoss.amazonaws.com host and "es" otherwise.
	Service string

	// Endpoint, when not empty, is the URL of the domain or collection the
	// transport talks to. New then settles the region and service at once:
	// from the options, the environment, the endpoint's host name or the
	// shared config, failing with an error that names the option to set
	// when none gives a region. Without it they are settled per request.
	Endpoint string

	// Credentials provides the credentials; it must be safe for concurrent
	// use. Nil means aws-sdk-go-v2's default chain. Any provider but a
	// *credentials.Cache or an *aws.CredentialsCache is wrapped in a
	// credentials.Cache on the transport's clock, corrected by the offset
	// learned from AWS, so that expiry and refresh are judged by the same
	// time as signing. A *credentials.Cache of your own keeps its Clock,
	// and the transport tells it the offset it learns (Cache.SyncClock).
	// An *aws.CredentialsCache judges expiry by its own clock: credentials
	// it serves that AWS's clock says expired are dropped (Invalidate) and
	// fetched again before the request is signed.
	Credentials aws.CredentialsProvider

	// Base sends the signed requests. Nil means http.DefaultTransport.
	Base http.RoundTripper

	// AllowedHosts names the hosts this transport signs requests for: host
	// names ("search-logs-abc.eu-west-1.es.amazonaws.com") or "*.suffix" for
	// any name under suffix, compared without the port, ignoring case, in
	// the ASCII (punycode) form net/http dials. A request to any other host
	// is refused before credentials are retrieved, so no signature and no
	// credentials reach it. New refuses an entry that can never match (a
	// port, brackets, a trailing dot, "*." alone). Empty means the
	// Endpoint's host when Endpoint is set, and any host otherwise: set
	// Endpoint or AllowedHosts in production.
	//
	// Whatever AllowedHosts says, a request that http.Client makes to follow
	// a redirect (Request.Response is set) is signed only on the same scheme
	// and host as the request that was redirected, or for a host
	// AllowedHosts names; an https request is never followed to http.
	AllowedHosts []string

	// SigningHost, when not empty, is signed and sent as the Host header
	// instead of the URL's host: for SSH tunnels and port forwarding, where
	// the URL names localhost but AWS expects the domain's host name.
	SigningHost string

	// SignedHeaders names headers to sign besides the default set; see
	// signer.Options.SignedHeaders.
	SignedHeaders []string

	// Clock returns the time to sign with. Nil means time.Now.
	Clock func() time.Time

	// OnForbidden, when not nil, receives the diagnosis of every refused
	// response that Diagnose explains (401, 403, and a 400, 413 or 429), the
	// transparent retry's included. It must be safe for concurrent use.
	OnForbidden func(*Diagnosis)

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
	// signer signs for RoundTrip: the bodies it spools count against the
	// spools' shared memory budget, since RoundTrip releases what they
	// hold once sent. plain signs for SignRequest, whose caller sends the
	// request and holds its spool: it has no share of the budget. signer
	// is derived from plain (Signer.With): they share keys and memos.
	signer, plain *signer.Signer

	creds   aws.CredentialsProvider
	base    http.RoundTripper
	clock   func() time.Time
	region  string // the Region option
	service string // the Service option
	// envRegion is AWS_REGION, else AWS_DEFAULT_REGION, read by New, and
	// envRegionFrom names the variable.
	envRegion, envRegionFrom string
	// settled is the scope fixed at New from Options.Endpoint; nil when
	// the scope is settled per request, from its host.
	settled *scopeInfo
	// lastScope memoises the scope of the last host signed for.
	lastScope atomic.Pointer[hostScope]
	host      string // SigningHost
	// signingPort is OverrideSigningPort's port, or 0.
	signingPort atomic.Uint32
	allowed     []string
	onDeny      func(*Diagnosis)

	// skew is the learned offset of AWS's clock from ours, in nanoseconds:
	// now() adds it to Clock, and that one corrected clock decides the
	// signing time and, in the transport's credential cache, expiry and
	// refresh (DESIGN.md, "Time").
	skew atomic.Int64
	// syncClock, for a credentials.Cache the caller passed, tells it AWS's
	// time whenever skew changes, so that it judges expiry by the same
	// corrected clock; nil for the transport's own cache, which reads now.
	syncClock func(time.Time)

	// refusals remembers the diagnoses of the last refused responses, by
	// their header map, for DiagnosisFor.
	refusals refusalRing

	// invalidated is the last invalidation of credentials after an
	// invalid-token 403, so that late 403s for the same credentials do not
	// throw away their replacements, nor start a refresh storm.
	invalidated atomic.Pointer[invalidation]

	regionMu       sync.Mutex
	resolvedRegion credentials.Region // from shared config or IMDS, once found
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
	plain, budgeted, err := newSigners(o)
	if err != nil {
		return nil, &Error{Op: "configure", Err: err}
	}
	t := &Transport{
		signer:  budgeted,
		plain:   plain,
		base:    o.Base,
		clock:   o.Clock,
		region:  o.Region,
		service: o.Service,
		host:    o.SigningHost,
		onDeny:  o.OnForbidden,
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.clock == nil {
		t.clock = time.Now
	}
	t.useCredentials(o.Credentials)
	for _, v := range region.EnvVars {
		if r := os.Getenv(v); r != "" {
			t.envRegion, t.envRegionFrom = r, v
			break
		}
	}
	if o.Endpoint != "" {
		if err := t.settleScope(o.Endpoint); err != nil {
			return nil, err
		}
	}
	if err := t.allowHosts(o.AllowedHosts, o.Endpoint); err != nil {
		return nil, &Error{Op: "configure", Err: err}
	}
	return t, nil
}

// newSigners makes the transport's two signers from one New, so that they
// share one cache of keys and memos however a program mixes them: plain
// for SignRequest, budgeted (its spools count against the process's
// budget) for RoundTrip.
func newSigners(o Options) (plain, budgeted *signer.Signer, err error) {
	plain, err = signer.New(func(so *signer.Options) {
		so.SignedHeaders = o.SignedHeaders
		so.SigningHost = o.SigningHost
		so.Trace = o.Trace
	})
	if err != nil {
		return nil, nil, err
	}
	budgeted, err = plain.With(func(so *signer.Options) { so.SpoolBudget = true })
	return plain, budgeted, err
}

// useCredentials sets the provider: the caller's own cache as it is (a
// credentials.Cache tells the transport AWS's clock offset), any other
// provider in a credentials.Cache on the transport's clock, and the
// default chain, cached, when there is none.
func (t *Transport) useCredentials(p aws.CredentialsProvider) {
	switch c := p.(type) {
	case *credentials.Cache:
		// The caller's own cache, on its own clock, told the offset.
		t.creds, t.syncClock = c, c.SyncClock
	case *aws.CredentialsCache:
		// The caller's own cache, on its own clock; see sign.
		t.creds = c
	case nil:
		t.creds = credentials.NewCache(credentials.NewDefaultChain(), func(co *credentials.CacheOptions) { co.Clock = t.now })
	default:
		t.creds = credentials.NewCache(p, func(co *credentials.CacheOptions) { co.Clock = t.now })
	}
}

// allowHosts sets the hosts the transport signs for: the AllowedHosts
// entries, else the endpoint's host (already checked by settleScope),
// else none (every host).
func (t *Transport) allowHosts(hosts []string, endpoint string) error {
	for _, h := range hosts {
		a, err := allowedEntry(h)
		if err != nil {
			return err
		}
		t.allowed = append(t.allowed, a)
	}
	if len(t.allowed) == 0 && endpoint != "" {
		u, _ := url.Parse(endpoint) // settleScope checked it
		if a, ok := dialName(u.Host); ok {
			t.allowed = []string{a}
		}
	}
	return nil
}

// RoundTrip signs a copy of req and sends it with the base RoundTripper.
// req itself is never modified. Every call signs anew, with a fresh time,
// so a client's retries are signed again. Responses come back as they are,
// whatever their status, with one exception: after a 403 for clock skew
// (the offset is learned from the response's Date header, unless it carries
// an Age header) or for an invalid or expired token (the credentials are
// invalidated, when the provider has an Invalidate method), the request is
// signed again and sent once more, when its body can be replayed; and once
// more again only if that retry is refused for the other of these two
// causes (a token that expired on a clock not yet corrected). A session
// token the response echoes is redacted from its headers and, unless it is
// a 2xx, from its body (which then has no Content-Length; a gzip or
// deflate body is handed back decompressed). A request
// that cannot be signed is not sent: the error says why, and req's body is
// closed. A body without GetBody is read once into a spool (memory up to 16
// MiB, and up to 128 MiB for all such bodies in flight in the process; a
// temporary file beyond) that serves this call's sends and retries; its
// memory is reused (and its file closed) once the call has returned and the
// base has closed every reader of it, so the returned response's
// Request.GetBody may fail (a body shorter than 32 KiB, held apart, stays
// readable).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil {
		return nil, &Error{Op: "check the request", Err: errors.New("the request is nil")}
	}
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
	r, authz := signingCopy(req)
	if authz != "" {
		return nil, &Error{Op: "check the request", Err: ErrAuthorizationSet}
	}
	body := r.Body
	// t.signer counts a body it spools against the spools' shared memory
	// budget, since this call releases what it spools.
	used, err := t.sign(r, t.signer)
	if err != nil {
		return nil, err
	}
	if r.Body != body {
		// Signing spooled a body without GetBody for this request. Once
		// RoundTrip returns nothing here asks it for another reader, so its
		// memory may be reused when the base has closed every one.
		if sp := spool.Of(r.Body); sp != nil {
			defer sp.Release()
			if b, ok := sp.Bytes(); ok {
				// A small body in a piece of its own goes as an in-memory
				// reader, which net/http writes with the headers in one
				// write: for a reader it does not know, it sends the
				// headers alone first, a system call and a packet more.
				r.Body.Close()
				r.Body = io.NopCloser(bytes.NewReader(b))
				r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
			}
		}
	}
	bodyClosed = true // the base RoundTripper closes it from here on
	res, err := t.base.RoundTrip(r)
	if err != nil {
		return res, err
	}
	if !refusalStatus(res.StatusCode) {
		redactResponse(res, used.SessionToken)
		return res, nil
	}
	res, d, retried, err := t.heal(req, r, res, used)
	if res != nil {
		redactResponse(res, append(d.echoedSecrets(), used.SessionToken, retried.SessionToken)...)
		if d != nil && refusalStatus(res.StatusCode) {
			t.refusals.add(res.Header, d)
		}
	}
	return res, err
}

// DiagnosisFor returns the diagnosis of a response this transport handed
// back refused (a 400, 401, 403, 413 or 429 that [Diagnose] explains), given
// that response's Header map, or nil when it is not one of the last 256
// refusals. The Header map is what every client passes through unchanged,
// while many read and replace the body: opensearch-go v2's
// opensearchapi.Response.Header, v4's Inspect().Response.Header, an
// http.Response's Header. It reads nothing.
func (t *Transport) DiagnosisFor(h http.Header) *Diagnosis { return t.refusals.find(h) }

// requestCopy is a shallow copy of a request and of its URL.
type requestCopy struct {
	req http.Request
	url url.URL
}

// signingCopy returns a copy of req that the signer may change without
// touching req: its own Request, URL and header map, with room for the
// headers the signer adds. The header values (slices) are shared: the
// signer replaces map entries but never writes into an existing slice.
// This is what req.Clone does, without copying every header value. It also
// returns the first value of an Authorization header under a key of any
// case, found on the way.
func signingCopy(req *http.Request) (r *http.Request, authorization string) {
	c := new(requestCopy) // the request and its URL in one allocation
	c.req, c.url = *req, *req.URL
	r = &c.req
	r.URL = &c.url
	r.Header = make(http.Header, len(req.Header)+4)
	if len(req.Header) == 0 {
		return r, "" // nothing to copy: skip setting up an iteration
	}
	for k, v := range req.Header {
		r.Header[k] = v
		if len(v) > 0 && len(k) == len("Authorization") && strings.EqualFold(k, "Authorization") && authorization == "" {
			authorization = v[0]
			if authorization == "" {
				authorization = " " // present, if empty
			}
		}
	}
	return r, authorization
}

// SignRequest signs req in place. It gives Transport the shape of
// opensearch-go's signer.Signer, as a drop-in for opensearch-go's
// signer/awsv2: opensearch.Config{Signer: tr}. A request that carries an
// Authorization header other than an earlier SigV4 signature is refused.
//
// The signature and the session token are then headers of req, and go
// wherever req goes. An http.Client that follows a redirect copies them
// onto the new request, and for another host it drops only Authorization
// (and cookies): X-Amz-Security-Token reaches that host. Send a signed
// request with a client whose CheckRedirect is [Transport.CheckRedirect],
// which follows a redirect only where the transport would sign it, signing
// it anew, or with the transport as the client's Transport, which signs
// every request itself and refuses a redirect to another host:
//
//	client := &http.Client{CheckRedirect: tr.CheckRedirect} // with SignRequest
//	client := &http.Client{Transport: tr}                   // or instead of it
func (t *Transport) SignRequest(req *http.Request) error {
	if req == nil || req.URL == nil {
		return &Error{Op: "check the request", Err: errors.New("the request or its URL is nil")}
	}
	for k, v := range req.Header {
		if strings.EqualFold(k, "Authorization") && len(v) > 0 && !strings.HasPrefix(v[0], "AWS4-HMAC-SHA256 ") {
			return &Error{Op: "check the request", Err: ErrAuthorizationSet}
		}
	}
	_, err := t.sign(req, t.plain)
	return err
}

// sign finds the scope and credentials for r and signs it in place with s
// (t.signer, whose spools share the budget, or t.plain), with the
// corrected clock. It returns the credentials used. When a learned
// offset makes credentials look expired that the local clock says are
// valid, they are dropped from the provider (when it can) and fetched
// again: a cache on an uncorrected clock may still hold credentials that
// AWS's clock says expired. When fresh ones look expired too, the offset
// is what is wrong (a credential source never hands out credentials that
// AWS's clock says expired): it is dropped and r signed on the local
// clock, so that the request still goes out and AWS's answer can teach
// the offset again.
func (t *Transport) sign(r *http.Request, s *signer.Signer) (aws.Credentials, error) {
	ctx := r.Context()
	if r.Response != nil && !t.redirectAllowed(r) {
		return aws.Credentials{}, &Error{Op: "check the request", Err: &HostError{Host: r.URL.Host, Redirect: true}}
	}
	if !t.hostAllowed(r.URL.Host) {
		return aws.Credentials{}, &Error{Op: "check the request", Err: &HostError{Host: r.URL.Host}}
	}
	t.applySigningPort(r)
	sc, err := t.scope(ctx, t.signingHost(r))
	if err != nil {
		var se *ScopeError
		if errors.As(err, &se) {
			return aws.Credentials{}, &Error{Op: "choose the region and service", Err: err}
		}
		return aws.Credentials{}, err
	}
	refetched := false
	for {
		creds, err := t.creds.Retrieve(ctx)
		if err != nil {
			if t.dropSkew() {
				continue
			}
			return aws.Credentials{}, &Error{Op: "retrieve credentials", Err: err}
		}
		if err := s.Sign(r, creds, sc.region, sc.service, t.now()); err != nil {
			if errors.Is(err, signer.ErrCredentials) && creds.CanExpire && creds.Expires.After(t.clock()) {
				// Expired by the corrected clock, valid by the local one:
				// a cache that judges expiry by an uncorrected clock
				// served credentials that AWS's clock says expired, or
				// the offset is wrong. Fresh credentials tell which:
				// they are fetched once, and only when even those look
				// expired is the offset dropped.
				if !refetched {
					refetched = true
					if t.invalidate(ctx, creds) {
						continue
					}
				}
				if t.dropSkew() {
					continue
				}
			}
			return aws.Credentials{}, &Error{Op: "sign the request", Err: err}
		}
		return creds, nil
	}
}

// String describes the transport without its credentials.
func (t *Transport) String() string {
	r, svc := "(per request)", "(per request)"
	if t.settled != nil {
		r, svc = t.settled.region, t.settled.service
	}
	return "transport.Transport(region " + r + ", service " + svc + ")"
}

// Format writes String for every verb, so that no verb prints the fields.
func (t *Transport) Format(f fmt.State, verb rune) { redact.Format(f, verb, t.String()) }

// String describes the options without the credentials provider, which
// may hold credentials.
func (o Options) String() string {
	return "transport.Options(region " + strconv.Quote(o.Region) + ", service " + strconv.Quote(o.Service) + ", endpoint " + strconv.Quote(o.Endpoint) + ")"
}

// Format writes String for every verb, so that no verb prints the fields.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }
