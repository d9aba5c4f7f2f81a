package transport_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Fixtures: 403 bodies in the formats AWS and OpenSearch return, as shown
// in their documentation and public issues.
const (
	fixtureMismatch     = `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'GET\n/idx/_doc/a%252Fb\n\nhost:search-d.us-east-1.es.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20261122T061500Z\nx-amz-security-token:SENTINEL-TOKEN-in-aws-message\n\nhost;x-amz-content-sha256;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261122T061500Z\n20261122/us-east-1/es/aws4_request\n0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'\n"}`
	fixtureInvalidToken = `{"message":"The security token included in the request is invalid."}`
	fixtureExpiredToken = `{"message":"The security token included in the request is expired"}`
	fixtureSkewExpired  = `{"message":"Signature expired: 20261122T060000Z is now earlier than 20261122T061000Z (20261122T061500Z - 5 min.)"}`
	fixtureSkewFuture   = `{"message":"Signature not yet current: 20261122T063000Z is still later than 20261122T062000Z (20261122T061500Z + 5 min.)"}`
	fixturePolicy       = `{"Message":"User: arn:aws:sts::123456789012:assumed-role/IngestRole/i-0abc123 is not authorized to perform: es:ESHttpPost on resource: arn:aws:es:us-east-1:123456789012:domain/logs/_bulk because no identity-based policy allows the es:ESHttpPost action"}`
	fixtureAnonymous    = `{"Message":"User: anonymous is not authorized to perform: es:ESHttpGet"}`
	fixtureFGAC         = `{"error":{"root_cause":[{"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:role/SearchRole, backend_roles=[arn:aws:iam::123456789012:role/SearchRole], requestedTenant=null]"}],"type":"security_exception","reason":"no permissions for [indices:data/read/search] and User [name=arn:aws:iam::123456789012:role/SearchRole, backend_roles=[arn:aws:iam::123456789012:role/SearchRole], requestedTenant=null]"},"status":403}`
	fixtureAOSS         = `{"status":403,"request-id":"3c9d1f0e-1b2a-4c5d-8e7f-000000000000","error":{"reason":"403 Forbidden","type":"Forbidden"}}`
)

func response(status int, body string, hdr http.Header, req *http.Request) *http.Response {
	if hdr == nil {
		hdr = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: hdr, Body: io.NopCloser(strings.NewReader(body)), Request: req}
}

// signedRequest is a request as the transport sends it.
func signedRequest(t *testing.T) *http.Request {
	t.Helper()
	base := &captureBase{}
	tr, _ := transport.New(func(o *transport.Options) {
		o.Base, o.Region = base, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "SENTINEL-TOKEN-in-request")
	})
	req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/idx/_doc/a%2Fb", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	return base.got
}

func TestDiagnose(t *testing.T) {
	req := signedRequest(t)
	cases := []struct {
		name  string
		body  string
		hdr   http.Header
		cause transport.Cause
		check func(t *testing.T, d *transport.Diagnosis)
		says  []string
	}{
		{"signature mismatch", fixtureMismatch, http.Header{"X-Amzn-Errortype": {"InvalidSignatureException"}}, transport.CauseSignatureMismatch,
			func(t *testing.T, d *transport.Diagnosis) {
				if !strings.HasPrefix(d.AWSCanonicalRequest, "GET\n/idx/_doc/a%252Fb\n") || !strings.HasPrefix(d.SignedCanonicalRequest, "GET\n/idx/_doc/a%252Fb\n") {
					t.Errorf("canonical requests: %q / %q", d.AWSCanonicalRequest, d.SignedCanonicalRequest)
				}
				if !strings.Contains(d.AWSStringToSign, "20261122/us-east-1/es/aws4_request") || d.SignedStringToSign == "" {
					t.Errorf("strings to sign: %q / %q", d.AWSStringToSign, d.SignedStringToSign)
				}
			},
			[]string{"(signature mismatch): The request signature we calculated does not match", "- AWS expected, + this request signed", "  - x-amz-date:20261122T061500Z", "    GET", "x-amz-security-token:<redacted>", "fix:"}},
		{"invalid token", fixtureInvalidToken, http.Header{"X-Amzn-Errortype": {"UnrecognizedClientException"}}, transport.CauseInvalidToken,
			func(t *testing.T, d *transport.Diagnosis) {
				if d.Expired {
					t.Error("not expired")
				}
			}, []string{"invalid or expired security token", "refresh the credentials"}},
		{"expired token", fixtureExpiredToken, http.Header{"X-Amzn-Errortype": {"ExpiredTokenException"}}, transport.CauseInvalidToken,
			func(t *testing.T, d *transport.Diagnosis) {
				if !d.Expired {
					t.Error("expired not noticed")
				}
			}, []string{"is expired"}},
		{"clock behind", fixtureSkewExpired, http.Header{"Date": {"Sun, 22 Nov 2026 06:15:00 GMT"}}, transport.CauseClockSkew,
			func(t *testing.T, d *transport.Diagnosis) {
				if d.ServerTime.Format("150405") != "061500" || d.SigningTime.Format("150405") != "060000" {
					t.Errorf("times %v %v", d.ServerTime, d.SigningTime)
				}
			}, []string{"clock skew", "AWS: 2026-11-22T06:15:00Z, signed at: 2026-11-22T06:00:00Z, off by -15m0s", "synchronise"}},
		{"clock ahead", fixtureSkewFuture, http.Header{"Date": {"Sun, 22 Nov 2026 06:15:00 GMT"}}, transport.CauseClockSkew,
			nil, []string{"off by 15m0s"}},
		{"access policy", fixturePolicy, nil, transport.CauseAccessPolicy,
			func(t *testing.T, d *transport.Diagnosis) {
				if d.Principal != "arn:aws:sts::123456789012:assumed-role/IngestRole/i-0abc123" || d.Action != "es:ESHttpPost" || d.Resource != "arn:aws:es:us-east-1:123456789012:domain/logs/_bulk" {
					t.Errorf("%q %q %q", d.Principal, d.Action, d.Resource)
				}
			}, []string{"allow es:ESHttpPost for arn:aws:iam::123456789012:role/IngestRole"}},
		{"anonymous", fixtureAnonymous, nil, transport.CauseAccessPolicy,
			func(t *testing.T, d *transport.Diagnosis) {
				if d.Principal != "anonymous" || d.Action != "es:ESHttpGet" {
					t.Errorf("%q %q", d.Principal, d.Action)
				}
			}, []string{"reached the domain unsigned"}},
		{"fine-grained access control", fixtureFGAC, nil, transport.CauseFineGrainedAccess,
			func(t *testing.T, d *transport.Diagnosis) {
				if d.Action != "indices:data/read/search" || d.User != "arn:aws:iam::123456789012:role/SearchRole" || len(d.BackendRoles) != 1 {
					t.Errorf("%q %q %q", d.Action, d.User, d.BackendRoles)
				}
			}, []string{"PATCH _plugins/_security/api/rolesmapping/ROLE", `"value": "arn:aws:iam::123456789012:role/SearchRole"`, "allows indices:data/read/search"}},
		{"other (aoss)", fixtureAOSS, nil, transport.CauseOther, nil, []string{"403 (other): Forbidden: 403 Forbidden"}},
		{"truncated JSON", fixtureFGAC[:120], nil, transport.CauseFineGrainedAccess, nil, []string{"fine-grained access control denial"}},
		{"truncated mismatch", fixtureMismatch[:200], nil, transport.CauseSignatureMismatch, nil, []string{"signature mismatch", "wrong secret key, region or service"}},
		{"not JSON", "<html><body>403 Forbidden</body></html>", nil, transport.CauseOther, nil, []string{"<html>"}},
		{"empty", "", nil, transport.CauseOther, nil, []string{"the response had no message"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := response(403, c.body, c.hdr, req)
			err := transport.Diagnose(res)
			var d *transport.Diagnosis
			if !errors.As(err, &d) || d.Cause != c.cause || d.StatusCode != 403 {
				t.Fatalf("Diagnose = %v, want cause %v", err, c.cause)
			}
			if c.check != nil {
				c.check(t, d)
			}
			for _, s := range c.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("diagnosis does not say %q:\n%s", s, err)
				}
			}
			if strings.Contains(err.Error(), "SENTINEL-TOKEN") || strings.Contains(d.AWSCanonicalRequest+d.SignedCanonicalRequest+d.Message, "SENTINEL-TOKEN") {
				t.Errorf("diagnosis shows a session token:\n%s", err)
			}
			if rest, _ := io.ReadAll(res.Body); string(rest) != c.body {
				t.Errorf("body after Diagnose = %q, want it intact", rest)
			}
		})
	}
}

// TestDiagnoseOnlyRefusals: a response that is not a refusal gets no
// diagnosis, whatever its body says; a 400 only when AWS's words make it
// one (STS answers an expired token with 400).
func TestDiagnoseOnlyRefusals(t *testing.T) {
	if err := transport.Diagnose(nil); err != nil {
		t.Errorf("nil response: %v", err)
	}
	for _, status := range []int{200, 302, 404, 409, 500, 503} {
		if err := transport.Diagnose(response(status, fixtureInvalidToken, nil, nil)); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
	}
	mapping := `{"error":{"root_cause":[{"type":"mapper_parsing_exception","reason":"failed to parse field [user] of type [keyword] in document with id '1'. Preview of field's value: 'request throttled: kms key: is not authorized to perform'"}],"type":"mapper_parsing_exception","reason":"failed to parse field [user] of type [keyword] in document with id '1'. Preview of field's value: 'request throttled: kms key: is not authorized to perform'"},"status":400}`
	if err := transport.Diagnose(response(400, mapping, nil, nil)); err != nil {
		t.Errorf("a 400 that is not a refusal: %v", err)
	}
	var d *transport.Diagnosis
	if err := transport.Diagnose(response(400, fixtureExpiredToken, nil, nil)); !errors.As(err, &d) || d.Cause != transport.CauseInvalidToken || d.StatusCode != 400 {
		t.Errorf("a 400 for an expired token: %v", err)
	}
}

func TestDiagnoseLargeBodyKeptWhole(t *testing.T) {
	body := fixtureAnonymous + strings.Repeat(" ", 200<<10)
	res := response(403, body, nil, nil)
	transport.Diagnose(res)
	if rest, _ := io.ReadAll(res.Body); len(rest) != len(body) {
		t.Errorf("read back %d bytes of %d", len(rest), len(body))
	}
}
