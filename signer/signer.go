package signer

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

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
	host  string
	extra []string // lower-case names from Options.SignedHeaders
	trace func(Trace)
	// spoolBudget is Options.SpoolBudget: spooled bodies count against
	// the process's shared spool budget.
	spoolBudget bool
	opts        Options // what New was given, for With
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
	s := &Signer{trace: o.Trace, spoolBudget: o.SpoolBudget, opts: o, keys: keys, memos: m}
	for _, name := range o.SignedHeaders {
		l := strings.ToLower(strings.TrimSpace(name))
		if !httpguts.ValidHeaderFieldName(l) {
			return nil, newError(ErrOption, "SignedHeaders holds "+strconv.Quote(name)+", which is not a header name (letters, digits and !#$%&'*+-.^_`|~ only); remove it or correct it", nil)
		}
		if isNeverSigned(l) {
			return nil, newError(ErrOption, "SignedHeaders names "+strconv.Quote(l)+", which proxies or Go's transport change in flight or which is signed anyway; remove it from SignedHeaders", nil)
		}
		if !slices.Contains(s.extra, l) {
			s.extra = append(s.extra, l)
		}
	}
	if o.SigningHost != "" {
		if strings.ContainsAny(o.SigningHost, " \t\r\n/") {
			return nil, newError(ErrOption, "SigningHost "+strconv.Quote(o.SigningHost)+" is not a host name (want \"name\" or \"name:port\")", nil)
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
	ph, err := sg.hashPayload(req, hs.callerHash, s.spoolBudget) // last: it may consume the body
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
	if s.trace != nil {
		s.traceSigning(creq, sts, scope, signed, &creds)
	}
	return nil
}

// traceSigning calls the Trace option, out of Sign so that Sign's frame
// has no room for a Trace.
func (s *Signer) traceSigning(creq, sts []byte, scope span, signed []byte, creds *aws.Credentials) {
	s.trace(makeTrace(creq, sts, scope, signed, creds))
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

// span is where a part lies within a byte slice: b[start:end].
type span struct{ start, end int }

// signing is the scratch space of one call of Sign: each stage takes what
// it uses and returns what it makes, and appends into these slices, so
// that steady-state signing allocates only the strings it hands to the
// request. Signings are pooled.
type signing struct {
	path    []byte                // wireForm
	query   []byte                // wireForm
	pairs   []queryPair           // wireForm
	headers []signedHeader        // collectHeaders
	names   []byte                // collectHeaders: the lower-case names of the request's signed headers
	sum     [2 * sha256.Size]byte // hashPayload: a computed payload hash
	hash    hash.Hash             // hashPayload: SHA-256
	buf     []byte                // hashPayload, buildSignature: sums
	date    []byte                // X-Amz-Date
	creq    []byte                // buildCanonicalRequest
	sts     []byte                // buildStringToSign
	mac     signatureMAC          // buildSignature
}

var signingPool = sync.Pool{New: func() any {
	return &signing{
		hash:    sha256.New(),
		path:    make([]byte, 0, 128),
		query:   make([]byte, 0, 256),
		pairs:   make([]queryPair, 0, 16),
		headers: make([]signedHeader, 0, 8),
		names:   make([]byte, 0, 256),
		date:    make([]byte, 0, 16),
		creq:    make([]byte, 0, 1024),
		sts:     make([]byte, 0, 256),
		buf:     make([]byte, 0, 64),
	}
}}

// release returns sg to the pool, dropping its references to the
// request's header values.
func (sg *signing) release() {
	clear(sg.headers)
	sg.headers = sg.headers[:0]
	signingPool.Put(sg)
}

// wire is the host, path and query that are signed and sent.
type wire struct {
	host          string
	path          []byte
	pathChanged   bool // the wire path is not the request's
	pathCanonical bool // the wire path is its own canonical URI
	query         []byte
	pairs         []queryPair
	queryChanged  bool // the wire query is not the request's
	s3            bool // S3 path rules
}

// wireForm settles the host, path and query that are signed and sent
// (DESIGN.md, "Wire form"), without changing the request yet.
func (sg *signing) wireForm(s *Signer, req *http.Request, s3 bool) (wire, error) {
	u := req.URL
	host := s.host
	if host == "" {
		host = req.Host
	}
	if host == "" {
		host = u.Host
	}
	w := wire{s3: s3}
	var err error
	if w.host, err = s.memos.wireHostOf(host, u.Scheme); err != nil {
		return w, err
	}

	plain := false
	if u.Opaque == "" && u.RawPath == "" && !s3 && !s.resolveDots {
		plain, w.pathCanonical = plainPath(u.Path)
	}
	if plain {
		w.path = append(sg.path[:0], u.Path...) // the common case, in one pass
	} else if w.path, w.pathChanged, err = wirePath(sg.path[:0], u, s3, s.resolveDots); err != nil {
		return w, err
	}
	sg.path = w.path

	w.query, w.pairs = appendWireQuery(sg.query[:0], sg.pairs[:0], u.RawQuery)
	sg.query, sg.pairs = w.query, w.pairs
	w.queryChanged = string(w.query) != u.RawQuery
	return w, nil
}

// wirePath appends the wire path of any URL to dst and reports whether it
// differs from the request's.
func wirePath(dst []byte, u *url.URL, s3, resolveDots bool) ([]byte, bool, error) {
	p, raw, err := callerPath(u)
	if err != nil {
		return dst, false, err
	}
	switch {
	case s3:
		if q := s3Path(p); q != p || raw {
			return append(dst, q...), true, nil
		}
		return append(dst, p...), false, nil
	case !resolveDots && wirePathClean(p, raw):
		return append(dst, p...), raw, nil // an opaque URL is rewritten to the plain form
	default:
		return appendWirePath(dst, p, raw, resolveDots), true, nil
	}
}

// headerSet is what collectHeaders found.
type headerSet struct {
	list       []signedHeader // sorted by name
	ownOnly    bool           // the signer's own headers are all that is signed
	setHash    bool           // the signer sets X-Amz-Content-Sha256
	callerHash []string       // the request's X-Amz-Content-Sha256 values
}

// collectHeaders gathers the signed headers: the signer's own (host,
// x-amz-date, x-amz-content-sha256, x-amz-security-token when withToken)
// and the request's, whose keys are first merged case-insensitively when
// they need it. The request's own values of the signer's headers are never
// signed.
func (sg *signing) collectHeaders(s *Signer, req *http.Request, withToken bool) (headerSet, error) {
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	var hs headerSet
	v, callerHash := req.Header["X-Amz-Content-Sha256"]
	hs.callerHash, hs.setHash = v, !s.omitPayloadHeader || callerHash
	// The signer's own headers, in the canonical order.
	own := append(sg.headers[:0], signedHeader{name: "host", own: ownHost})
	if hs.setHash {
		own = append(own, signedHeader{name: "x-amz-content-sha256", own: ownPayloadHash})
	}
	own = append(own, signedHeader{name: "x-amz-date", own: ownDate})
	if withToken {
		own = append(own, signedHeader{name: "x-amz-security-token", own: ownToken})
	}
	if len(req.Header) == 0 {
		sg.headers, hs.list, hs.ownOnly = own, own, true
		return hs, nil
	}
	sg.names = sg.names[:0]
	list, ok := collectHeaders(own, req.Header, s.extra, s.signAllHeaders, &sg.names)
	if !ok {
		mergeHeaderCase(req.Header)
		return sg.collectHeaders(s, req, withToken)
	}
	sg.headers, hs.list, hs.ownOnly = list, list, len(list) == len(own)
	for _, h := range list {
		for _, v := range h.values {
			if hasCRLF(v) {
				return hs, newError(ErrHeader, "header "+strconv.Quote(h.name)+" has a value with a CR or LF, which cannot be sent; remove the line break", nil)
			}
		}
	}
	return hs, nil
}

// payload is the payload hash as the canonical request shows it: a
// constant (the caller's, or the empty body's), or one computed into the
// signing's scratch.
type payload struct {
	hex      []byte
	constant string // hex as a string when it is a constant; "" when computed
}

// hashPayload settles X-Amz-Content-Sha256 (DESIGN.md, "Payload"): the
// caller's (callerHash, the request's values), a constant, or the hash of
// the body, spooled against the shared budget when budgeted.
func (sg *signing) hashPayload(req *http.Request, callerHash []string, budgeted bool) (payload, error) {
	if v := callerHash; len(v) > 0 {
		if len(v) > 1 || !validPayloadHash(v[0]) {
			return payload{}, newError(ErrHeader, "X-Amz-Content-Sha256 is neither one lower-case hex SHA-256 nor UNSIGNED-PAYLOAD; remove it to let the signer hash the body", nil)
		}
		return constantPayload(v[0]), nil
	}
	if b := req.Body; b == nil || b == http.NoBody {
		return constantPayload(EmptyPayloadHash), nil
	}
	c, buf, err := payloadHash(req, sg.hash, sg.buf, &sg.sum, budgeted)
	sg.buf = buf
	if err != nil || c != "" {
		return constantPayload(c), err
	}
	return payload{hex: sg.sum[:]}, nil
}

func constantPayload(v string) payload { return payload{hex: unsafeBytes(v), constant: v} }

// ownValues are the values of the headers the signer sets itself.
type ownValues struct {
	host     string
	date     []byte
	dateText string // date, as the string the second's requests share; "" if none
	payload  payload
	token    string
}

// buildCanonicalRequest writes the canonical request: method, canonical URI
// (the wire path, encoded once more except for s3), canonical query (the
// wire query's parameters, sorted), the headers, the signed-header list and
// the payload hash. It returns it and where the signed-header list is.
func (sg *signing) buildCanonicalRequest(m *memos, method string, w *wire, hs *headerSet, own *ownValues) ([]byte, []byte) {
	sortPairs(w.query, w.pairs)
	b := sg.creq[:0]
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	if w.pathCanonical {
		b = append(b, w.path...)
	} else {
		b = appendCanonicalURI(b, w.path, w.s3)
	}
	b = append(b, '\n')
	b = appendCanonicalQuery(b, w.query, w.pairs)
	b = append(b, '\n')
	var signed span
	if !hs.ownOnly || own.payload.constant == "" || memoOff&offHeaders != 0 {
		b, signed, _ = appendHeaderSection(b, hs.list, own)
	} else {
		// Only the signer's own headers and a constant payload hash (a
		// request without a body): the section is the same for every
		// request to the host with the token but for X-Amz-Date.
		hm := m.headersFor(hs, own)
		b = append(b, hm.pre...)
		b = append(b, own.date...)
		at := len(b)
		b = append(b, hm.post...)
		signed = span{at + hm.signed.start, at + hm.signed.end}
	}
	sg.creq = b
	return b, b[signed.start:signed.end]
}

// appendHeaderSection appends the canonical request from its headers on:
// the header lines, the signed-header list and the payload hash. It
// returns where the signed-header list is and where X-Amz-Date's value
// starts.
func appendHeaderSection(b []byte, headers []signedHeader, own *ownValues) ([]byte, span, int) {
	dateAt := -1
	for i := range headers {
		h := &headers[i]
		b = append(b, h.name...)
		b = append(b, ':')
		switch h.own {
		case ownHost:
			b = append(b, own.host...)
		case ownDate:
			dateAt = len(b)
			b = append(b, own.date...)
		case ownPayloadHash:
			b = append(b, own.payload.hex...)
		case ownToken:
			b = appendHeaderValue(b, own.token)
		default:
			b = appendHeaderValues(b, h.values)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	signed := span{start: len(b)}
	b = appendSignedHeaders(b, headers)
	signed.end = len(b)
	b = append(b, '\n')
	return append(b, own.payload.hex...), signed, dateAt
}

// buildStringToSign writes the string to sign: algorithm, date, credential
// scope and the hash of the canonical request. It returns it and where
// the scope is.
func (sg *signing) buildStringToSign(date []byte, region, service string, creq []byte) ([]byte, span) {
	b := append(sg.sts[:0], algorithm+"\n"...)
	b = append(b, date...)
	b = append(b, '\n')
	scope := span{start: len(b)}
	b = appendScope(b, date[:8], region, service)
	scope.end = len(b)
	b = append(b, '\n')
	sum := sha256.Sum256(creq)
	var sumHex [2 * sha256.Size]byte
	hexSum(&sumHex, &sum)
	sg.sts = append(b, sumHex[:]...)
	return sg.sts, scope
}

// buildSignature computes the signature of sts, HMAC-SHA256 under the
// signing key, through crypto/hmac (the FIPS 140 module's HMAC when
// GODEBUG=fips140=on), kept from the signing's last use of the key and
// resumed after the first block when that is the last one's (signatureMAC).
func (sg *signing) buildSignature(key *derivedKey, sts []byte) (sig [sha256.Size]byte) {
	m := &sg.mac
	if m.key != key {
		m.reset(key)
	}
	sg.buf = m.sum(sts, sg.buf[:0])
	copy(sig[:], sg.buf)
	return sig
}

// authorization is what the Authorization header holds beside the
// algorithm: the access key id, the credential scope, the signed-header
// list and the signature.
type authorization struct {
	akid          string
	scope, signed []byte
	sig           *[sha256.Size]byte
}

// size is the length of the Authorization header's value.
func (a *authorization) size() int {
	return len(algorithm+" Credential=") + len(a.akid) + 1 + len(a.scope) +
		len(", SignedHeaders=") + len(a.signed) + len(", Signature=") + 2*sha256.Size
}

// appendTo appends the Authorization header's value to b, writing the
// signature's hex in place when b has room for it (as keptRoom's has).
func (a *authorization) appendTo(b []byte) []byte {
	b = append(b, algorithm+" Credential="...)
	b = append(b, a.akid...)
	b = append(b, '/')
	b = append(b, a.scope...)
	b = append(b, ", SignedHeaders="...)
	b = append(b, a.signed...)
	b = append(b, ", Signature="...)
	end := len(b) + 2*sha256.Size
	b = slices.Grow(b, 2*sha256.Size)
	hexSum((*[2 * sha256.Size]byte)(b[len(b):end]), a.sig)
	return b[:end]
}

// apply writes the wire form and the signature into the request. The
// strings the request keeps (the wire path and query when they changed, a
// computed payload hash and Authorization) and its four header values
// share one allocation (see keptRoom); X-Amz-Date is the second's shared
// string.
func (sg *signing) apply(req *http.Request, w *wire, hs *headerSet, own *ownValues, auth authorization) {
	n := auth.size()
	if w.pathChanged {
		n += len(w.path)
	}
	if w.queryChanged {
		n += len(w.query)
	}
	if own.payload.constant == "" {
		n += len(own.payload.hex)
	}
	if own.dateText == "" {
		n += len(own.date)
	}
	vals, buf := keptRoom(n)
	mark := func(start int) string { b := buf[start:]; return unsafe.String(unsafe.SliceData(b), len(b)) }
	if w.pathChanged {
		buf = append(buf, w.path...)
		setWirePath(req.URL, mark(0))
	}
	if w.queryChanged {
		start := len(buf)
		buf = append(buf, w.query...)
		req.URL.RawQuery = mark(start)
	}
	req.URL.ForceQuery = false
	if req.Host != w.host && (req.Host != "" || req.URL.Host != w.host) {
		req.Host = w.host
	}

	// vals: X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, Authorization.
	if vals[0] = own.dateText; vals[0] == "" {
		start := len(buf)
		buf = append(buf, own.date...)
		vals[0] = mark(start)
	}
	if vals[1] = own.payload.constant; vals[1] == "" {
		start := len(buf)
		buf = append(buf, own.payload.hex...)
		vals[1] = mark(start)
	}
	vals[2] = own.token
	start := len(buf)
	buf = auth.appendTo(buf)
	vals[3] = mark(start)

	h := req.Header
	h["X-Amz-Date"] = vals[0:1:1]
	if hs.setHash {
		h["X-Amz-Content-Sha256"] = vals[1:2:2]
	}
	if own.token != "" {
		h["X-Amz-Security-Token"] = vals[2:3:3]
	} else {
		// A token the caller set, or one left from an earlier signing,
		// belongs to other credentials: it was not signed, so it is not sent.
		delete(h, "X-Amz-Security-Token")
	}
	h["Authorization"] = vals[3:4:4]
}

// appendScope appends the credential scope: date/region/service/aws4_request.
func appendScope(b, day []byte, region, service string) []byte {
	b = append(b, day...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, '/')
	return append(b, scopeSuffix...)
}

// appendAmzDate appends t in UTC as 20060102T150405Z, computing the civil
// date from Unix seconds (H. Hinnant's days-to-civil algorithm) rather than
// through time.AppendFormat, which takes about three times as long
// (BenchmarkAmzDate).
func appendAmzDate(b []byte, t time.Time) []byte {
	u := t.Unix()
	if u < 0 || u >= 253402300800 { // outside 1970..9999
		return t.UTC().AppendFormat(b, amzDateFmt)
	}
	days, secs := u/86400, u%86400
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	h, mi, sec := secs/3600, secs/60%60, secs%60
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		byte('0'+m/10), byte('0'+m%10), byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), byte('0'+mi/10), byte('0'+mi%10), byte('0'+sec/10), byte('0'+sec%10), 'Z')
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

// keptRoom returns the one allocation a typical signing makes: room for
// the four header values the request keeps and for n bytes they point
// into (the wire path and query when they changed, a computed payload hash,
// Authorization), written once by apply and never again. The room comes in
// a few sizes that fill an allocator size class, because every byte
// allocated is a fresh cache line to fill: of all the work of signing, the
// part that most depends on the machine's other tenants. A request too
// large for the biggest takes two allocations.
func keptRoom(n int) ([]string, []byte) {
	switch {
	case n <= 256:
		return roomOf[[256]byte](n) // 320-byte class
	case n <= 288:
		return roomOf[[288]byte](n) // 352
	case n <= 320:
		return roomOf[[320]byte](n) // 384
	case n <= 384:
		return roomOf[[384]byte](n) // 448
	}
	return make([]string, 4), make([]byte, 0, n)
}

// roomOf allocates one keptRoom of B, a byte array of at least n bytes.
func roomOf[B any](n int) ([]string, []byte) {
	k := new(struct {
		vals [4]string
		buf  B
	})
	return k.vals[:], unsafe.Slice((*byte)(unsafe.Pointer(&k.buf)), unsafe.Sizeof(k.buf))[:0:n]
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
