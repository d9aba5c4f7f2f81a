package signer_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// sdkSign signs req with aws-sdk-go-v2's v4.Signer and returns its canonical
// request (read from the SDK's own signing log) and Authorization header.
func sdkSign(t testing.TB, req *http.Request, creds aws.Credentials, payloadHash, service, region string, at time.Time) (creq, authz string) {
	t.Helper()
	s := sdkv4.NewSigner(func(o *sdkv4.SignerOptions) {
		o.LogSigning = true
		o.DisableURIPathEscaping = service == "s3"
		o.Logger = logging.LoggerFunc(func(_ logging.Classification, format string, v ...interface{}) {
			msg := fmt.Sprintf(format, v...)
			const start = "---[ CANONICAL STRING  ]-----------------------------\n"
			const end = "\n---[ STRING TO SIGN ]"
			if i := strings.Index(msg, start); i >= 0 {
				rest := msg[i+len(start):]
				if j := strings.Index(rest, end); j >= 0 {
					creq = rest[:j]
				}
			}
		})
	})
	if err := s.SignHTTP(context.Background(), creds, req, payloadHash, service, region, at); err != nil {
		t.Fatalf("SDK SignHTTP: %v", err)
	}
	if creq == "" {
		t.Fatal("the SDK logged no canonical string")
	}
	return creq, req.Header.Get("Authorization")
}

// sdkInputs returns a request that gives the SDK the same canonical inputs
// as ours: the request as our signer rewrote it (normalised path, canonical
// query, host without default port), carrying only the headers we signed,
// each value as our rules read it (trimmed, runs of spaces and tabs
// collapsed), and no ContentLength (the SDK signs content-length, which we
// never do).
func sdkInputs(signed *http.Request) *http.Request {
	r := signed.Clone(context.Background())
	r.Body, r.GetBody, r.ContentLength = nil, nil, 0
	names := map[string]bool{}
	authz := r.Header.Get("Authorization")
	if _, rest, ok := strings.Cut(authz, "SignedHeaders="); ok {
		list, _, _ := strings.Cut(rest, ",")
		for _, n := range strings.Split(list, ";") {
			names[n] = true
		}
	}
	for k, vs := range r.Header {
		if !names[strings.ToLower(k)] {
			delete(r.Header, k)
			continue
		}
		for i, v := range vs {
			vs[i] = collapseSpaceTab(v)
		}
	}
	return r
}

// collapseSpaceTab is our header value rule, written independently of the
// signer: trim spaces and tabs, collapse runs of them to one space.
func collapseSpaceTab(v string) string {
	var b strings.Builder
	pending := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' || c == '\t' {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// sdkTrimmed is our canonical request as the SDK would write it where the
// one deliberate difference in value handling applies: the SDK also trims
// Unicode white space other than space and tab (\v, \f, U+0085, U+00A0) at
// the ends of header values, which HTTP does not count as white space.
func sdkTrimmed(creq string) string {
	lines := strings.Split(creq, "\n")
	for i := 3; i < len(lines) && lines[i] != ""; i++ {
		if k, v, ok := strings.Cut(lines[i], ":"); ok {
			lines[i] = k + ":" + strings.TrimSpace(v)
		}
	}
	return strings.Join(lines, "\n")
}

// compareWithSDK signs req with our signer and, on the same canonical
// inputs, with the SDK, and fails the test unless the canonical requests
// and signatures agree. It returns our signed request.
func compareWithSDK(t testing.TB, s *signer.Signer, trace *signer.Trace, req *http.Request, creds aws.Credentials, region, service string, at time.Time) *http.Request {
	t.Helper()
	if err := s.Sign(req, creds, region, service, at); err != nil {
		t.Fatalf("Sign: %v", err)
	}
	ours := trace.CanonicalRequest
	if creds.SessionToken != "" {
		ours = strings.ReplaceAll(ours, "<redacted>", creds.SessionToken)
	}
	in := sdkInputs(req)
	ph := req.Header.Get("X-Amz-Content-Sha256")
	theirs, authz := sdkSign(t, in, creds, ph, service, region, at)
	switch {
	case theirs == ours:
		if authz != req.Header.Get("Authorization") {
			t.Fatalf("same canonical request, different Authorization:\n ours: %s\nsdk's: %s", req.Header.Get("Authorization"), authz)
		}
	case theirs == sdkTrimmed(ours):
		// The stated difference: Unicode white space at the ends of a value.
	default:
		t.Fatalf("canonical requests differ on the same inputs (%s %s):\n--- ours\n%s\n--- sdk\n%s", req.Method, req.URL, ours, theirs)
	}
	return req
}
