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
)

var causeNames = [...]string{"other", "signature mismatch", "invalid or expired security token", "clock skew", "access policy denial", "fine-grained access control denial"}

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

// Diagnose reads a 403 response and returns a [*Diagnosis] naming the cause
// and the fix; for any other status, or a nil response, it returns nil. The
// body is left for the caller to read: what Diagnose reads is put back. It
// reads at most 64 KiB, for at most two seconds; a body slower than that is
// diagnosed from what arrived. The response's Request, when it is the
// request this package signed (as http.Transport sets it), supplies the
// canonical request that was signed.
func Diagnose(res *http.Response) error {
	if res == nil || res.StatusCode != http.StatusForbidden {
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
	reCanonical = regexp.MustCompile(`(?s)The Canonical String for this request should have been\n'(.*?)'\n\nThe String-to-Sign should have been\n'(.*?)'`)
	reSkew      = regexp.MustCompile(`Signature (?:expired|not yet current): (\d{8}T\d{6}Z)`)
	rePolicy    = regexp.MustCompile(`User: (\S+) is not authorized to perform: (\S+)(?: on resource: (\S+))?`)
	reFGAC      = regexp.MustCompile(`no permissions for \[([^\]]*)\] and User \[name=([^,\]]*)(?:, backend_roles=\[([^\]]*)\])?`)
	reTokenLine = regexp.MustCompile(`(?m)^(x-amz-security-token:).*$`)
)

func diagnose(status int, h http.Header, body []byte, truncated bool, req *http.Request) *Diagnosis {
	d := &Diagnosis{StatusCode: status}
	var token string
	if req != nil {
		token = req.Header.Get("X-Amz-Security-Token")
	}
	if truncated && token != "" {
		// The cut may fall inside an echoed token, whose start would then
		// escape redaction: drop what could be part of one.
		body = body[:max(0, len(body)-2*len(token))]
	}
	msg := messageOf(body)
	msg = redactToken(msg, token)
	d.Message = msg
	errType := h.Get("X-Amzn-Errortype")
	lower := strings.ToLower(msg)

	switch {
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
	case rePolicy.MatchString(msg):
		d.Cause = CauseAccessPolicy
		m := rePolicy.FindStringSubmatch(msg)
		d.Principal, d.Action, d.Resource = m[1], m[2], m[3]
		if d.Principal == "anonymous" {
			d.Fix = "the request reached the domain unsigned: make sure it goes through the signing transport (and that no proxy strips the Authorization header)."
		} else {
			d.Fix = "allow " + d.Action + " for " + roleARN(d.Principal) + " in the domain's access policy (\"Principal\": {\"AWS\": \"" + roleARN(d.Principal) + "\"}) or in that principal's IAM policy; an explicit deny in either wins."
		}
	case strings.Contains(msg, "security_exception") || strings.Contains(msg, "no permissions for ["):
		d.Cause = CauseFineGrainedAccess
		if m := reFGAC.FindStringSubmatch(msg); m != nil {
			d.Action, d.User = m[1], strings.TrimSpace(m[2])
			for _, r := range strings.Split(m[3], ",") {
				if r = strings.TrimSpace(r); r != "" {
					d.BackendRoles = append(d.BackendRoles, r)
				}
			}
		}
		principal := d.User
		if len(d.BackendRoles) > 0 {
			principal = d.BackendRoles[0]
		}
		if principal != "" {
			d.RoleMappingRequest = "PATCH _plugins/_security/api/rolesmapping/ROLE\n" +
				`[{"op": "add", "path": "/backend_roles/-", "value": "` + roleARN(principal) + `"}]`
		}
		d.Fix = "fine-grained access control maps " + orUnknown(principal) + " to no role that allows " + orUnknown(d.Action) +
			". As the master user, map it as a backend role of a role that does (ROLE below; PATCH adds to the mapping instead of replacing it):\n" + d.RoleMappingRequest
	default:
		d.Cause = CauseOther
		if msg == "" {
			d.Fix = "the response had no message; check the domain's access policy and that the request reached the domain you meant."
		}
	}
	return d
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
	if d.AWSCanonicalRequest != d.SignedCanonicalRequest {
		return "a signed header differs: something changed it in flight (a proxy rewriting Host or Content-Type?); sign for the host AWS sees with the SigningHost option."
	}
	return "AWS computed the same canonical request, so the key is wrong: the secret access key does not match the access key id, or the region or service in the credential scope is not the domain's."
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
