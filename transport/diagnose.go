package transport

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/authheader"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Diagnose reads a refused response and returns a [*Diagnosis] naming the
// cause and the fix. It explains every 401 and 403, and a 400, 413 or 429
// whose body or headers are AWS's or OpenSearch's refusal (a permission on
// a KMS key, an expired token, the payload limit, throttling, indexing
// backpressure); for any other response, or a nil one, it returns nil. The
// body is left for the caller to read: what Diagnose reads is put back. It
// reads at most 64 KiB, for at most two seconds; a body slower than that is
// diagnosed from what arrived. The response's Request, when it is the
// request this package signed (as http.Transport sets it), supplies the
// canonical request that was signed, the region and service signed for,
// and the credentials that no part of the diagnosis may show.
func Diagnose(res *http.Response) error {
	if res == nil || !refusalStatus(res.StatusCode) {
		return nil
	}
	var body []byte
	truncated := false
	if res.Body != nil {
		p := prefetch(res.Body, maxDiagnosisBody, diagnosisTimeout)
		body, truncated = p.prefix()
		res.Body = p
	}
	if d := diagnose(res.StatusCode, res.Header, body, truncated, res.Request); d != nil {
		return d
	}
	return nil
}

// refusalStatus reports whether a response with this status may be a
// refusal that [Diagnose] explains.
func refusalStatus(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
		return true
	}
	return false
}

// refusal is what the rules read of a refused response.
type refusal struct {
	status int
	header http.Header
	// msg is the message (messageOf), with echoed credentials redacted;
	// lower is msg in lower case, for matching.
	msg, lower string
	// code is the error's type or code: X-Amzn-Errortype, else AWS's
	// __type or <Code>, else OpenSearch's error.type.
	code string
	// service is the service the request was signed for, else the one its
	// host name or the response's headers name ("es", "aoss", "osis", "sts").
	service string
	// req is the refused request, as sent; nil when unknown. method and
	// path are its method and path ("" when unknown).
	req          *http.Request
	method, path string
	// authz is what the request's Authorization header reads as (see
	// authheader.Parse): empty when there was none.
	authz authheader.Authorization
}

// diagnose classifies a refusal by the first rule of [rules] that matches
// it, or returns nil when none does.
func diagnose(status int, h http.Header, body []byte, truncated bool, req *http.Request) *Diagnosis {
	if h == nil {
		h = http.Header{}
	}
	d := &Diagnosis{StatusCode: status}
	r := &refusal{status: status, header: h, req: req}
	var secrets []string
	if req != nil {
		r.method = req.Method
		if req.URL != nil {
			r.path = req.URL.Path
		}
		r.authz, _ = authheader.Parse(req.Header.Get("Authorization")) // what it holds, malformed or not
		d.SignedRegion, d.SignedService = r.authz.Region, r.authz.Service
		secrets = requestSecrets(req)
	}
	if truncated {
		// The cut may fall inside an echoed secret, whose start would then
		// escape redaction: drop what could be part of one.
		longest := 0
		for _, s := range secrets {
			for _, sp := range redact.Spellings(s) {
				longest = max(longest, len(sp))
			}
		}
		body = body[:max(0, len(body)-longest)]
	}
	msg, code := messageOf(body)
	var echoed []string
	r.msg, echoed = redactMessage(msg, secrets)
	if len(echoed) > 0 {
		d.echoed = func() []string { return echoed }
	}
	r.lower = strings.ToLower(r.msg)
	r.code = h.Get("X-Amzn-Errortype")
	if r.code == "" {
		r.code = code
	}
	r.service = serviceOf(d.SignedService, req, h, r.lower)
	d.Message = r.msg
	for i := range rules {
		if rules[i].matches(r) {
			if rules[i].fix == nil {
				return nil
			}
			d.Cause = rules[i].cause
			rules[i].fix(r, d)
			return d
		}
	}
	return nil
}

// serviceOf names the service a refusal came from: the one signed for,
// else the one the host name or the response names.
func serviceOf(signed string, req *http.Request, h http.Header, lower string) string {
	if signed != "" {
		return signed
	}
	if req != nil {
		host := requestHost(req)
		if ep, ok := credentials.ParseEndpoint(host); ok {
			return ep.Service
		}
		if h, _, _ := strings.Cut(strings.ToLower(host), ":"); strings.HasSuffix(h, ".osis.amazonaws.com") {
			return "osis"
		}
	}
	switch {
	case h.Get("X-Aoss-Response-Hint") != "":
		return "aoss"
	case strings.Contains(lower, "sts:assumerole"):
		return "sts"
	}
	return ""
}

// requestHost is the host a request was sent to: its Host, else its URL's.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	if req.URL != nil {
		return req.URL.Host
	}
	return ""
}

var (
	reXMLMessage = regexp.MustCompile(`(?s)<Message>(.*?)</Message>`)
	reXMLCode    = regexp.MustCompile(`(?s)<Code>(.*?)</Code>`)
)

// messageOf finds the message and the error's type or code in a refused
// body: AWS's {"message"} or {"Message"} (and its "__type"), OpenSearch's
// {"error":{"type","reason"}}, an XML <Error> (STS), or the text itself.
func messageOf(body []byte) (msg, code string) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", ""
	}
	var v struct {
		Message  string          `json:"message"`
		Message2 string          `json:"Message"`
		Type     string          `json:"__type"`
		Error    json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		switch {
		case v.Message != "":
			return v.Message, v.Type
		case v.Message2 != "":
			return v.Message2, v.Type
		case len(v.Error) > 0:
			var e struct {
				Type    string `json:"type"`
				Reason  string `json:"reason"`
				Code    string `json:"Code"`
				Message string `json:"Message"`
			}
			if json.Unmarshal(v.Error, &e) == nil {
				switch {
				case e.Reason != "":
					return e.Type + ": " + e.Reason, e.Type
				case e.Message != "": // STS's JSON: {"Error":{"Code","Message"}}
					return e.Message, e.Code
				}
			}
			var s string
			if json.Unmarshal(v.Error, &s) == nil {
				return s, v.Type
			}
		}
	}
	if body[0] == '<' {
		if m := reXMLMessage.FindSubmatch(body); m != nil {
			code := ""
			if c := reXMLCode.FindSubmatch(body); c != nil {
				code = html.UnescapeString(string(c[1]))
			}
			return html.UnescapeString(string(m[1])), code
		}
	}
	return string(body), "" // not JSON, or truncated: the text as it came
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
