// Package sigv4test provides an HTTP endpoint that verifies AWS Signature
// Version 4 the way the Amazon OpenSearch Service front end does, for tests
// of code that signs requests.
//
// It accepts a request only when it is signed with one of the credentials it
// was given, for its region and service, within five minutes of its clock,
// with the session token if and only if the key has one, and with an
// X-Amz-Content-Sha256 (when sent; always, and signed, for "aoss") equal to
// the hash of the body received. It rebuilds the canonical request from what arrived on
// the wire, normalising the path and double-encoding it for every service
// but s3, as AWS does. A mismatch is answered as AWS answers it: 403 with
// {"message": "The request signature we calculated does not match ... The
// Canonical String for this request should have been ..."}. Accepted
// requests go to the handler given.
//
//	srv, err := sigv4test.NewServer(func(o *sigv4test.Options) {
//		o.Credentials = []aws.Credentials{{AccessKeyID: "AKID", SecretAccessKey: "secret"}}
//		o.Region, o.Service = "us-east-1", "es"
//		o.Handler = myFakeOpenSearch
//	})
//	defer srv.Close()
//
// The canonicalisation here is written independently of package signer, so
// that a mistake in one is not mirrored by the other.
package sigv4test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/authheader"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// ClockWindow is how far a request's X-Amz-Date may be from the endpoint's
// clock, either way, as on AWS.
const ClockWindow = 5 * time.Minute

// Options configure a verifying endpoint.
type Options struct {
	// Credentials are the keys the endpoint accepts. A key with a session
	// token must be used with exactly that token; a key without one must be
	// used without a token. At least one is required.
	Credentials []aws.Credentials
	// Region the credential scope must name; empty means "us-east-1".
	Region string
	// Service the credential scope must name; empty means "es".
	Service string
	// Handler serves the requests that pass; their body can be read again.
	// Nil answers 200 with {}.
	Handler http.Handler
	// Clock is the endpoint's time; nil means time.Now.
	Clock func() time.Time
}

// Handler verifies signatures and passes accepted requests on. It is safe
// for concurrent use. Create one with [NewHandler].
type Handler struct {
	keys     map[string]aws.Credentials
	region   string
	service  string
	next     http.Handler
	clock    func() time.Time
	accepted atomic.Int64
	rejected atomic.Int64
}

// NewHandler returns a verifying handler.
func NewHandler(optFns ...func(*Options)) (*Handler, error) {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	if len(o.Credentials) == 0 {
		return nil, errors.New("sigv4test: no credentials given; set Options.Credentials to the keys the endpoint accepts")
	}
	h := &Handler{keys: make(map[string]aws.Credentials), region: o.Region, service: o.Service, next: o.Handler, clock: o.Clock}
	for _, c := range o.Credentials {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errors.New("sigv4test: a credential has an empty access key id or secret access key")
		}
		h.keys[c.AccessKeyID] = c
	}
	if h.region == "" {
		h.region = "us-east-1"
	}
	if h.service == "" {
		h.service = "es"
	}
	if h.next == nil {
		h.next = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("{}"))
		})
	}
	if h.clock == nil {
		h.clock = time.Now
	}
	return h, nil
}

// NewServer starts an httptest.Server with a verifying handler. Close it
// when done.
func NewServer(optFns ...func(*Options)) (*httptest.Server, error) {
	h, err := NewHandler(optFns...)
	if err != nil {
		return nil, err
	}
	return httptest.NewServer(h), nil
}

// Accepted returns how many requests passed verification.
func (h *Handler) Accepted() int64 { return h.accepted.Load() }

// Rejected returns how many requests were rejected.
func (h *Handler) Rejected() int64 { return h.rejected.Load() }

// rejection is an answer in AWS's format.
type rejection struct {
	status  int
	errType string
	message string
}

// ServeHTTP verifies r and passes it to the handler, or rejects it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		h.reject(w, rejection{http.StatusBadRequest, "SerializationException", "cannot read the request body: " + err.Error()})
		return
	}
	if rej := h.verify(r, body); rej != nil {
		h.reject(w, *rej)
		return
	}
	h.accepted.Add(1)
	r.Body = io.NopCloser(bytes.NewReader(body))
	h.next.ServeHTTP(w, r)
}

func (h *Handler) reject(w http.ResponseWriter, rej rejection) {
	h.rejected.Add(1)
	b, _ := json.Marshal(map[string]string{"message": rej.message})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", rej.errType)
	w.WriteHeader(rej.status)
	w.Write(b)
}

const amzDate = "20060102T150405Z"

func (h *Handler) verify(r *http.Request, body []byte) *rejection {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 {
		return &rejection{http.StatusForbidden, "AccessDeniedException",
			"User: anonymous is not authorized to perform: " + h.service + ":ESHttp" + methodAction(r.Method) +
				" on resource: arn:aws:" + h.service + ":" + h.region + ":123456789012:domain/sigv4test" + pathOnly(r.RequestURI)}
	}
	if len(authz) > 1 {
		return &rejection{http.StatusBadRequest, "IncompleteSignatureException", "Only one Authorization header is allowed."}
	}
	a, rej := parseAuthorization(authz[0])
	if rej != nil {
		return rej
	}
	key, ok := h.keys[a.AccessKeyID]
	if !ok || r.Header.Get("X-Amz-Security-Token") != key.SessionToken {
		return &rejection{http.StatusForbidden, "UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	date := r.Header.Get("X-Amz-Date")
	if rej := h.checkDate(date, a.Date, authz[0]); rej != nil {
		return rej
	}
	if rej := h.checkScope(a); rej != nil {
		return rej
	}
	payloadHash, rej := h.payloadHash(r, a, body)
	if rej != nil {
		return rej
	}
	return h.checkSignature(r, a, key.SecretAccessKey, date, payloadHash)
}

// checkDate refuses an X-Amz-Date that is missing, not ISO 8601 basic
// format, of another day than the credential scope's, or further than
// ClockWindow from the handler's clock.
func (h *Handler) checkDate(date, scopeDate, authz string) *rejection {
	if date == "" {
		return &rejection{http.StatusForbidden, "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + redact.Signature(authz)}
	}
	t, err := time.Parse(amzDate, date)
	if err != nil {
		return &rejection{http.StatusForbidden, "IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. Got '" + date + "'. See http://en.wikipedia.org/wiki/ISO_8601"}
	}
	if scopeDate != date[:8] {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + scopeDate + "' != '" + date[:8] + "', from '" + date + "'."}
	}
	now := h.clock().UTC()
	if t.Before(now.Add(-ClockWindow)) {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "Signature expired: " + date + " is now earlier than " +
			now.Add(-ClockWindow).Format(amzDate) + " (" + now.Format(amzDate) + " - 5 min.)"}
	}
	if t.After(now.Add(ClockWindow)) {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "Signature not yet current: " + date + " is still later than " +
			now.Add(ClockWindow).Format(amzDate) + " (" + now.Format(amzDate) + " + 5 min.)"}
	}
	return nil
}

// checkScope refuses a credential scope of another region or service, and
// a signature that does not sign host.
func (h *Handler) checkScope(a authheader.Authorization) *rejection {
	if a.Region != h.region {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to a valid region. "}
	}
	if a.Service != h.service {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "Credential should be scoped to correct service: '" + h.service + "'. "}
	}
	if !a.Signs("host") {
		return &rejection{http.StatusForbidden, "InvalidSignatureException", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."}
	}
	return nil
}

// payloadHash returns the payload hash the signature must cover: the
// X-Amz-Content-Sha256 header's (which must match the body, or be
// UNSIGNED-PAYLOAD), else the body's; for aoss the header is required,
// and signed.
func (h *Handler) payloadHash(r *http.Request, a authheader.Authorization, body []byte) (string, *rejection) {
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	switch {
	case payloadHash != "" && h.service == "aoss" && !a.Signs("x-amz-content-sha256"):
		// OpenSearch Serverless's words for it.
		return "", &rejection{http.StatusBadRequest, "ValidationException", "x-amz-content-sha256 header must be signed in SigV4"}
	case payloadHash == "" && h.service == "aoss":
		return "", &rejection{http.StatusForbidden, "InvalidSignatureException", "Missing required header x-amz-content-sha256: OpenSearch Serverless requires it, signed."}
	case payloadHash == "":
		return bodyHash, nil
	case payloadHash != bodyHash && payloadHash != "UNSIGNED-PAYLOAD":
		return "", &rejection{http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return payloadHash, nil
}

// checkSignature computes the signature from the request as received and
// refuses one that differs, with the canonical request and string to sign
// it expected, as AWS does.
func (h *Handler) checkSignature(r *http.Request, a authheader.Authorization, secret, date, payloadHash string) *rejection {
	creq := canonicalRequest(r, a.Headers(), payloadHash, h.service == "s3")
	scope := a.Scope() // parseAuthorization refused any other terminator
	creqSum := sha256.Sum256([]byte(creq))
	sts := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(creqSum[:])
	k := hmacSHA256([]byte("AWS4"+secret), a.Date)
	k = hmacSHA256(k, a.Region)
	k = hmacSHA256(k, a.Service)
	k = hmacSHA256(k, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(k, sts))
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return &rejection{http.StatusForbidden, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
				"The Canonical String for this request should have been\n'" + creq + "'\n\n" +
				"The String-to-Sign should have been\n'" + sts + "'\n"}
	}
	return nil
}

// parseAuthorization reads an Authorization value, or refuses it in AWS's
// words.
func parseAuthorization(v string) (authheader.Authorization, *rejection) {
	a, err := authheader.Parse(v)
	var e *authheader.Error
	if !errors.As(err, &e) {
		return a, nil
	}
	switch e.Problem {
	case authheader.MissingParameter:
		var words []string
		for _, m := range e.Missing {
			words = append(words, "Authorization header requires '"+m+"' parameter.")
		}
		return a, &rejection{http.StatusForbidden, "IncompleteSignatureException", strings.Join(words, " ") + " Authorization=" + redact.Signature(v)}
	case authheader.BadScope:
		return a, &rejection{http.StatusForbidden, "IncompleteSignatureException", "Credential should be scoped to a valid region, not '" + e.Scope + "'. "}
	}
	return a, &rejection{http.StatusForbidden, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=" + redact.Signature(v)}
}

// canonicalRequest rebuilds the canonical request from what arrived.
func canonicalRequest(r *http.Request, signed []string, payloadHash string, s3 bool) string {
	target := r.RequestURI
	if i := strings.Index(target, "://"); i >= 0 { // absolute-form
		target = target[i+3:]
		if j := strings.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = "/"
		}
	}
	path, query, _ := strings.Cut(target, "?")
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	if s3 {
		b.WriteString(s3URI(path))
	} else {
		b.WriteString(escape(normalize(path), true))
	}
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(query))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		if name == "host" {
			b.WriteString(trimAll(r.Host))
		} else {
			vals := r.Header.Values(name)
			for i, v := range vals {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(trimAll(v))
			}
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// normalize removes dot segments and empty segments, keeping a trailing
// slash, as AWS does for every service but S3.
func normalize(p string) string {
	var out []string
	segs := strings.Split(p, "/")
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	res := "/" + strings.Join(out, "/")
	last := segs[len(segs)-1]
	if len(out) > 0 && (last == "" || last == "." || last == "..") {
		res += "/"
	}
	return res
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// escape percent-encodes every byte but unreserved ones (and '/', when
// keepSlash), with upper-case hex.
func escape(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}

// unescape percent-decodes s; a '%' without two hex digits stands for
// itself; with plus, '+' is a space.
func unescape(s string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			if v, err := hex.DecodeString(s[i+1 : i+3]); err == nil {
				b.WriteByte(v[0])
				i += 2
				continue
			}
		}
		if c == '+' && plus {
			c = ' '
		}
		b.WriteByte(c)
	}
	return b.String()
}

func s3URI(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = escape(unescape(s, false), false)
	}
	return strings.Join(segs, "/")
}

func canonicalQuery(q string) string {
	type pair struct{ k, v string }
	var pairs []pair
	for _, p := range strings.Split(q, "&") {
		if p == "" {
			continue
		}
		k, v, _ := strings.Cut(p, "=")
		pairs = append(pairs, pair{escape(unescape(k, true), false), escape(unescape(v, true), false)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// trimAll trims a header value and collapses runs of spaces and tabs.
func trimAll(v string) string {
	return strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// methodAction names the es:ESHttp* action for a method.
func methodAction(m string) string {
	if m == "" {
		return "Get"
	}
	return m[:1] + strings.ToLower(m[1:])
}

// pathOnly is a request target without its query, as AWS names the
// resource in an access-policy refusal.
func pathOnly(target string) string {
	p, _, _ := strings.Cut(target, "?")
	return p
}

// String describes the handler without the keys it accepts.
func (h *Handler) String() string {
	return "sigv4test.Handler(" + h.region + "/" + h.service + ", " + strconv.Itoa(len(h.keys)) + " keys)"
}

// String describes the options without the keys' secrets.
func (o Options) String() string {
	ids := make([]string, len(o.Credentials))
	for i, c := range o.Credentials {
		ids[i] = c.AccessKeyID
	}
	return "sigv4test.Options(" + o.Region + "/" + o.Service + ", keys " + strings.Join(ids, ",") + ")"
}

// Format writes String for every verb, so that no verb prints the fields.
func (h *Handler) Format(f fmt.State, verb rune) { redact.Format(f, verb, h.String()) }

// Format writes String for every verb, so that no verb prints the fields.
func (o Options) Format(f fmt.State, verb rune) { redact.Format(f, verb, o.String()) }
