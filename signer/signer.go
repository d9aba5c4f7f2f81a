package signer

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/net/http/httpguts"

	"github.com/opensearch-sigv4/sigv4/internal/credcheck"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

const (
	algorithm   = "AWS4-HMAC-SHA256"
	amzDateFmt  = "20060102T150405Z"
	scopeSuffix = "aws4_request"
)

// Options configure a [Signer]. The zero value signs for Amazon OpenSearch
// Service and any other AWS HTTP API with the rules in the package
// documentation.
type Options struct {
	// SignedHeaders names headers to sign in addition to the default set
	// (host, x-amz-date, x-amz-content-sha256, x-amz-security-token,
	// content-type and every other x-amz-* header present). A named header
	// is signed when the request has it. Names are case-insensitive. Headers
	// that proxies or Go's transport change (authorization, content-length,
	// user-agent, accept-encoding, connection, transfer-encoding, expect,
	// x-forwarded-*, x-amzn-trace-id) cannot be named: New rejects them.
	SignedHeaders []string

	// SigningHost, when not empty, is signed as the host and sent as the
	// request's Host header instead of the URL's host: for SSH tunnels and
	// port forwarding, where the URL names a local address but AWS sees the
	// domain's host name. A default port (":443", ":80") is dropped.
	SigningHost string

	// Trace, when not nil, is called after each successful signing with what
	// was signed, for debugging. It must be safe for concurrent use when the
	// Signer is used concurrently. It is never given the secret key, the
	// session token or the signature.
	Trace func(Trace)

	// SpoolBudget makes the bodies this Signer reads into a spool (those
	// with neither GetBody nor a working Seek; see Sign) share one memory
	// budget across the process (128 MiB), beyond which they go on in
	// temporary files, so that many large bodies at once do not grow
	// memory with their number (DESIGN.md, "Payload"). A spool's share
	// comes back when the spool is garbage collected: this is for a sender
	// that also frees spools as soon as it has sent them, as
	// transport.Transport's RoundTrip does; false leaves each body to its
	// own bound (16 MiB in memory).
	SpoolBudget bool
}

// Trace describes one signing, for debugging. It holds no secret: the
// session token is replaced by "<redacted>" in CanonicalRequest, and
// neither the secret key nor the signature appears.
type Trace struct {
	// CanonicalRequest is the canonical request that was hashed, with the
	// session token's value replaced by "<redacted>".
	CanonicalRequest string
	// StringToSign is the string that was signed.
	StringToSign string
	// CredentialScope is date/region/service/aws4_request.
	CredentialScope string
	// SignedHeaders is the semicolon-separated list of signed header names.
	SignedHeaders string
	// AccessKeyID is the access key id with all but its last four characters
	// replaced by '*'.
	AccessKeyID string
	// Source is the credentials' Source, naming the provider they came from.
	Source string
	// Expires is when the credentials expire; zero when they do not.
	Expires time.Time
}

// Signer signs HTTP requests with AWS Signature Version 4. It caches derived
// signing keys and is safe for concurrent use. Create one with [New] and
// reuse it.
type Signer struct {
	opts  Options  // what New was given: Trace and SpoolBudget are read from it, With starts from it
	host  string   // Options.SigningHost, checked
	extra []string // lower-case names from Options.SignedHeaders
	// keys and memos (memo.go) are shared by the Signers that With derives
	// from one New.
	keys  *keyCache
	memos *memos // what the last signing made that the next may reuse

	// Conformance-test policies, unexported: the official test suite signs
	// every header present, adds no payload header, and resolves dot
	// segments, which real requests deliberately do not do (DESIGN.md,
	// "Wire form", "Signing" and "Payload").
	signAllHeaders    bool
	omitPayloadHeader bool
	resolveDots       bool
	s3Paths           bool // S3 path rules whatever the service name
}

// New returns a Signer configured by the option functions, which are applied
// in order to a zero [Options]. It returns an [*Error] of kind [ErrOption]
// when an option is invalid. New does no I/O.
func New(optFns ...func(*Options)) (*Signer, error) {
	return newSigner(Options{}, optFns, new(keyCache), new(memos))
}

// With returns a new Signer configured by the option functions applied in
// order to a copy of the Options s was made with, that shares s's cache of
// signing keys and its memos: a program that signs with Signers differing
// only in options (transport.Transport's RoundTrip and SignRequest) derives
// each key once and keeps one set of memos. The Signers are safe for
// concurrent use with each other. Its errors are New's.
func (s *Signer) With(optFns ...func(*Options)) (*Signer, error) {
	o := s.opts
	o.SignedHeaders = slices.Clone(o.SignedHeaders)
	return newSigner(o, optFns, s.keys, s.memos)
}

// newSigner is New with o as the Options the functions apply to, and the
// caches to use.
func newSigner(o Options, optFns []func(*Options), keys *keyCache, m *memos) (*Signer, error) {
	for _, fn := range optFns {
		fn(&o)
	}
	s := &Signer{opts: o, keys: keys, memos: m}
	for _, name := range o.SignedHeaders {
		l := strings.ToLower(strings.TrimSpace(name))
		if !httpguts.ValidHeaderFieldName(l) {
			return nil, optionError("SignedHeaders", name, "is not a header name (letters, digits and !#$%&'*+-.^_`|~ only); remove it or correct it")
		}
		if isNeverSigned(l) {
			return nil, optionError("SignedHeaders", l, "names a header that proxies or Go's transport change in flight, or that is signed anyway; remove it")
		}
		if !slices.Contains(s.extra, l) {
			s.extra = append(s.extra, l)
		}
	}
	if o.SigningHost != "" {
		if strings.ContainsAny(o.SigningHost, " \t\r\n/") {
			return nil, optionError("SigningHost", o.SigningHost, `is not a host name (want "name" or "name:port")`)
		}
		s.host = o.SigningHost
	}
	return s, nil
}

// Sign signs req in place for the given region and service at time t, using
// creds. It sets X-Amz-Date, X-Amz-Content-Sha256 (unless the caller set
// it), X-Amz-Security-Token when creds has a session token (and removes
// one the caller set when it has none), and Authorization.
//
// So that what is signed is what is sent, and what is sent means what the
// caller's URL meant, Sign also rewrites req to the wire form it signed
// (see the package documentation): the host as net/http sends it, without a
// default port; the path with the caller's escapes kept, "." and ".."
// segments written %2E and %2E%2E, empty segments dropped (for s3: each
// segment encoded strictly); the query in the caller's order with each key
// and value in RFC 3986 form; header keys that differ only in case merged
// under one key. A body that cannot be replayed is read once and replaced
// with one that can.
//
// On error req may have been partly modified and must not be sent, but its
// body has not been closed; the error is an [*Error].
func (s *Signer) Sign(req *http.Request, creds aws.Credentials, region, service string, t time.Time) error {
	if err := s.check(req, &creds, region, service, t); err != nil {
		return err
	}
	sg := signingPool.Get().(*signing)
	defer sg.release()

	w, err := sg.wireForm(s, req, service == "s3" || s.s3Paths)
	if err != nil {
		return err
	}
	hs, err := sg.collectHeaders(s, req, creds.SessionToken != "")
	if err != nil {
		return err
	}
	ph, err := sg.hashPayload(req, hs.callerHash, s.opts.SpoolBudget) // last: it may consume the body
	if err != nil {
		return err
	}
	date, dateText := s.memos.amzDate(sg.date[:0], t)
	sg.date = date
	own := ownValues{host: w.host, date: date, dateText: dateText, payload: ph, token: creds.SessionToken}
	creq, signed := sg.buildCanonicalRequest(s.memos, req.Method, &w, &hs, &own)

	key := s.keys.get(creds.SecretAccessKey, [8]byte(date), region, service)
	sts, scope := sg.buildStringToSign(date, region, service, creq)
	sig := sg.buildSignature(key, sts)
	sg.apply(req, &w, &hs, &own, authorization{akid: creds.AccessKeyID, scope: sts[scope.start:scope.end], signed: signed, sig: &sig})
	if s.opts.Trace != nil {
		s.traceSigning(creq, sts, scope, signed, &creds)
	}
	return nil
}

// traceSigning calls the Trace option, out of Sign so that Sign's frame
// has no room for a Trace.
func (s *Signer) traceSigning(creq, sts []byte, scope span, signed []byte, creds *aws.Credentials) {
	s.opts.Trace(makeTrace(creq, sts, scope, signed, creds))
}

// check validates what Sign is given, before anything is changed.
func (s *Signer) check(req *http.Request, creds *aws.Credentials, region, service string, t time.Time) error {
	if req == nil {
		return newError(ErrRequest, "the request is nil", nil)
	}
	if req.URL == nil {
		return newError(ErrRequest, "the request has no URL", nil)
	}
	if err := s.memos.checkCredsOf(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken); err != nil {
		return err
	}
	if creds.CanExpire && !creds.Expires.After(t) {
		return newError(ErrCredentials, "the credentials expired at "+creds.Expires.UTC().Format(time.RFC3339)+"; refresh them", nil)
	}
	return checkScope(region, service)
}

// checkCreds refuses credentials that cannot sign, by the module's one
// rule for them (internal/credcheck), which the credential cache applies
// too.
func checkCreds(akid, secret, token string) error {
	if problem := credcheck.Problem(akid, secret, token); problem != "" {
		return newError(ErrCredentials, "the "+problem+"; check the credential source", nil)
	}
	return nil
}

// checkScope validates the region and service names.
func checkScope(region, service string) error {
	if !validScopePart(region) {
		return newError(ErrScope, "region "+strconv.Quote(region)+" is not a region name (letters, digits, '-', '_' and '.' only, as in \"us-east-1\"); set the region", nil)
	}
	if !validScopePart(service) {
		return newError(ErrScope, "service "+strconv.Quote(service)+" is not a service name (as in \"es\" or \"aoss\"); set the service", nil)
	}
	return nil
}

// validScopePart reports whether a region or service name can appear in a
// credential scope.
func validScopePart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// makeTrace describes a signing from its canonical request, string to
// sign, credential scope (within sts) and signed-header list, without the
// secret, the token or the signature.
func makeTrace(creq, sts []byte, scope span, signed []byte, creds *aws.Credentials) Trace {
	cr := string(creq)
	if creds.SessionToken != "" {
		cr = redactToken(cr, creds.SessionToken)
	}
	t := Trace{
		CanonicalRequest: cr,
		StringToSign:     string(sts),
		CredentialScope:  string(sts[scope.start:scope.end]),
		SignedHeaders:    string(signed),
		AccessKeyID:      redact.AccessKeyID(creds.AccessKeyID),
		Source:           creds.Source,
	}
	if creds.CanExpire {
		t.Expires = creds.Expires
	}
	return t
}

// redactToken replaces the value of the x-amz-security-token line of a
// canonical request with "<redacted>", and the token wherever else it
// stands (redact.Secret) when it is long enough not to be found in the
// canonical request's own words: a token "token" would otherwise turn the
// signed-header list's x-amz-security-token into x-amz-security-<redacted>.
func redactToken(creq, token string) string {
	const line = "\nx-amz-security-token:"
	if i := strings.Index(creq, line); i >= 0 {
		start := i + len(line)
		if end := strings.IndexByte(creq[start:], '\n'); end >= 0 {
			creq = creq[:start] + redact.Placeholder + creq[start+end:]
		}
	}
	if len(token) >= 16 {
		creq = redact.Secret(creq, token)
	}
	return creq
}

// String describes the signer without its key cache, which holds secrets.
func (s *Signer) String() string { return "signer.Signer" }

// Format writes String for every verb, so that no verb prints the fields.
func (s *Signer) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }
