package signer

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/aws"

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
	keys  keyCache

	// Memos: a process signs for one host and scope with one set of
	// credentials, many times a second. Each holds the last input it saw
	// beside what was made of it (the scope and credentials validated, the
	// date formatted, the host in wire form, what a second and a key share,
	// the header section of a request without a body), and is used only
	// when the input at hand compares equal.
	lastScope   atomic.Pointer[scope]
	lastDate    atomic.Pointer[formattedDate]
	lastCreds   atomic.Pointer[checkedCreds]
	lastSecond  atomic.Pointer[secondMemo]
	lastHeaders atomic.Pointer[headerMemo]
	lastHost    atomic.Pointer[hostMemo]

	// Conformance-test policies, unexported: the official test suite signs
	// every header present, adds no payload header, and resolves dot
	// segments, which DESIGN.md's rules 1, 3 and 5 deliberately do not do
	// for real requests.
	signAllHeaders    bool
	omitPayloadHeader bool
	resolveDots       bool
	s3Paths           bool // S3 path rules whatever the service name
}

// New returns a Signer configured by the option functions, which are applied
// in order to a zero [Options]. It returns an [*Error] of kind [ErrOption]
// when an option is invalid. New does no I/O.
func New(optFns ...func(*Options)) (*Signer, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	s := &Signer{trace: o.Trace}
	for _, name := range o.SignedHeaders {
		l := strings.ToLower(strings.TrimSpace(name))
		if l == "" || strings.ContainsAny(l, " \t\r\n:") {
			return nil, newError(ErrOption, "SignedHeaders holds "+quote(name)+", which is not a header name", nil)
		}
		if isNeverSigned(l) {
			return nil, newError(ErrOption, "SignedHeaders names "+quote(l)+", which proxies or Go's transport change in flight or which is signed anyway; remove it from SignedHeaders", nil)
		}
		if !slices.Contains(s.extra, l) {
			s.extra = append(s.extra, l)
		}
	}
	if o.SigningHost != "" {
		if strings.ContainsAny(o.SigningHost, " \t\r\n/") {
			return nil, newError(ErrOption, "SigningHost "+quote(o.SigningHost)+" is not a host name (want \"name\" or \"name:port\")", nil)
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
	if err := s.check(req, creds, region, service, t); err != nil {
		return err
	}
	sg := signingPool.Get().(*signing)
	defer sg.release()
	sg.s, sg.req, sg.creds, sg.region, sg.service = s, req, creds, region, service
	sg.s3 = service == "s3" || s.s3Paths

	if err := sg.wireForm(); err != nil {
		return err
	}
	if err := sg.collectHeaders(); err != nil {
		return err
	}
	if err := sg.hashPayload(); err != nil { // last: it may consume the body
		return err
	}
	sg.date, sg.dateText = s.amzDate(sg.date[:0], t)
	sg.buildCanonicalRequest()
	sg.buildStringToSign()
	sg.buildSignature()
	sg.apply()
	if s.trace != nil {
		s.trace(sg.makeTrace())
	}
	return nil
}

// check validates what Sign is given, before anything is changed.
func (s *Signer) check(req *http.Request, creds aws.Credentials, region, service string, t time.Time) error {
	if req == nil {
		return newError(ErrRequest, "the request is nil", nil)
	}
	if req.URL == nil {
		return newError(ErrRequest, "the request has no URL", nil)
	}
	if c := s.lastCreds.Load(); c != nil && c.key == creds.AccessKeyID && c.token == creds.SessionToken && creds.SecretAccessKey != "" {
		// Checked before: the same strings (usually the very same memory,
		// which compares at once) from a credentials cache.
	} else if err := checkCreds(creds); err != nil {
		return err
	} else {
		s.lastCreds.Store(&checkedCreds{key: creds.AccessKeyID, token: creds.SessionToken,
			plainToken: string(appendHeaderValue(nil, creds.SessionToken)) == creds.SessionToken})
	}
	if creds.CanExpire && !creds.Expires.After(t) {
		return newError(ErrCredentials, "the credentials expired at "+creds.Expires.UTC().Format(time.RFC3339)+"; refresh them", nil)
	}
	if sc := s.lastScope.Load(); sc == nil || sc.region != region || sc.service != service {
		if !validScopePart(region) {
			return newError(ErrScope, "region "+quote(region)+" is not a region name (letters, digits, '-', '_' and '.' only, as in \"us-east-1\"); set the region", nil)
		}
		if !validScopePart(service) {
			return newError(ErrScope, "service "+quote(service)+" is not a service name (as in \"es\" or \"aoss\"); set the service", nil)
		}
		s.lastScope.Store(&scope{region, service})
	}
	return nil
}

// checkedCreds is the access key id and session token last found valid.
// plainToken reports a token that a canonical request holds as it is
// (no white space to trim or collapse).
type checkedCreds struct {
	key, token string
	plainToken bool
}

// checkCreds validates the access key id, secret and session token.
func checkCreds(creds aws.Credentials) error {
	if creds.AccessKeyID == "" {
		return newError(ErrCredentials, "the access key id is empty; check the credential source", nil)
	}
	if creds.SecretAccessKey == "" {
		return newError(ErrCredentials, "the secret access key is empty; check the credential source", nil)
	}
	if hasCRLF(creds.AccessKeyID) || strings.IndexByte(creds.AccessKeyID, '/') >= 0 || strings.IndexByte(creds.AccessKeyID, ',') >= 0 {
		return newError(ErrCredentials, "the access key id holds a CR, LF, '/' or ','; check the credential source", nil)
	}
	if hasCRLF(creds.SessionToken) {
		return newError(ErrCredentials, "the session token holds a CR or LF; check the credential source", nil)
	}
	return nil
}

// signing is one call of Sign: its inputs, the scratch space of its stages
// and what each stage found. Sign runs the stages in order, each a method:
// wireForm, collectHeaders, hashPayload, buildCanonicalRequest,
// buildStringToSign, buildSignature, apply. Signings are pooled, so that
// steady-state signing allocates only the strings it hands to the request.
type signing struct {
	s               *Signer
	req             *http.Request
	creds           aws.Credentials
	region, service string
	s3              bool

	host          string // wireForm: the host signed and sent
	path          []byte // wireForm: the wire path
	pathChanged   bool
	pathCanonical bool   // the wire path is its own canonical URI
	query         []byte // wireForm: the wire query
	pairs         []queryPair
	queryChg      bool

	headers []signedHeader // collectHeaders: sorted by name
	names   []byte         // collectHeaders: the lower-case names of the request's signed headers

	payloadHash string // hashPayload: the caller's or a constant; "" when computed into sum
	sum         [2 * sha256.Size]byte
	setHash     bool // the signer sets X-Amz-Content-Sha256
	callerHash  bool // the request has X-Amz-Content-Sha256
	ownOnly     bool // collectHeaders: the signer's own headers are all that is signed

	date     []byte // X-Amz-Date
	dateText string // the same, shared by the second's requests; "" if none

	hash                   hash.Hash
	creq                   []byte // buildCanonicalRequest
	signedStart, signedEnd int    // the signed-header list within creq
	sts                    []byte // buildStringToSign
	scopeStart, scopeEnd   int    // the credential scope within sts
	mac                    []byte
	sig                    [sha256.Size]byte // buildSignature
	memo                   *secondMemo       // buildStringToSign, buildSignature
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
		mac:     make([]byte, 0, 64),
	}
}}

// release returns sg to the pool, dropping its references to the request
// and the credentials. The stages reset what they use.
func (sg *signing) release() {
	clear(sg.headers)
	sg.s, sg.req, sg.creds, sg.headers, sg.memo = nil, nil, aws.Credentials{}, sg.headers[:0], nil
	signingPool.Put(sg)
}

// wireForm settles the host, path and query that are signed and sent
// (DESIGN.md rules 1, 2, 4 and 7), without changing the request yet.
func (sg *signing) wireForm() error {
	req, u := sg.req, sg.req.URL
	host := sg.s.host
	if host == "" {
		host = req.Host
	}
	if host == "" {
		host = u.Host
	}
	if m := sg.s.lastHost.Load(); m != nil && m.in == host && m.scheme == u.Scheme {
		sg.host = m.out
	} else {
		var err error
		if sg.host, err = wireHost(host, u.Scheme); err != nil {
			return err
		}
		sg.s.lastHost.Store(&hostMemo{in: host, scheme: u.Scheme, out: sg.host})
	}

	sg.path, sg.pathChanged, sg.pathCanonical = sg.path[:0], false, false
	plain := false
	if u.Opaque == "" && u.RawPath == "" && !sg.s3 && !sg.s.resolveDots {
		plain, sg.pathCanonical = plainPath(u.Path)
	}
	if plain {
		sg.path = append(sg.path, u.Path...) // the common case, in one pass
	} else if err := sg.wirePath(); err != nil {
		return err
	}

	sg.query, sg.pairs = appendWireQuery(sg.query[:0], sg.pairs[:0], u.RawQuery)
	sg.queryChg = string(sg.query) != u.RawQuery
	return nil
}

// wirePath settles the wire path of any URL.
func (sg *signing) wirePath() error {
	p, raw, err := callerPath(sg.req.URL)
	if err != nil {
		return err
	}
	switch {
	case sg.s3:
		if q := s3Path(p); q != p || raw {
			sg.path, sg.pathChanged = append(sg.path, q...), true
		} else {
			sg.path = append(sg.path, p...)
		}
	case !sg.s.resolveDots && wirePathClean(p, raw):
		sg.path = append(sg.path, p...)
		sg.pathChanged = raw // an opaque URL is rewritten to the plain form
	default:
		sg.path = appendWirePath(sg.path, p, raw, sg.s.resolveDots)
		sg.pathChanged = true
	}
	return nil
}

// collectHeaders gathers the signed headers: the signer's own (host,
// x-amz-date, x-amz-content-sha256, x-amz-security-token) and the
// request's, whose keys are first merged case-insensitively when they need
// it. The request's own values of the signer's headers are never signed.
func (sg *signing) collectHeaders() error {
	req := sg.req
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	// The signer's own headers, in the canonical order.
	own := append(sg.headers[:0], signedHeader{name: "host", own: ownHost})
	_, sg.callerHash = req.Header["X-Amz-Content-Sha256"]
	sg.setHash = !sg.s.omitPayloadHeader || sg.callerHash
	if sg.setHash {
		own = append(own, signedHeader{name: "x-amz-content-sha256", own: ownPayloadHash})
	}
	own = append(own, signedHeader{name: "x-amz-date", own: ownDate})
	if sg.creds.SessionToken != "" {
		own = append(own, signedHeader{name: "x-amz-security-token", own: ownToken})
	}
	sg.ownOnly = false
	if len(req.Header) == 0 {
		sg.headers, sg.ownOnly = own, true
		return nil
	}
	sg.names = sg.names[:0]
	headers, ok := collectHeaders(own, req.Header, sg.s.extra, sg.s.signAllHeaders, &sg.names)
	if !ok {
		mergeHeaderCase(req.Header)
		return sg.collectHeaders()
	}
	sg.headers, sg.ownOnly = headers, len(headers) == len(own)
	for _, h := range headers {
		for _, v := range h.values {
			if hasCRLF(v) {
				return newError(ErrHeader, "header "+quote(h.name)+" has a value with a CR or LF, which cannot be sent; remove the line break", nil)
			}
		}
	}
	return nil
}

// hashPayload settles X-Amz-Content-Sha256 (DESIGN.md rule 5): the
// caller's, a constant, or the hash of the body, computed into sg.sum.
func (sg *signing) hashPayload() error {
	if v := sg.callerValues(); len(v) > 0 {
		if len(v) > 1 || !validPayloadHash(v[0]) {
			return newError(ErrHeader, "X-Amz-Content-Sha256 is neither one lower-case hex SHA-256 nor UNSIGNED-PAYLOAD; remove it to let the signer hash the body", nil)
		}
		sg.payloadHash = v[0]
		return nil
	}
	if b := sg.req.Body; b == nil || b == http.NoBody {
		sg.payloadHash = EmptyPayloadHash
		return nil
	}
	var err error
	sg.payloadHash, sg.mac, err = payloadHash(sg.req, sg.hash, sg.mac, &sg.sum)
	return err
}

// callerValues returns the request's X-Amz-Content-Sha256 values, if any.
func (sg *signing) callerValues() []string {
	if !sg.callerHash {
		return nil
	}
	return sg.req.Header["X-Amz-Content-Sha256"]
}

// payload returns the payload hash as the canonical request shows it.
func (sg *signing) payload() []byte {
	if sg.payloadHash != "" {
		return unsafeBytes(sg.payloadHash)
	}
	return sg.sum[:]
}

// buildCanonicalRequest writes the canonical request: method, canonical URI
// (the wire path, encoded once more except for s3), canonical query (the
// wire query's parameters, sorted), the headers, the signed-header list and
// the payload hash.
func (sg *signing) buildCanonicalRequest() {
	sortPairs(sg.query, sg.pairs)
	b := sg.creq[:0]
	method := sg.req.Method
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	if sg.pathCanonical {
		b = append(b, sg.path...)
	} else {
		b = appendCanonicalURI(b, sg.path, sg.s3)
	}
	b = append(b, '\n')
	b = appendCanonicalQuery(b, sg.query, sg.pairs)
	b = append(b, '\n')
	if !sg.ownOnly || sg.payloadHash == "" {
		sg.creq, _ = sg.appendHeaderSection(b)
		return
	}
	// Only the signer's own headers and a constant payload hash (a request
	// without a body): the section is the same for every request to the
	// host with the token but for X-Amz-Date.
	m := sg.s.lastHeaders.Load()
	if m == nil || m.host != sg.host || m.payload != sg.payloadHash || m.token != sg.creds.SessionToken || m.setHash != sg.setHash {
		m = sg.newHeaderMemo()
		sg.s.lastHeaders.Store(m)
	}
	b = append(b, m.pre...)
	b = append(b, sg.date...)
	sg.signedStart = len(b) + m.signedOff
	sg.signedEnd = sg.signedStart + m.signedLen
	sg.creq = append(b, m.post...)
}

// appendHeaderSection appends the canonical request from its headers on:
// the header lines, the signed-header list and the payload hash. It
// returns where X-Amz-Date's value starts.
func (sg *signing) appendHeaderSection(b []byte) ([]byte, int) {
	dateAt := -1
	for i := range sg.headers {
		h := &sg.headers[i]
		b = append(b, h.name...)
		b = append(b, ':')
		switch h.own {
		case ownHost:
			b = append(b, sg.host...)
		case ownDate:
			dateAt = len(b)
			b = append(b, sg.date...)
		case ownPayloadHash:
			b = append(b, sg.payload()...)
		case ownToken:
			if c := sg.s.lastCreds.Load(); c != nil && c.plainToken && c.token == sg.creds.SessionToken {
				b = append(b, sg.creds.SessionToken...)
			} else {
				b = appendHeaderValue(b, sg.creds.SessionToken)
			}
		default:
			b = appendHeaderValues(b, h.values)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	sg.signedStart = len(b)
	b = appendSignedHeaders(b, sg.headers)
	sg.signedEnd = len(b)
	b = append(b, '\n')
	return append(b, sg.payload()...), dateAt
}

// headerMemo is the header section of the canonical request of a request
// that signs only the signer's own headers and has a constant payload
// hash, split around X-Amz-Date's value.
type headerMemo struct {
	host, payload, token string
	setHash              bool
	pre, post            []byte
	signedOff, signedLen int // the signed-header list within post
}

// newHeaderMemo makes the header memo of this signing.
func (sg *signing) newHeaderMemo() *headerMemo {
	section, dateAt := sg.appendHeaderSection(nil)
	after := dateAt + len(sg.date)
	return &headerMemo{
		host: sg.host, payload: sg.payloadHash, token: sg.creds.SessionToken, setHash: sg.setHash,
		pre: section[:dateAt:dateAt], post: section[after:],
		signedOff: sg.signedStart - after, signedLen: sg.signedEnd - sg.signedStart,
	}
}

// buildStringToSign writes the string to sign: algorithm, date, credential
// scope and the hash of the canonical request.
func (sg *signing) buildStringToSign() {
	sum := sha256.Sum256(sg.creq)
	m := sg.s.lastSecond.Load()
	if m != nil && (string(m.date[:]) != string(sg.date) || m.region != sg.region || m.service != sg.service) {
		m = nil
	}
	sg.memo = m
	var st []byte
	if m != nil {
		st = append(sg.sts[:0], m.prefix...)
		sg.scopeStart, sg.scopeEnd = m.scopeStart, m.scopeEnd
	} else {
		st = append(sg.sts[:0], algorithm...)
		st = append(st, '\n')
		st = append(st, sg.date...)
		st = append(st, '\n')
		sg.scopeStart = len(st)
		st = append(st, sg.date[:8]...)
		st = append(st, '/')
		st = append(st, sg.region...)
		st = append(st, '/')
		st = append(st, sg.service...)
		st = append(st, '/')
		st = append(st, scopeSuffix...)
		sg.scopeEnd = len(st)
		st = append(st, '\n')
	}
	var sumHex [2 * sha256.Size]byte
	hexSum(&sumHex, &sum)
	sg.sts = append(st, sumHex[:]...)
}

// buildSignature computes the signature with the cached signing key.
func (sg *signing) buildSignature() {
	// A memo of this second and scope with the same secret holds the key
	// the cache would give.
	if m := sg.memo; m == nil || m.secret != sg.creds.SecretAccessKey || m.akid != sg.creds.AccessKeyID {
		var d [8]byte
		copy(d[:], sg.date[:8])
		sg.memo = sg.newSecondMemo(sg.s.keys.get(sg.creds.SecretAccessKey, d, sg.region, sg.service))
		sg.s.lastSecond.Store(sg.memo)
	}
	sg.mac = hmacResume(sg.memo.key, sg.memo.state, sha256.BlockSize, sg.sts, &sg.sig, sg.hash, sg.mac)
}

// secondMemo is what every request signed in the same second for the same
// scope with the same key shares: the string to sign up to the canonical
// request's hash, the inner HMAC state after its first block (so that each
// signature compresses one block fewer), and the Authorization header up
// to the signed-header list.
type secondMemo struct {
	date                 [16]byte
	region, service      string
	prefix               []byte // "AWS4-HMAC-SHA256\n" date "\n" scope "\n"
	scopeStart, scopeEnd int    // the scope within prefix
	secret               string // the key's secret
	key                  *derivedKey
	akid                 string
	auth                 []byte // "AWS4-HMAC-SHA256 Credential=" akid "/" scope ", SignedHeaders="
	state                []byte // nil when the hash cannot save its state
	room                 [384]byte
}

// newSecondMemo makes the memo of this signing's second, scope and key,
// from its string to sign.
func (sg *signing) newSecondMemo(key *derivedKey) *secondMemo {
	m := &secondMemo{region: sg.region, service: sg.service, secret: sg.creds.SecretAccessKey, key: key, akid: sg.creds.AccessKeyID,
		scopeStart: sg.scopeStart, scopeEnd: sg.scopeEnd}
	copy(m.date[:], sg.date)
	room := m.room[:0]
	prefix := sg.sts[:len(sg.sts)-2*sha256.Size]
	room = append(room, prefix...)
	m.prefix = room[:len(prefix):len(prefix)]
	room = room[len(prefix):]
	auth := append(room, algorithm+" Credential="...)
	auth = append(auth, m.akid...)
	auth = append(auth, '/')
	auth = append(auth, prefix[m.scopeStart:m.scopeEnd]...)
	auth = append(auth, ", SignedHeaders="...)
	m.auth = auth[:len(auth):len(auth)]
	if len(prefix) >= sha256.BlockSize {
		m.state = innerState(key, prefix[:sha256.BlockSize], sg.hash, auth[len(auth):])
	}
	return m
}

// apply writes the wire form and the signature into the request. The
// strings the request keeps (the wire path and query when they changed, a
// computed payload hash and Authorization) and its four header values
// share one allocation (see keptRoom); X-Amz-Date is the second's shared
// string.
func (sg *signing) apply() {
	req := sg.req
	scope := sg.sts[sg.scopeStart:sg.scopeEnd]
	signed := sg.creq[sg.signedStart:sg.signedEnd]
	n := len(algorithm) + len(" Credential=") + len(sg.creds.AccessKeyID) + 1 + len(scope) +
		len(", SignedHeaders=") + len(signed) + len(", Signature=") + 2*sha256.Size
	if sg.pathChanged {
		n += len(sg.path)
	}
	if sg.queryChg {
		n += len(sg.query)
	}
	if sg.payloadHash == "" {
		n += len(sg.sum)
	}
	if sg.dateText == "" {
		n += len(sg.date)
	}
	vals, buf := keptRoom(n)
	mark := func(start int) string { b := buf[start:]; return unsafe.String(unsafe.SliceData(b), len(b)) }
	if sg.pathChanged {
		buf = append(buf, sg.path...)
		setWirePath(req.URL, mark(0))
	}
	if sg.queryChg {
		start := len(buf)
		buf = append(buf, sg.query...)
		req.URL.RawQuery = mark(start)
	}
	req.URL.ForceQuery = false
	if req.Host != sg.host && (req.Host != "" || req.URL.Host != sg.host) {
		req.Host = sg.host
	}

	// vals: X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, Authorization.
	if vals[0] = sg.dateText; vals[0] == "" {
		start := len(buf)
		buf = append(buf, sg.date...)
		vals[0] = mark(start)
	}
	ph := sg.payloadHash
	if ph == "" {
		start := len(buf)
		buf = append(buf, sg.sum[:]...)
		ph = mark(start)
	}
	vals[1], vals[2] = ph, sg.creds.SessionToken
	start := len(buf)
	buf = append(buf, sg.memo.auth...)
	buf = append(buf, signed...)
	buf = append(buf, ", Signature="...)
	end := len(buf) + 2*sha256.Size // the hex is written in place, in n
	buf = slices.Grow(buf, 2*sha256.Size)
	hexSum((*[2 * sha256.Size]byte)(buf[len(buf):end]), &sg.sig)
	buf = buf[:end]
	vals[3] = mark(start)

	h := req.Header
	h["X-Amz-Date"] = vals[0:1:1]
	if sg.setHash {
		h["X-Amz-Content-Sha256"] = vals[1:2:2]
	}
	if sg.creds.SessionToken != "" {
		h["X-Amz-Security-Token"] = vals[2:3:3]
	} else {
		// A token the caller set, or one left from an earlier signing,
		// belongs to other credentials: it was not signed, so it is not sent.
		delete(h, "X-Amz-Security-Token")
	}
	h["Authorization"] = vals[3:4:4]
}

type scope struct{ region, service string }

// hostMemo is the last host converted to its wire form: a process signs
// for one host, many times a second.
type hostMemo struct{ in, scheme, out string }

// formattedDate is the last second formatted as X-Amz-Date, as a string
// that every request signed in that second shares (strings are immutable).
type formattedDate struct {
	unix int64
	text string // in room: one allocation a second
	room [16]byte
}

// amzDate appends t as X-Amz-Date, reusing the last second formatted, and
// returns that second's shared string too ("" for a year past 9999).
func (s *Signer) amzDate(b []byte, t time.Time) ([]byte, string) {
	u := t.Unix()
	if d := s.lastDate.Load(); d != nil && d.unix == u {
		return append(b, d.text...), d.text
	}
	start := len(b)
	b = appendAmzDate(b, t)
	if len(b)-start != 16 { // years 0-9999 only
		return b, ""
	}
	d := &formattedDate{unix: u}
	copy(d.room[:], b[start:])
	d.text = unsafe.String(&d.room[0], len(d.room))
	s.lastDate.Store(d)
	return b, d.text
}

// appendAmzDate appends t in UTC as 20060102T150405Z, computing the civil
// date from Unix seconds (H. Hinnant's days-to-civil algorithm) rather than
// through time.AppendFormat, which is several times slower.
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

// makeTrace describes the signing, without the secret, the token or the
// signature.
func (sg *signing) makeTrace() Trace {
	cr := string(sg.creq)
	if sg.creds.SessionToken != "" {
		cr = redactToken(cr, sg.creds.SessionToken)
	}
	t := Trace{
		CanonicalRequest: cr,
		StringToSign:     string(sg.sts),
		CredentialScope:  string(sg.sts[sg.scopeStart:sg.scopeEnd]),
		SignedHeaders:    string(sg.creq[sg.signedStart:sg.signedEnd]),
		AccessKeyID:      redact.AccessKeyID(sg.creds.AccessKeyID),
		Source:           sg.creds.Source,
	}
	if sg.creds.CanExpire {
		t.Expires = sg.creds.Expires
	}
	return t
}

// redactToken replaces the value of the x-amz-security-token line of a
// canonical request with "<redacted>", and any other occurrence of a token
// long enough not to be mistaken for ordinary text.
func redactToken(creq, token string) string {
	const line = "\nx-amz-security-token:"
	if i := strings.Index(creq, line); i >= 0 {
		start := i + len(line)
		if end := strings.IndexByte(creq[start:], '\n'); end >= 0 {
			creq = creq[:start] + "<redacted>" + creq[start+end:]
		}
	}
	if len(token) >= 16 {
		creq = strings.ReplaceAll(creq, token, "<redacted>")
	}
	return creq
}

// quote returns s in double quotes with control characters escaped, without
// fmt.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(lowerHex[c>>4])
			b.WriteByte(lowerHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// String describes the signer without its key cache, which holds secrets.
func (s *Signer) String() string { return "signer.Signer" }

// GoString is String, so %#v does not print the key cache either.
func (s *Signer) GoString() string { return s.String() }

// Format writes String for every verb, so that no verb prints the fields.
func (s *Signer) Format(f fmt.State, verb rune) { redact.Format(f, verb, s.String()) }
