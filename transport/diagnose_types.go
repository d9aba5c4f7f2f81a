package transport

import (
	"strconv"
	"strings"
	"time"
)

// Cause is why AWS or OpenSearch refused a request: with 403 or 401 for
// credentials and permissions, 429 for the rate of requests, 413 for their
// size, or 400 for a permission on the key that encrypts the data.
type Cause int

// The causes of a refusal that [Diagnose] tells apart. Their values never
// change: a new cause is added at the end.
const (
	// CauseOther: a 401 or 403 whose message matches none of the causes
	// below.
	CauseOther Cause = iota
	// CauseSignatureMismatch: AWS computed another signature. The request
	// was changed after signing, or signed with the wrong key, region or
	// service.
	CauseSignatureMismatch
	// CauseInvalidToken: the session token is invalid or expired, or the
	// access key is unknown.
	CauseInvalidToken
	// CauseClockSkew: the signing time is more than five minutes from
	// AWS's clock.
	CauseClockSkew
	// CauseAccessPolicy: the domain's access policy or an IAM policy does
	// not allow the principal the action.
	CauseAccessPolicy
	// CauseFineGrainedAccess: OpenSearch's fine-grained access control
	// maps the principal to no role that allows the action.
	CauseFineGrainedAccess
	// CauseCredentialScope: the signature's region or service is not the
	// endpoint's ("Credential should be scoped to a valid region").
	CauseCredentialScope
	// CauseNotSigV4: an Authorization header that is not a SigV4 signature
	// (basic auth, a bearer or Cognito token) reached AWS.
	CauseNotSigV4
	// CauseServerless: OpenSearch Serverless refused a request signed for
	// "aoss": a data access policy, the IAM policy's aoss:APIAccessAll, or
	// the payload hash header.
	CauseServerless
	// CauseClusterBlock: OpenSearch refused a write because of an index or
	// cluster block (low storage, high JVM memory pressure), which no
	// credential or policy change fixes.
	CauseClusterBlock
	// CauseUnauthorized: fine-grained access control answered 401: the
	// principal is mapped to no OpenSearch user or role, or an internal
	// user's password is wrong.
	CauseUnauthorized
	// CauseThrottled: AWS or OpenSearch limits the rate of requests (429
	// Too Many Requests, or a 403 "Request throttled"): back off and retry.
	CauseThrottled
	// CauseBackpressure: OpenSearch refused a write because a thread pool's
	// queue, shard indexing pressure or a circuit breaker is full (429
	// rejected_execution_exception): the cluster cannot keep up.
	CauseBackpressure
	// CauseTooLarge: the request is larger than the endpoint accepts (413:
	// the instance type's payload limit, or http.max_content_length).
	CauseTooLarge
	// CauseUnsupported: Amazon OpenSearch Service does not offer the API to
	// its clients (401 "Your request: '/_cluster/state' is not allowed.").
	CauseUnsupported
	// CauseKMSKey: the principal may not use the KMS key that encrypts the
	// domain, collection or pipeline (kms:DescribeKey, kms:Decrypt).
	CauseKMSKey
)

var causeNames = [...]string{"other", "signature mismatch", "invalid or expired security token", "clock skew", "access policy denial",
	"fine-grained access control denial", "credential scope", "not a SigV4 signature", "OpenSearch Serverless denial", "cluster block", "not authenticated",
	"request throttling", "indexing backpressure", "request too large", "unsupported operation", "KMS key permission denial"}

// String names the cause.
func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "cause(" + strconv.Itoa(int(c)) + ")"
}

// Diagnosis explains a refusal: the cause, the evidence and the fix. It is
// an error; use errors.As to read it. It never contains a secret key, a
// session token, a signature or a credential the response echoes.
type Diagnosis struct {
	// Cause is why the request was refused.
	Cause Cause
	// StatusCode is the response's status (400, 401, 403, 413 or 429).
	StatusCode int
	// Message is the message as AWS or OpenSearch sent it, with any
	// echoed credential (session token, access key id, Authorization
	// header) redacted; empty when the body had none.
	Message string
	// Fix says what to do.
	Fix string

	// AWSCanonicalRequest and AWSStringToSign, for CauseSignatureMismatch,
	// are what AWS says it computed, with the session token redacted.
	AWSCanonicalRequest, AWSStringToSign string
	// SignedCanonicalRequest and SignedStringToSign, for
	// CauseSignatureMismatch, are what this transport signed, reconstructed
	// from the request as sent, with the session token redacted.
	SignedCanonicalRequest, SignedStringToSign string

	// Expired, for CauseInvalidToken, reports whether AWS said the token
	// expired.
	Expired bool

	// ServerTime and SigningTime, for CauseClockSkew, are AWS's time (from
	// the response's Date header; zero when absent) and the time the request
	// was signed with.
	ServerTime, SigningTime time.Time

	// Principal, Action and Resource, for CauseAccessPolicy, are the
	// principal ("anonymous" for an unsigned request), the action
	// (es:ESHttpGet) and the resource, when given. For
	// CauseFineGrainedAccess, Action is the OpenSearch action
	// (indices:data/read/search).
	Principal, Action, Resource string

	// User, for CauseFineGrainedAccess, is the user name OpenSearch saw.
	User string
	// BackendRoles, for CauseFineGrainedAccess, are the backend roles
	// OpenSearch saw.
	BackendRoles []string
	// RoleMappingRequest, for CauseFineGrainedAccess, maps the IAM role to
	// an OpenSearch role (ROLE, to be chosen) without replacing the mapping.
	RoleMappingRequest string

	// SignedRegion and SignedService are the region and service of the
	// refused request's signature, read from its Authorization header;
	// empty when it carried none.
	SignedRegion, SignedService string
	// Hint, for CauseServerless, is the x-aoss-response-hint header.
	Hint string
	// Block, for CauseClusterBlock, is the block OpenSearch names, as in
	// "FORBIDDEN/12/index read-only / allow delete (api)".
	Block string

	// echoed holds the credentials the body echoes that the diagnosis
	// redacted (the request's access key id and signature, an
	// Authorization header that reached AWS): the transport redacts them
	// from the body it hands back too. It is a func so that no fmt verb can
	// print them: fmt shows a func as its address, whatever the verb, and
	// cannot reach what it holds (a pointer or a slice field it prints).
	echoed func() []string
}

// echoedSecrets returns the credentials the refused body echoes (the
// request's own, an Authorization header that reached AWS, an access key
// id); nil for a nil diagnosis.
func (d *Diagnosis) echoedSecrets() []string {
	if d == nil || d.echoed == nil {
		return nil
	}
	return d.echoed()
}

// Error explains the cause, the evidence and the fix, over several lines:
// "sigv4/transport: " and Explanation.
func (d *Diagnosis) Error() string { return "sigv4/transport: " + d.Explanation() }

// Explanation is Error without the package's prefix, for a program that
// shows the diagnosis under its own name: the status and cause, AWS's
// message (credentials it echoed redacted), for a signature mismatch the
// canonical request and string to sign AWS expected beside the ones
// signed, and the fix.
func (d *Diagnosis) Explanation() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(d.StatusCode))
	b.WriteString(" (")
	b.WriteString(d.Cause.String())
	b.WriteString(")")
	if d.Message != "" {
		b.WriteString(": ")
		msg := d.Message
		if d.Cause == CauseSignatureMismatch {
			msg, _, _ = strings.Cut(msg, "\n")
		}
		b.WriteString(msg)
	}
	if d.Cause == CauseSignatureMismatch && d.AWSCanonicalRequest != "" {
		b.WriteString("\n\ncanonical request, line by line (- AWS expected, + this request signed):\n")
		writeDiff(&b, d.AWSCanonicalRequest, d.SignedCanonicalRequest)
		if d.AWSStringToSign != "" {
			b.WriteString("\nstring to sign:\n")
			writeDiff(&b, d.AWSStringToSign, d.SignedStringToSign)
		}
	}
	if d.Fix != "" {
		b.WriteString("\nfix: ")
		b.WriteString(d.Fix)
	}
	return b.String()
}

// writeDiff writes two texts line by line, marking lines that differ.
func writeDiff(b *strings.Builder, aws, ours string) {
	a, o := strings.Split(aws, "\n"), strings.Split(ours, "\n")
	for i := 0; i < len(a) || i < len(o); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(o) {
			y = o[i]
		}
		if x == y && i < len(a) && i < len(o) {
			b.WriteString("    " + x + "\n")
			continue
		}
		if i < len(a) {
			b.WriteString("  - " + x + "\n")
		}
		if i < len(o) {
			b.WriteString("  + " + y + "\n")
		}
	}
}
