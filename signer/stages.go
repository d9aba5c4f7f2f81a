package signer

import (
	"crypto/sha256"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"sync"
)

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
