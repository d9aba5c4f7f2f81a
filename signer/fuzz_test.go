package signer_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// FuzzSignMatchesSDK signs requests with fuzzed paths, queries and header
// values. Each must either sign, agreeing with aws-sdk-go-v2 on the same
// canonical inputs, or fail with the documented error; and signing the
// request again as it will be sent must give the same signature.
func FuzzSignMatchesSDK(f *testing.F) {
	f.Add("my-index/_doc/a%2Fb", "q=title:東京&size=10", "value", "es")
	f.Add("a/./b/../c//d/", "v&format=json&a+b=c%20d", "  a \t b  ", "aoss")
	f.Add("%E6%97%A5%E6%9C%AC/*+:x", "k=%zz&semi;colon=1&=v&&", "\v\u00a0x", "s3")
	f.Add("..", "%", "", "execute-api")
	f.Fuzz(func(t *testing.T, path, query, value, service string) {
		if !validService(service) {
			return
		}
		u, err := url.Parse("https://search-fuzz-abc.us-east-1.es.amazonaws.com/" + path)
		if err != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return // not a path; url.Parse decides what a client could send
		}
		u.RawQuery = query
		req := &http.Request{Method: http.MethodPost, URL: u, Host: u.Host, Header: http.Header{}}
		req.Header.Set("X-Amz-Meta-Fuzz", value)
		creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
		at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

		var trace signer.Trace
		s, err := signer.New(func(o *signer.Options) { o.Trace = func(tr signer.Trace) { trace = tr } })
		if err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(value, "\r\n") {
			err := s.Sign(req, creds, "us-east-1", service, at)
			if !errors.Is(err, signer.ErrHeader) {
				t.Fatalf("header value with CR/LF: err = %v, want ErrHeader", err)
			}
			return
		}
		signed := compareWithSDK(t, s, &trace, req, creds, "us-east-1", service, at)

		again := signed.Clone(context.Background())
		if err := s.Sign(again, creds, "us-east-1", service, at); err != nil {
			t.Fatalf("re-signing the signed request: %v", err)
		}
		if a, b := signed.Header.Get("Authorization"), again.Header.Get("Authorization"); a != b {
			t.Fatalf("the wire form is not a fixed point: %s then %s (URL %s then %s)", a, b, signed.URL, again.URL)
		}
	})
}

func validService(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
