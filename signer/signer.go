package signer

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	// Host, when not empty, is signed as the host and sent as the request's
	// Host header instead of the URL's host: for SSH tunnels and port
	// forwarding, where the URL names a local address but AWS sees the
	// domain's host name. A default port (":443", ":80") is dropped.
	Host string

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
	extra map[string]bool
	trace func(Trace)
	keys  keyCache

	// Conformance-test policies, unexported: the official test suite signs
	// every header present and adds no payload header, which DESIGN.md's
	// rules 3 and 5 deliberately do not do for real requests.
	// Memos of the last scope validated and the last date formatted: a
	// process signs for one scope, many times a second.
	lastScope atomic.Pointer[scope]
	lastDate  atomic.Pointer[formattedDate]

	signAllHeaders    bool
	omitPayloadHeader bool
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
		if s.extra == nil {
			s.extra = make(map[string]bool)
		}
		s.extra[l] = true
	}
	if o.Host != "" {
		if strings.ContainsAny(o.Host, " \t\r\n/") {
			return nil, newError(ErrOption, "Host "+quote(o.Host)+" is not a host name (want \"name\" or \"name:port\")", nil)
		}
		s.host = o.Host
	}
	return s, nil
}

// scratch holds the per-signing buffers, pooled so that steady-state
// signing allocates only what it hands to the request.
type scratch struct {
	hash    hash.Hash
	query   []byte
	creq    []byte
	sts     []byte
	mac     []byte
	headers []signedHeader
}

// release returns sc to the pool, dropping its references to the request.
func (sc *scratch) release() {
	clear(sc.headers)
	sc.headers = sc.headers[:0]
	scratchPool.Put(sc)
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{hash: sha256.New(), query: make([]byte, 0, 256), creq: make([]byte, 0, 1024), sts: make([]byte, 0, 256), mac: make([]byte, 0, 512), headers: make([]signedHeader, 0, 8)}
}}

// Sign signs req in place for the given region and service at time t, using
// creds. It sets X-Amz-Date, X-Amz-Content-Sha256 (unless the caller set
// it), X-Amz-Security-Token when creds has a session token, and
// Authorization.
//
// So that what is signed is what is sent, Sign also rewrites req to the
// canonical wire form it signed: the path normalised (for every service but
// s3), or strictly encoded (s3); the query in RFC 3986 form, sorted; the
// default port dropped from the host. A body that cannot be replayed is read
// once and replaced with one that can (see the package documentation).
//
// On error req may have been partly modified and must not be sent; the
// error is an [*Error].
func (s *Signer) Sign(req *http.Request, creds aws.Credentials, region, service string, t time.Time) error {
	if req == nil {
		return newError(ErrRequest, "the request is nil", nil)
	}
	if req.URL == nil {
		return newError(ErrRequest, "the request has no URL", nil)
	}
	if creds.AccessKeyID == "" {
		return newError(ErrCredentials, "the access key id is empty; check the credential source", nil)
	}
	if creds.SecretAccessKey == "" {
		return newError(ErrCredentials, "the secret access key is empty; check the credential source", nil)
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

	host, err := s.signingHost(req)
	if err != nil {
		return err
	}
	if req.Host != host && (req.Host != "" || req.URL.Host != host) {
		req.Host = host
	}

	// Canonical URI, and the path the request will send.
	p, fromOpaque, err := wirePath(req.URL)
	if err != nil {
		return err
	}
	s3 := service == "s3" || s.s3Paths
	var send string
	if s3 {
		send = s3Path(p)
	} else {
		send = normalizePath(p)
	}
	if send != p || (fromOpaque && send != req.URL.Opaque) {
		setWirePath(req.URL, send)
	}

	req.URL.ForceQuery = false

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	// An Authorization header already there is never signed (see
	// collectHeaders) and is replaced below.

	sc := scratchPool.Get().(*scratch)
	defer sc.release()

	// One allocation backs the four header values the signer sets
	// (X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token,
	// Authorization) and the host it signs.
	hdrs := make([]string, 5)
	hdrs[4] = host

	// Payload hash: the caller's, a constant, or computed into phHex (and
	// made a string below, in the allocation the signer makes anyway).
	var ph string
	var phHex [2 * sha256.Size]byte
	setPH := false                                           // the signer sets X-Amz-Content-Sha256
	if v := req.Header["X-Amz-Content-Sha256"]; len(v) > 0 { // the canonical key: no Get, no re-canonicalising
		ph = v[0]
		if !validPayloadHash(ph) {
			return newError(ErrHeader, "X-Amz-Content-Sha256 is neither a lower-case hex SHA-256 nor UNSIGNED-PAYLOAD; remove it to let the signer hash the body", nil)
		}
	} else {
		if ph, sc.mac, err = payloadHash(req, sc.hash, sc.mac, &phHex); err != nil {
			return err
		}
		setPH = !s.omitPayloadHeader
		hdrs[1] = ph // "" until a computed hash is placed below
	}
	computed := ph == ""

	// Canonical query, which the request also sends; nil when the raw query
	// is canonical already.
	var query []byte
	sc.query, query = appendCanonicalQuery(sc.query[:0], req.URL.RawQuery)

	date := s.amzDate(sc.sts[:0], t)
	if creds.SessionToken != "" {
		if hasCRLF(creds.SessionToken) {
			return newError(ErrCredentials, "the session token holds a CR or LF; check the credential source", nil)
		}
		hdrs[2] = creds.SessionToken
	}

	// Canonical headers: the signer's own (host, x-amz-date, and the payload
	// hash and token when it sets them; values filled in below) and the
	// request's that are signed, sorted by name. Only the request's headers
	// are iterated: the signer's entries go into the map afterwards.
	own := append(sc.headers[:0], signedHeader{name: "host", own: &hdrs[4], clean: true}, signedHeader{name: "x-amz-date", own: &hdrs[0], clean: true})
	skip := skipDate
	if setPH {
		own = append(own, signedHeader{name: "x-amz-content-sha256", own: &hdrs[1], clean: true})
		skip |= skipPayloadHash
	}
	if creds.SessionToken != "" {
		own = append(own, signedHeader{name: "x-amz-security-token", own: &hdrs[2]})
		skip |= skipToken
	}
	sc.headers = collectHeaders(own, req.Header, s.extra, s.signAllHeaders, skip)
	req.Header["X-Amz-Date"] = hdrs[0:1:1]
	if setPH {
		req.Header["X-Amz-Content-Sha256"] = hdrs[1:2:2]
	}
	if creds.SessionToken != "" {
		req.Header["X-Amz-Security-Token"] = hdrs[2:3:3]
	} else if !s.signAllHeaders {
		// A token left from an earlier signing belongs to other credentials.
		delete(req.Header, "X-Amz-Security-Token")
	}
	for _, h := range sc.headers {
		for _, v := range h.values {
			if hasCRLF(v) {
				return newError(ErrHeader, "header "+quote(h.name)+" has a value with a CR or LF, which cannot be sent; remove the line break", nil)
			}
		}
	}

	// One allocation holds the strings the request keeps: the canonical
	// query (when it changed), X-Amz-Date, a computed payload hash and
	// Authorization. A strings.Builder never rewrites bytes it has written,
	// so substrings of an early String() stay valid as it grows.
	signedLen := len(sc.headers) - 1
	for _, h := range sc.headers {
		signedLen += len(h.name)
	}
	scopeLen := 8 + 1 + len(region) + 1 + len(service) + 1 + len(scopeSuffix)
	authLen := len(algorithm) + len(" Credential=") + len(creds.AccessKeyID) + 1 + scopeLen +
		len(", SignedHeaders=") + signedLen + len(", Signature=") + 2*sha256.Size
	phLen := 0
	if computed {
		phLen = len(phHex)
	}
	var keep strings.Builder
	keep.Grow(len(query) + len(date) + phLen + authLen)
	keep.Write(query)
	keep.Write(date)
	keep.Write(phHex[:phLen])
	prefix := keep.String()
	if query != nil {
		req.URL.RawQuery = prefix[:len(query)]
	}
	hdrs[0] = prefix[len(query) : len(query)+len(date)]
	if computed {
		ph = prefix[len(query)+len(date):]
		if !s.omitPayloadHeader {
			hdrs[1] = ph
		}
	}
	authStart := len(prefix)

	// The canonical request.
	b, signedStart, signedEnd := appendCanonicalRequest(sc.creq[:0], req.Method, send, s3, req.URL.RawQuery, sc.headers, ph)
	sc.creq = b
	creqSum := sha256.Sum256(b)

	// The string to sign: algorithm, date, scope, hash of the canonical request.
	st := append(date[:0], algorithm...) // reuses sc.sts: the date is in hdrs[0] by now
	st = append(st, '\n')
	st = append(st, hdrs[0]...)
	st = append(st, '\n')
	scopeStart := len(st)
	st = append(st, hdrs[0][:8]...)
	st = append(st, '/')
	st = append(st, region...)
	st = append(st, '/')
	st = append(st, service...)
	st = append(st, '/')
	st = append(st, scopeSuffix...)
	scopeEnd := len(st)
	st = append(st, '\n')
	st = hex.AppendEncode(st, creqSum[:])
	sc.sts = st

	var d [8]byte
	copy(d[:], hdrs[0][:8])
	key := s.keys.get(creds.SecretAccessKey, d, region, service)
	var sig [sha256.Size]byte
	sc.mac = hmacSHA256(key, st, &sig, sc.hash, sc.mac)

	// Authorization, in the same allocation.
	var sigHex [2 * sha256.Size]byte
	hex.Encode(sigHex[:], sig[:])
	keep.WriteString(algorithm)
	keep.WriteString(" Credential=")
	keep.WriteString(creds.AccessKeyID)
	keep.WriteByte('/')
	keep.Write(st[scopeStart:scopeEnd])
	keep.WriteString(", SignedHeaders=")
	keep.Write(b[signedStart:signedEnd])
	keep.WriteString(", Signature=")
	keep.Write(sigHex[:])
	hdrs[3] = keep.String()[authStart:]
	req.Header["Authorization"] = hdrs[3:4:4]

	if s.trace != nil {
		s.trace(s.makeTrace(b, st, scopeStart, scopeEnd, signedStart, signedEnd, creds))
	}
	return nil
}

type scope struct{ region, service string }

type formattedDate struct {
	unix int64
	text [16]byte
}

// amzDate appends t as X-Amz-Date, reusing the last second formatted.
func (s *Signer) amzDate(b []byte, t time.Time) []byte {
	u := t.Unix()
	if d := s.lastDate.Load(); d != nil && d.unix == u {
		return append(b, d.text[:]...)
	}
	start := len(b)
	b = appendAmzDate(b, t)
	if len(b)-start == 16 { // years 0-9999
		d := &formattedDate{unix: u}
		copy(d.text[:], b[start:])
		s.lastDate.Store(d)
	}
	return b
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

// signingHost returns the host to sign: the Host option, else req.Host, else
// the URL's host, without a default port.
func (s *Signer) signingHost(req *http.Request) (string, error) {
	host := s.host
	if host == "" {
		host = req.Host
	}
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return "", newError(ErrRequest, "the request has no host; use an absolute URL such as https://search-mydomain-abc.us-east-1.es.amazonaws.com/", nil)
	}
	if strings.IndexByte(host, ' ') >= 0 || strings.IndexByte(host, '\t') >= 0 || hasCRLF(host) {
		return "", newError(ErrRequest, "the request's host "+quote(host)+" holds white space", nil)
	}
	return stripDefaultPort(host, req.URL.Scheme), nil
}

// stripDefaultPort drops ":443" for https and ":80" for http.
func stripDefaultPort(host, scheme string) string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return host
	}
	port := host[i+1:]
	if (port == "443" && strings.EqualFold(scheme, "https")) || (port == "80" && strings.EqualFold(scheme, "http")) {
		return host[:i]
	}
	return host
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

func (s *Signer) makeTrace(creq, sts []byte, scopeStart, scopeEnd, signedStart, signedEnd int, creds aws.Credentials) Trace {
	cr := string(creq)
	if creds.SessionToken != "" {
		cr = redactToken(cr, creds.SessionToken)
	}
	t := Trace{
		CanonicalRequest: cr,
		StringToSign:     string(sts),
		CredentialScope:  string(sts[scopeStart:scopeEnd]),
		SignedHeaders:    string(creq[signedStart:signedEnd]),
		AccessKeyID:      redact.AccessKeyID(creds.AccessKeyID),
		Source:           creds.Source,
	}
	if creds.CanExpire {
		t.Expires = creds.Expires
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
