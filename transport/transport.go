package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/net/idna"

	"github.com/opensearch-sigv4/sigv4/credentials"
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
	signer  *signer.Signer
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
	s, err := signer.New(func(so *signer.Options) {
		so.SignedHeaders = o.SignedHeaders
		so.SigningHost = o.SigningHost
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
		onDeny:  o.OnForbidden,
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	if t.clock == nil {
		t.clock = time.Now
	}
	switch c := t.creds.(type) {
	case *credentials.Cache:
		// The caller's own cache, on its own clock, told the offset.
		t.syncClock = c.SyncClock
	case *aws.CredentialsCache:
		// The caller's own cache, on its own clock; see sign.
	case nil:
		t.creds = credentials.NewCache(credentials.NewDefaultChain(), func(co *credentials.CacheOptions) { co.Clock = t.now })
	default:
		t.creds = credentials.NewCache(t.creds, func(co *credentials.CacheOptions) { co.Clock = t.now })
	}
	for _, v := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
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
	for _, h := range o.AllowedHosts {
		a, err := allowedEntry(h)
		if err != nil {
			return nil, &Error{Op: "configure", Err: err}
		}
		t.allowed = append(t.allowed, a)
	}
	if len(t.allowed) == 0 && o.Endpoint != "" {
		u, _ := url.Parse(o.Endpoint) // settleScope checked it
		if a, ok := dialName(u.Host); ok {
			t.allowed = []string{a}
		}
	}
	return t, nil
}

// allowedEntry checks one AllowedHosts entry and returns it in the form
// hosts are compared in: lower-case ASCII, as net/http dials it. An entry
// that can never match a host is an error that says why.
func allowedEntry(entry string) (string, error) {
	h := strings.TrimSpace(entry)
	bad := func(why string) error {
		return errors.New("AllowedHosts entry " + strconv.Quote(entry) + " " + why + "; want a host name such as \"search-logs-abc.eu-west-1.es.amazonaws.com\" or \"*.es.amazonaws.com\"")
	}
	wild := strings.HasPrefix(h, "*.")
	name := strings.TrimPrefix(h, "*.")
	switch {
	case h == "":
		return "", bad("is empty")
	case strings.ContainsAny(h, "/ \t\r\n?#@"):
		return "", bad("is not a host name (no scheme, path or spaces)")
	case strings.ContainsAny(h, "[]"):
		return "", bad("has brackets: name an IPv6 address without them")
	case strings.Contains(name, "*"):
		return "", bad("has a '*' other than a leading \"*.\"")
	case name == "":
		return "", bad("matches nothing after \"*.\"")
	case strings.HasSuffix(name, "."):
		return "", bad("ends in a dot, which no request host has")
	case strings.Count(name, ":") == 1:
		return "", bad("has a port: entries are compared without the port, so name the host alone")
	}
	a, ok := dialName(name)
	if !ok {
		return "", bad("is not a valid (internationalised) host name")
	}
	if wild {
		return "*." + a, nil
	}
	return a, nil
}

// dialName returns the name of host (name or name:port, as in a URL) in
// the form net/http dials it: an internationalised name in lower-case ASCII
// (punycode, IDNA lookup profile), without port, brackets or IPv6 zone.
func dialName(host string) (string, bool) {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	if i := strings.IndexByte(name, '%'); i >= 0 && strings.Contains(name, ":") {
		name = name[:i] // an IPv6 zone
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			a, err := idna.Lookup.ToASCII(name)
			if err != nil || a == "" {
				return "", false
			}
			return strings.ToLower(a), true
		}
	}
	return strings.ToLower(name), name != ""
}

// hostAllowed reports whether a request to host (host[:port]) may be
// signed: names are compared in the ASCII form net/http dials.
func (t *Transport) hostAllowed(host string) bool {
	if len(t.allowed) == 0 {
		return true
	}
	name, ok := dialName(host)
	if !ok {
		return false
	}
	for _, a := range t.allowed {
		if a == name || (strings.HasPrefix(a, "*.") && strings.HasSuffix(name, a[1:])) {
			return true
		}
	}
	return false
}

// redirectAllowed reports whether r, a request http.Client made to follow
// a redirect (r.Response is the redirect), may be signed: only to the same
// scheme and host as the request that was redirected, or to a host that
// AllowedHosts names, and never from https to http.
func (t *Transport) redirectAllowed(r *http.Request) bool {
	prev := r.Response.Request
	if prev == nil || prev.URL == nil {
		return false
	}
	if strings.EqualFold(prev.URL.Scheme, "https") && !strings.EqualFold(r.URL.Scheme, "https") {
		return false
	}
	if len(t.allowed) > 0 {
		return t.hostAllowed(r.URL.Host)
	}
	a, ok1 := dialName(r.URL.Host)
	b, ok2 := dialName(prev.URL.Host)
	return ok1 && ok2 && a == b && r.URL.Port() == prev.URL.Port() && strings.EqualFold(r.URL.Scheme, prev.URL.Scheme)
}

// settleScope fixes the region and service for an endpoint known at
// construction, without network I/O: an explicit region or service that
// contradicts the endpoint's AWS host name is reported here, at once.
func (t *Transport) settleScope(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return &Error{Op: "configure", Err: errors.New("Endpoint " + strconv.Quote(endpoint) + " is not a URL such as https://search-mydomain-abc.us-east-1.es.amazonaws.com")}
	}
	host := t.host
	if host == "" {
		host = u.Host
	}
	sc, err := t.resolveScope(context.Background(), host, false)
	if err != nil {
		return &Error{Op: "configure", Err: err}
	}
	t.settled = &sc
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
	if body != nil && body != http.NoBody && r.GetBody == nil {
		// A body that may be spooled: count it against the spools' shared
		// memory budget, since this call releases what it spools.
		r = r.WithContext(spool.WithBudget(r.Context()))
	}
	used, err := t.sign(r)
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

// now is the corrected clock: Clock plus the offset learned from AWS.
func (t *Transport) now() time.Time { return t.clock().Add(time.Duration(t.skew.Load())) }

// Bounds on learning from a clock-skew 403.
const (
	// skewAgreement is how far the response's Date may be from the server
	// time AWS states in its message ("... (20261122T061500Z - 5 min.)")
	// for the offset to be learned: both come from AWS's clock at once.
	skewAgreement = 2 * time.Second
	// maxSkew bounds a learned offset: a clock off by more than a day is
	// broken, and no response should persuade the transport otherwise.
	maxSkew = 24 * time.Hour
	// invalidateEvery is the least time between two invalidations of
	// credentials after invalid-token 403s.
	invalidateEvery = time.Second
)

// reStatedTime finds the server time AWS states in a clock-skew message.
var reStatedTime = regexp.MustCompile(`\((\d{8}T\d{6}Z) [-+] 5 min\.\)`)

// invalidation records the credentials last invalidated, by fingerprint.
type invalidation struct {
	fingerprint [sha256.Size]byte
	at          time.Time
}

// fingerprint identifies credentials without keeping their secrets.
func fingerprint(c aws.Credentials) [sha256.Size]byte {
	return sha256.Sum256([]byte(c.AccessKeyID + "\x00" + c.SessionToken))
}

// heal handles a 403: it passes the diagnosis to the hook and, for clock
// skew or an invalid token, retries when the body can be replayed, passing
// each retry's 403 to the hook too. Each of the two causes is healed at
// most once per request, so a request is retried once, or twice when the
// retry's refusal is the other cause: at a credential rotation on a
// skewed clock, the new token may then be refused for the time it was
// signed at, or the new time for the old token. Any other refusal, and
// the same cause twice, ends it. used are the credentials the refused
// request was signed with; heal returns those of the last retry, if any.
// The caller's own retries are signed anew by RoundTrip as usual.
func (t *Transport) heal(orig, sent *http.Request, res *http.Response, used aws.Credentials) (_ *http.Response, _ *Diagnosis, retried aws.Credentials, _ error) {
	replayable := sent.Body == nil || sent.Body == http.NoBody || sent.GetBody != nil
	healedSkew, healedToken := false, false
	for {
		d := t.diagnose(res, sent)
		if d == nil {
			return res, nil, retried, nil
		}
		if t.onDeny != nil {
			t.onDeny(d)
		}
		switch d.Cause {
		case CauseClockSkew:
			if healedSkew || !t.learnSkew(res, d) {
				return res, d, retried, nil
			}
			healedSkew = true
		case CauseInvalidToken:
			if healedToken || !t.invalidate(sent.Context(), used) {
				return res, d, retried, nil
			}
			healedToken = true
		default:
			return res, d, retried, nil
		}
		if !replayable {
			return res, d, retried, nil
		}
		retry, _ := signingCopy(orig)
		if sent.GetBody != nil {
			body, err := sent.GetBody()
			if err != nil {
				return res, d, retried, nil // keep the 403; the caller sees why it failed
			}
			retry.Body, retry.GetBody, retry.ContentLength = body, sent.GetBody, sent.ContentLength
		}
		creds, err := t.sign(retry)
		if err != nil {
			if retry.Body != nil {
				retry.Body.Close()
			}
			return res, d, retried, nil
		}
		res.Body.Close() // the retry replaces it
		res, err = t.base.RoundTrip(retry)
		if err != nil || !refusalStatus(res.StatusCode) {
			return res, nil, creds, err
		}
		sent, used, retried = retry, creds, creds
	}
}

// diagnose is Diagnose, with what only the transport knows: for a scope
// refusal, where the region and service it signed for came from.
func (t *Transport) diagnose(res *http.Response, sent *http.Request) *Diagnosis {
	d, _ := Diagnose(res).(*Diagnosis)
	if d == nil || d.Cause != CauseCredentialScope {
		return d
	}
	sc, err := t.scope(sent.Context(), t.signingHost(sent))
	if err == nil {
		d.Fix += " The region " + sc.region + " came from " + sc.regionFrom + ", the service " + sc.service + " from " + sc.serviceFrom + "."
	}
	return d
}

// learnSkew learns the offset of AWS's clock from a clock-skew 403, when
// the response can be trusted to tell it: not a cached response (Age), and
// its Date agrees with the server time AWS states in its message. It
// reports whether the offset changed.
func (t *Transport) learnSkew(res *http.Response, d *Diagnosis) bool {
	if res.Header.Get("Age") != "" || d.ServerTime.IsZero() {
		return false // a cached response's Date says nothing of the clock now
	}
	m := reStatedTime.FindStringSubmatch(d.Message)
	if m == nil {
		return false
	}
	stated, err := time.Parse("20060102T150405Z", m[1])
	if err != nil || stated.Sub(d.ServerTime).Abs() > skewAgreement {
		return false
	}
	skew := d.ServerTime.Sub(t.clock())
	if skew.Abs() > maxSkew {
		return false
	}
	if t.skew.Swap(int64(skew)) == int64(skew) {
		return false
	}
	t.syncCache()
	return true
}

// syncCache tells a caller's credentials.Cache the corrected time, or that
// there is no correction, after the offset changed.
func (t *Transport) syncCache() {
	if t.syncClock == nil {
		return
	}
	if t.skew.Load() == 0 {
		t.syncClock(time.Time{})
		return
	}
	t.syncClock(t.now())
}

// invalidate drops the credentials used for a request that AWS refused for
// an invalid token, when the provider can, so that the retry fetches new
// ones. It does so at most once for the same credentials, at most once per
// invalidateEvery, and only while the provider still holds the refused
// credentials: a late 403 does not throw away their replacement. It
// reports whether a retry may help: new credentials are (or will be) there.
func (t *Transport) invalidate(ctx context.Context, used aws.Credentials) bool {
	inv, ok := t.creds.(interface{ Invalidate() })
	if !ok {
		return false
	}
	fp := fingerprint(used)
	replaced := func() bool {
		cur, err := t.creds.Retrieve(ctx)
		return err == nil && fingerprint(cur) != fp
	}
	if replaced() {
		return true // a late 403: retry with the new credentials
	}
	last := t.invalidated.Load()
	if last != nil && last.fingerprint == fp {
		return false // dropped once already, and the source serves them again
	}
	now := t.clock()
	if last != nil && now.Sub(last.at) < invalidateEvery {
		return false
	}
	if t.invalidated.CompareAndSwap(last, &invalidation{fingerprint: fp, at: now}) {
		inv.Invalidate()
	}
	return replaced()
}

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
	_, err := t.sign(req)
	return err
}

// sign finds the scope and credentials for r and signs it in place, with
// the corrected clock. It returns the credentials used. When a learned
// offset makes credentials look expired that the local clock says are
// valid, they are dropped from the provider (when it can) and fetched
// again: a cache on an uncorrected clock may still hold credentials that
// AWS's clock says expired. When fresh ones look expired too, the offset
// is what is wrong (a credential source never hands out credentials that
// AWS's clock says expired): it is dropped and r signed on the local
// clock, so that the request still goes out and AWS's answer can teach
// the offset again.
func (t *Transport) sign(r *http.Request) (aws.Credentials, error) {
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
		if err := t.signer.Sign(r, creds, sc.region, sc.service, t.now()); err != nil {
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

// signingHost is the host r is signed for, which decides its scope: the
// SigningHost option, else the request's Host, else its URL's host.
func (t *Transport) signingHost(r *http.Request) string {
	switch {
	case t.host != "":
		return t.host
	case r.Host != "":
		return r.Host
	}
	return r.URL.Host
}

// dropSkew forgets a learned offset, reporting whether there was one.
func (t *Transport) dropSkew() bool {
	if t.skew.Swap(0) == 0 {
		return false
	}
	t.syncCache()
	return true
}

// scopeInfo is the region and service signed for, and where each came
// from, for messages and diagnoses.
type scopeInfo struct {
	region, regionFrom   string
	service, serviceFrom string
}

// hostScope is a memo of the scope of one host.
type hostScope struct {
	host string
	sc   scopeInfo
}

// scope returns the region and service to sign for a request to host.
func (t *Transport) scope(ctx context.Context, host string) (scopeInfo, error) {
	if t.settled != nil {
		return *t.settled, nil
	}
	if m := t.lastScope.Load(); m != nil && m.host == host {
		return m.sc, nil
	}
	sc, err := t.resolveScope(ctx, host, true)
	if err != nil {
		return sc, err
	}
	t.lastScope.Store(&hostScope{host, sc})
	return sc, nil
}

// resolveScope finds the region and service for host, in the order of
// DESIGN.md, "Region and service": the options, then an AWS host name
// (which AWS holds the signature to), then AWS_REGION and AWS_DEFAULT_REGION, then the shared
// config and, when lookup is set, the instance's placement. An option that
// contradicts an AWS host name is an error: AWS would refuse every request.
func (t *Transport) resolveScope(ctx context.Context, host string, lookup bool) (scopeInfo, error) {
	var sc scopeInfo
	ep, fromHost := credentials.ParseEndpoint(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	switch {
	case t.service != "" && fromHost && t.service != ep.Service:
		return sc, &ScopeError{Option: "Service", Value: t.service, Host: name, HostSays: ep.Service}
	case t.service != "":
		sc.service, sc.serviceFrom = t.service, "the Service option"
	case fromHost:
		sc.service, sc.serviceFrom = ep.Service, "the host name "+name
	default:
		sc.service, sc.serviceFrom = "es", "the default"
	}
	switch {
	case t.region != "" && fromHost && t.region != ep.Region:
		return sc, &ScopeError{Option: "Region", Value: t.region, Host: name, HostSays: ep.Region}
	case t.region != "":
		sc.region, sc.regionFrom = t.region, "the Region option"
	case fromHost:
		sc.region, sc.regionFrom = ep.Region, "the host name "+name
	case t.envRegion != "":
		sc.region, sc.regionFrom = t.envRegion, t.envRegionFrom
	default:
		r, err := t.lookupRegion(ctx, lookup)
		if err != nil {
			if !lookup {
				return sc, errors.New("no region for " + name + ", which is not an Amazon OpenSearch Service host name: set the Region option (or AWS_REGION), and Service if it is not \"es\"")
			}
			return sc, err
		}
		sc.region, sc.regionFrom = r.Name, r.Source
	}
	return sc, nil
}

// lookupRegion resolves the region from the shared config or, with imds,
// the instance metadata once, and caches it. A failure is not cached.
func (t *Transport) lookupRegion(ctx context.Context, imds bool) (credentials.Region, error) {
	t.regionMu.Lock()
	defer t.regionMu.Unlock()
	if t.resolvedRegion.Name != "" {
		return t.resolvedRegion, nil
	}
	r, err := credentials.ResolveRegion(ctx, func(o *credentials.RegionOptions) { o.DisableIMDS = !imds })
	if err != nil {
		return r, &Error{Op: "resolve the region", Err: err}
	}
	t.resolvedRegion = r
	return r, nil
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
