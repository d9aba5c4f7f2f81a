package transport

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
)

// Cause is why AWS or OpenSearch refused a request with 403.
type Cause int

// The causes of a 403 that [Diagnose] tells apart.
const (
	// CauseOther: a 403 whose message matches none of the causes below.
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
)

var causeNames = [...]string{"other", "signature mismatch", "invalid or expired security token", "clock skew", "access policy denial",
	"fine-grained access control denial", "credential scope", "not a SigV4 signature", "OpenSearch Serverless denial", "cluster block", "not authenticated"}

// String names the cause.
func (c Cause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return "cause(" + strconv.Itoa(int(c)) + ")"
}

// Diagnosis explains a 403: the cause, the evidence and the fix. It is an
// error; use errors.As to read it. It never contains a secret key, a
// session token or a signature.
type Diagnosis struct {
	// Cause is why the request was refused.
	Cause Cause
	// StatusCode is the response's status (403).
	StatusCode int
	// Message is the message as AWS or OpenSearch sent it, with any
	// session token redacted; empty when the body had none.
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
}

// Error explains the cause, the evidence and the fix, over several lines.
func (d *Diagnosis) Error() string {
	var b strings.Builder
	b.WriteString("sigv4/transport: ")
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

// Bounds on reading a 403 body for its diagnosis: AWS's refusals are a few
// hundred bytes, sent at once.
const (
	// maxDiagnosisBody bounds how much of a 403 body is read.
	maxDiagnosisBody = 64 << 10
	// diagnosisTimeout bounds how long the diagnosis waits for those
	// bytes: a body that trickles must not hold the call.
	diagnosisTimeout = 2 * time.Second
)

// Diagnose reads a refused response (403, or the 401 of fine-grained access
// control) and returns a [*Diagnosis] naming the cause and the fix; for any
// other status, or a nil response, it returns nil. The
// body is left for the caller to read: what Diagnose reads is put back. It
// reads at most 64 KiB, for at most two seconds; a body slower than that is
// diagnosed from what arrived. The response's Request, when it is the
// request this package signed (as http.Transport sets it), supplies the
// canonical request that was signed.
func Diagnose(res *http.Response) error {
	if res == nil || (res.StatusCode != http.StatusForbidden && res.StatusCode != http.StatusUnauthorized) {
		return nil
	}
	var body []byte
	truncated := false
	if res.Body != nil {
		p := prefetch(res.Body, maxDiagnosisBody, diagnosisTimeout)
		body, truncated = p.prefix()
		res.Body = p
	}
	return diagnose(res.StatusCode, res.Header, body, truncated, res.Request)
}

// prefetched is a body whose first bytes are read ahead, by a goroutine,
// for a diagnosis that waits for them only so long. Reading it gives the
// whole body, from its first byte.
type prefetched struct {
	body io.ReadCloser
	done chan struct{} // closed when the read ahead ends

	mu  sync.Mutex
	buf []byte
	err error // the read ahead's error, io.EOF included

	pos int // how much of buf the reader has had
}

// prefetch starts reading up to limit bytes of body ahead and waits for
// them at most wait.
func prefetch(body io.ReadCloser, limit int, wait time.Duration) *prefetched {
	p := &prefetched{body: body, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		chunk := make([]byte, 4096)
		for n := 0; n < limit; {
			m, err := body.Read(chunk[:min(len(chunk), limit-n)])
			n += m
			p.mu.Lock()
			p.buf = append(p.buf, chunk[:m]...)
			p.err = err
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
	return p
}

// prefix returns what was read ahead so far, and whether it is not the
// whole body (cut at the limit, or still arriving).
func (p *prefetched) prefix() ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.buf...), p.err == nil
}

// Read gives the bytes read ahead (waiting for the read ahead to end),
// then the rest of the body.
func (p *prefetched) Read(b []byte) (int, error) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pos < len(p.buf) {
		n := copy(b, p.buf[p.pos:])
		p.pos += n
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.body.Read(b)
}

// Close closes the body, which also ends a read ahead still waiting.
func (p *prefetched) Close() error { return p.body.Close() }

var (
	reCanonical    = regexp.MustCompile(`(?s)The Canonical String for this request should have been\n'(.*?)'\n\nThe String-to-Sign should have been\n'(.*?)'`)
	reSkew         = regexp.MustCompile(`Signature (?:expired|not yet current): (\d{8}T\d{6}Z)`)
	rePolicy       = regexp.MustCompile(`User: (\S+) is not authorized to perform: (\S+?)(?: on resource: (\S+))?(?: because|$|\s)`)
	reBlock        = regexp.MustCompile(`blocked by: \[([^\]]+)\]`)
	reEchoAuthz    = regexp.MustCompile(`(?s)(Authorization=|in Authorization header: ').*`)
	reEchoPair     = regexp.MustCompile(`^'[^']*'( not a valid key=value pair)`)
	reScopeService = regexp.MustCompile(`scoped to correct service: '([a-z0-9-]+)'`)
	reFGAC         = regexp.MustCompile(`no permissions for \[([^\]]*)\] and User \[name=([^,\]]*)(?:, backend_roles=\[([^\]]*)\])?`)
	reTokenLine    = regexp.MustCompile(`(?m)^(x-amz-security-token:).*$`)
)

func diagnose(status int, h http.Header, body []byte, truncated bool, req *http.Request) *Diagnosis {
	d := &Diagnosis{StatusCode: status}
	var token, method string
	if req != nil {
		token, method = req.Header.Get("X-Amz-Security-Token"), req.Method
		d.SignedRegion, d.SignedService = signedScope(req.Header.Get("Authorization"))
	}
	if truncated && token != "" {
		// The cut may fall inside an echoed token, whose start would then
		// escape redaction: drop what could be part of one.
		body = body[:max(0, len(body)-2*len(token))]
	}
	msg := redactToken(messageOf(body), token)
	errType := h.Get("X-Amzn-Errortype")
	lower := strings.ToLower(msg)
	aoss := d.SignedService == "aoss"
	if strings.Contains(msg, "Authorization header requires") || strings.Contains(msg, "in Authorization header: '") {
		// AWS echoes the Authorization header it got: a password or a token.
		msg = reEchoAuthz.ReplaceAllString(msg, "${1}<redacted>")
		msg = reEchoPair.ReplaceAllString(msg, "'<redacted>'${1}")
	}
	d.Message = msg

	switch {
	case status == http.StatusUnauthorized:
		d.Cause = CauseUnauthorized
		d.Fix = "fine-grained access control did not accept the caller: an IAM principal must be mapped to an OpenSearch role (a role ARN under backend_roles, an IAM user ARN under users) or be the master user, and an internal user's name and password must be right. " +
			"See who OpenSearch takes you for with GET _plugins/_security/authinfo (sigv4 whoami), and map it as the master user."
	case strings.Contains(lower, "signature we calculated does not match"):
		d.Cause = CauseSignatureMismatch
		if m := reCanonical.FindStringSubmatch(msg); m != nil {
			d.AWSCanonicalRequest, d.AWSStringToSign = m[1], m[2]
		}
		if req != nil {
			d.SignedCanonicalRequest, d.SignedStringToSign, _ = signer.Canonical(req)
		}
		d.Fix = mismatchFix(d)
	case strings.Contains(lower, "security token included in the request is") || strings.HasPrefix(errType, "ExpiredToken") || strings.HasPrefix(errType, "UnrecognizedClient"):
		d.Cause = CauseInvalidToken
		d.Expired = strings.Contains(lower, "expired") || strings.HasPrefix(errType, "ExpiredToken")
		d.Fix = "the session token (or the access key it belongs to) is not accepted: refresh the credentials, and check that the token is sent with the key it was issued with. The transport invalidates its cache and retries once by itself when the body can be replayed."
	case strings.Contains(msg, "Signature expired") || strings.Contains(msg, "Signature not yet current"):
		d.Cause = CauseClockSkew
		if m := reSkew.FindStringSubmatch(msg); m != nil {
			d.SigningTime, _ = time.Parse("20060102T150405Z", m[1])
		} else if req != nil {
			d.SigningTime, _ = time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
		}
		d.ServerTime, _ = http.ParseTime(h.Get("Date"))
		d.Fix = "this machine's clock differs from AWS's by more than 5 minutes"
		if !d.ServerTime.IsZero() && !d.SigningTime.IsZero() {
			d.Fix += " (AWS: " + d.ServerTime.UTC().Format(time.RFC3339) + ", signed at: " + d.SigningTime.UTC().Format(time.RFC3339) +
				", off by " + d.SigningTime.Sub(d.ServerTime).Round(time.Second).String() + ")"
		}
		d.Fix += ": synchronise it (chrony, systemd-timesyncd). The transport learns the offset from the response's Date header and retries once."
	case strings.Contains(msg, "Credential should be scoped to"):
		d.Cause = CauseCredentialScope
		d.Fix = scopeFix(d, req, msg)
	case strings.Contains(msg, "Authorization header requires") || strings.Contains(msg, "in Authorization header: '"):
		d.Cause = CauseNotSigV4
		d.Fix = "an Authorization header that is not a SigV4 signature (basic auth, a bearer or Cognito token) reached AWS, which reads every Authorization header as SigV4. " +
			"Remove the username and password (or the token) from the client and send its requests through the signing transport (or sigv4 proxy); a proxy in between must not add an Authorization header of its own."
	case strings.Contains(msg, "cluster_block_exception") || reBlock.MatchString(msg):
		d.Cause = CauseClusterBlock
		if m := reBlock.FindStringSubmatch(msg); m != nil {
			d.Block = m[1]
		}
		d.Fix = blockFix(d.Block)
	case aoss && !rePolicy.MatchString(msg):
		d.Cause = CauseServerless
		d.Hint = h.Get("X-Aoss-Response-Hint")
		d.Fix = serverlessFix(d, req)
	case rePolicy.MatchString(msg):
		d.Cause = CauseAccessPolicy
		m := rePolicy.FindStringSubmatch(msg)
		d.Principal, d.Action, d.Resource = m[1], m[2], m[3]
		switch {
		case d.Principal == "anonymous":
			d.Fix = "the request reached the domain unsigned, or signed for a domain whose access policy could not place the principal: make sure it goes through the signing transport (and that no proxy strips the Authorization header). " +
				"If the access policy grants by IP address (aws:SourceIp), it is what refused this request: the address AWS saw is not in it (for a VPC domain that is the client's private address, for a public domain its public or NAT address), and an IP-based policy applies only to unsigned requests."
		case aoss:
			d.Fix = "allow " + d.Action + " for " + roleARN(d.Principal) + " in its IAM policy (OpenSearch Serverless needs aoss:APIAccessAll, or aoss:DashboardsAccessAll for Dashboards), and name it in a data access policy of the collection."
		default:
			d.Fix = "allow " + d.Action + " for " + roleARN(d.Principal) + " in the domain's access policy (\"Principal\": {\"AWS\": \"" + roleARN(d.Principal) + "\"}) or in that principal's IAM policy; an explicit deny in either wins."
		}
	case strings.Contains(msg, "No permission to access REST API"):
		d.Cause = CauseFineGrainedAccess
		d.Fix = "the security REST API (_plugins/_security/api) answers only the master user and roles allowed to manage security: call it as the master user, or, as the master user, map the caller to all_access or security_manager first."
	case strings.Contains(msg, "security_exception") || strings.Contains(msg, "no permissions for ["):
		d.Cause = CauseFineGrainedAccess
		fgacFix(d, msg)
	case method == http.MethodHead && msg == "":
		d.Cause = causeFromType(errType)
		d.Fix = "AWS sends no body with its answer to a HEAD request, so the reason is not known" + typeSays(errType) + ": send the same request as a GET to see it (sigv4 -v shows the diagnosis)."
	default:
		d.Cause = CauseOther
		switch {
		case msg == "" && errType != "":
			d.Fix = "the response had no message, only the error type " + errType + ": check the domain's access policy and that the request reached the domain you meant."
		case msg == "":
			d.Fix = "the response had no message; check the domain's access policy and that the request reached the domain you meant."
		default:
			d.Fix = "no known cause matches this message: check the domain's access policy (or the collection's data access policy), the IAM policy of the principal that signed, and, with fine-grained access control, its role mapping (sigv4 whoami)."
		}
	}
	return d
}

// signedScope reads the region and service of a SigV4 Authorization
// header ("AWS4-HMAC-SHA256 Credential=AKID/date/region/service/...").
func signedScope(authz string) (region, service string) {
	_, cred, ok := strings.Cut(authz, "Credential=")
	if !ok {
		return "", ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

// scopeFix names the region and service signed and what the host name
// says of them. The transport adds where each came from.
func scopeFix(d *Diagnosis, req *http.Request, msg string) string {
	fix := "the request was signed for region " + orUnknown(d.SignedRegion) + " and service " + orUnknown(d.SignedService)
	if m := reScopeService.FindStringSubmatch(msg); m != nil && m[1] != d.SignedService {
		return fix + ", but AWS expects service " + m[1] + ": set the Service option (sigv4 --service) to " + m[1] +
			` ("es" for a managed domain, "aoss" for a Serverless collection), or leave it unset for an AWS host name, which decides.`
	}
	if req != nil {
		host := req.Host
		if host == "" && req.URL != nil {
			host = req.URL.Host
		}
		if ep, ok := credentials.ParseEndpoint(host); ok {
			fix += ", but the host name " + host + " names region " + ep.Region + " and service " + ep.Service +
				": sign for those (leave the Region and Service options unset, and the host name decides)"
			return fix + "."
		}
	}
	return fix + ", which AWS does not accept for this endpoint: set the Region option (sigv4 --region) to the domain's region, and the Service option to \"es\" for a managed domain or \"aoss\" for a Serverless collection."
}

// blockFix explains an index or cluster block.
func blockFix(block string) string {
	fix := "OpenSearch refused the write because of an index or cluster block"
	if block != "" {
		fix += " (" + block + ")"
	}
	fix += ", not because of credentials: no credential, policy or role mapping change fixes it. "
	switch {
	case strings.Contains(block, "FORBIDDEN/12/"):
		fix += "This block is set when a data node runs out of free storage (the flood-stage watermark): check FreeStorageSpace in CloudWatch, free space (delete old indices) or add storage, then clear it: PUT INDEX/_settings {\"index.blocks.read_only_allow_delete\": null}."
	case strings.Contains(block, "FORBIDDEN/8/"):
		fix += "Amazon OpenSearch Service blocks writes when free storage runs low or JVM memory pressure stays high: check FreeStorageSpace and JVMMemoryPressure in CloudWatch and add storage or capacity; the block lifts once they recover (or clear index.blocks.write once it is safe)."
	default:
		fix += "Check the cluster's free storage and JVM memory pressure in CloudWatch, and the index's blocks (GET INDEX/_settings); clear the block once its cause is gone."
	}
	return fix
}

// serverlessFix explains an OpenSearch Serverless refusal.
func serverlessFix(d *Diagnosis, req *http.Request) string {
	fix := "OpenSearch Serverless refused the request"
	if d.Hint != "" {
		fix += " (hint " + d.Hint + ")"
	}
	if req != nil && !signedHeader(req.Header.Get("Authorization"), "x-amz-content-sha256") {
		return fix + ": x-amz-content-sha256 was not signed, and Serverless requires it signed; sign with this transport (service \"aoss\"), which always signs it."
	}
	return fix + ". Serverless has no role mapping and no fine-grained access control; it allows a principal that (1) a data access policy of the collection names, with the permission for this request (aoss:ReadDocument, aoss:WriteDocument, aoss:CreateIndex, ...), " +
		"and (2) whose IAM policy allows aoss:APIAccessAll (aoss:DashboardsAccessAll for Dashboards). Check both for the role that signed, and that a network policy lets this client reach the collection."
}

// signedHeader reports whether an Authorization header signs name.
func signedHeader(authz, name string) bool {
	_, rest, ok := strings.Cut(authz, "SignedHeaders=")
	if !ok {
		return false
	}
	list, _, _ := strings.Cut(rest, ",")
	for _, n := range strings.Split(list, ";") {
		if n == name {
			return true
		}
	}
	return false
}

// fgacFix explains a fine-grained access control denial and builds the
// role-mapping request: an IAM role goes under backend_roles, an IAM user
// or an internal user under users.
func fgacFix(d *Diagnosis, msg string) {
	if m := reFGAC.FindStringSubmatch(msg); m != nil {
		d.Action, d.User = m[1], strings.TrimSpace(m[2])
		for _, r := range strings.Split(m[3], ",") {
			if r = strings.TrimSpace(r); r != "" {
				d.BackendRoles = append(d.BackendRoles, r)
			}
		}
	}
	principal, field := d.User, "users"
	for _, r := range d.BackendRoles {
		if strings.Contains(r, ":role/") || strings.Contains(r, ":assumed-role/") {
			principal, field = r, "backend_roles"
			break
		}
	}
	if field == "users" && (strings.Contains(principal, ":role/") || strings.Contains(principal, ":assumed-role/")) {
		field = "backend_roles"
	}
	if field == "backend_roles" {
		principal = roleARN(principal)
	}
	if principal != "" {
		d.RoleMappingRequest = "PATCH _plugins/_security/api/rolesmapping/ROLE\n" +
			`[{"op": "add", "path": "/` + field + `/-", "value": "` + principal + `"}]`
	}
	what := "as a backend role of a role that does"
	if field == "users" {
		what = "as a user of a role that does"
	}
	d.Fix = "fine-grained access control maps " + orUnknown(principal) + " to no role that allows " + orUnknown(d.Action) +
		". As the master user, map it " + what + " (ROLE below; PATCH adds to the mapping instead of replacing it):\n" + d.RoleMappingRequest
}

// causeFromType maps AWS's X-Amzn-Errortype, all a HEAD refusal carries.
func causeFromType(errType string) Cause {
	switch {
	case strings.HasPrefix(errType, "UnrecognizedClient"), strings.HasPrefix(errType, "ExpiredToken"), strings.HasPrefix(errType, "InvalidClientTokenId"):
		return CauseInvalidToken
	case strings.HasPrefix(errType, "AccessDenied"):
		return CauseAccessPolicy
	}
	return CauseOther
}

func typeSays(errType string) string {
	if errType == "" {
		return ""
	}
	return " beyond its error type, " + errType
}

// messageOf finds the message in a 403 body: AWS's {"message"} or
// {"Message"}, OpenSearch's {"error":{"reason"}}, or the text itself.
func messageOf(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v struct {
		Message  string          `json:"message"`
		Message2 string          `json:"Message"`
		Error    json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		switch {
		case v.Message != "":
			return v.Message
		case v.Message2 != "":
			return v.Message2
		case len(v.Error) > 0:
			var e struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			}
			if json.Unmarshal(v.Error, &e) == nil && e.Reason != "" {
				return e.Type + ": " + e.Reason
			}
			var s string
			if json.Unmarshal(v.Error, &s) == nil {
				return s
			}
		}
	}
	return string(body) // not JSON, or truncated: the text as it came
}

// redactToken removes a session token from a message: its value wherever it
// appears, and any x-amz-security-token line of a canonical request.
func redactToken(msg, token string) string {
	if token != "" {
		msg = strings.ReplaceAll(msg, token, "<redacted>")
		msg = strings.ReplaceAll(msg, jsonEscaped(token), "<redacted>")
	}
	return reTokenLine.ReplaceAllString(msg, "${1}<redacted>")
}

// jsonEscaped is token as a JSON encoder that escapes '/' writes it.
func jsonEscaped(token string) string { return strings.ReplaceAll(token, "/", `\/`) }

func mismatchFix(d *Diagnosis) string {
	a, o := strings.Split(d.AWSCanonicalRequest, "\n"), strings.Split(d.SignedCanonicalRequest, "\n")
	if d.AWSCanonicalRequest == "" || d.SignedCanonicalRequest == "" {
		return "the request was changed after it was signed, or signed with the wrong secret key, region or service."
	}
	if len(a) > 1 && len(o) > 1 && a[1] != o[1] {
		return "the path differs: something between this transport and AWS (a proxy, or a client adding a path prefix) rewrote it after signing."
	}
	if len(a) > 2 && len(o) > 2 && a[2] != o[2] {
		return "the query differs: something re-encoded it after signing."
	}
	if h1, h2 := headerLine(a, "host:"), headerLine(o, "host:"); h1 != "" && h2 != "" && h1 != h2 {
		return "the host differs: this request was signed for " + h2 + " but AWS saw " + h1 + " (a tunnel, a port forward or a proxy in between?): sign for the host AWS sees with the SigningHost option (sigv4 --signing-host " + h1 + ")."
	}
	if d.AWSCanonicalRequest != d.SignedCanonicalRequest {
		return "a signed header differs: something changed it in flight (a proxy rewriting Content-Type or an x-amz-* header?)."
	}
	return "AWS computed the same canonical request, so the key is wrong: the secret access key does not match the access key id, or the region or service in the credential scope is not the domain's."
}

// headerLine returns the value of the canonical header line that starts
// with prefix.
func headerLine(lines []string, prefix string) string {
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	return ""
}

// roleARN turns an assumed-role session ARN
// (arn:aws:sts::123456789012:assumed-role/Role/session) into the IAM role
// ARN that policies and role mappings name (arn:aws:iam::123456789012:role/Role).
func roleARN(principal string) string {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) == 6 && parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/") {
		role := strings.Split(strings.TrimPrefix(parts[5], "assumed-role/"), "/")[0]
		return parts[0] + ":" + parts[1] + ":iam::" + parts[4] + ":role/" + role
	}
	return principal
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
