package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

const (
	sentinelSecret = "SENTINEL-SECRET-sweep-0123456789abcdef"
	sentinelToken  = "SENTINEL-TOKEN-sweep-0123456789abcdef"
)

// TestNoSecretAnywhere formats every exported type of the module that can
// hold credentials, and every error and trace a request can produce, with
// %v, %+v, %#v and %s, and checks that the sentinel secret, the sentinel
// token and the request's signature appear in none of them.
func TestNoSecretAnywhere(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDSWEEP0001", SecretAccessKey: sentinelSecret, SessionToken: sentinelToken, CanExpire: true, Expires: time.Now().Add(time.Hour)}
	static := credentials.Static(creds.AccessKeyID, sentinelSecret, sentinelToken)
	var logs bytes.Buffer
	cache := credentials.NewCache(static, func(o *credentials.CacheOptions) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	cache.Retrieve(context.Background())

	var traces []signer.Trace
	var diagnoses []*transport.Diagnosis
	s, _ := signer.New(func(o *signer.Options) { o.Trace = func(x signer.Trace) { traces = append(traces, x) } })
	s.Sign(httpReq(t, "GET", "https://h/"), creds, "us-east-1", "es", time.Now()) // fills the key cache

	srvOpts := sigv4test.Options{Credentials: []aws.Credentials{creds}, Region: "us-east-1"}
	handler, _ := sigv4test.NewHandler(func(o *sigv4test.Options) { *o = srvOpts })
	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "another-secret", SessionToken: sentinelToken}}
	})
	defer srv.Close()

	tr, _ := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", cache
		o.Trace = func(x signer.Trace) { traces = append(traces, x) }
		o.OnForbidden = func(d *transport.Diagnosis) { diagnoses = append(diagnoses, d) }
	})
	// A request that is rejected for a signature mismatch: AWS's message
	// echoes the token, and the diagnosis must not.
	res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/_search?q=x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), sentinelToken) {
		t.Fatal("fixture broken: the verifier's message should echo the token, as AWS's does")
	}
	sig := res.Request.Header.Get("Authorization")
	sig = sig[strings.Index(sig, "Signature=")+len("Signature="):]

	// Errors of every kind.
	var errs []error
	for _, fn := range []func() error{
		func() error { return s.Sign(nil, creds, "us-east-1", "es", time.Now()) },
		func() error { return s.Sign(httpReq(t, "GET", "https://h/"), creds, "bad/region", "es", time.Now()) },
		func() error {
			r := httpReq(t, "GET", "https://h/")
			r.Header.Set("X-Amz-Meta-A", "x\ny")
			return s.Sign(r, creds, "us-east-1", "es", time.Now())
		},
		func() error {
			_, err := credentials.NewChain(credentials.Env(), credentials.Container()).Retrieve(context.Background())
			return err
		},
		func() error {
			_, err := credentials.Static("A", "", sentinelToken).Retrieve(context.Background())
			return err
		},
		func() error {
			bad, _ := transport.New(func(o *transport.Options) {
				o.Region = "us-east-1"
				o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{}, errors.New("provider failed")
				})
			})
			_, err := bad.RoundTrip(httpReq(t, "GET", srv.URL))
			return err
		},
		func() error {
			return transport.Diagnose(&http.Response{StatusCode: 403, Body: io.NopCloser(bytes.NewReader(body)), Request: res.Request})
		},
	} {
		if err := fn(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 7 || len(diagnoses) != 1 || len(traces) < 2 {
		t.Fatalf("fixture: %d errors, %d diagnoses, %d traces", len(errs), len(diagnoses), len(traces))
	}

	values := []any{s, static, cache, credentials.NewDefaultChain(creds.AccessKeyID, sentinelSecret, sentinelToken),
		tr, handler, srvOpts, &srvOpts, diagnoses[0], *diagnoses[0]}
	for _, x := range traces {
		values = append(values, x)
	}
	for _, e := range errs {
		values = append(values, e)
	}
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{sentinelSecret, sentinelToken, sig} {
				if strings.Contains(out, secret) {
					t.Errorf("value %d (%T) with %s shows a secret: %.200s", i, v, verb, out)
				}
			}
		}
	}
	if strings.Contains(logs.String(), sentinelSecret) || strings.Contains(logs.String(), sentinelToken) {
		t.Errorf("log shows a secret: %s", logs.String())
	}
}

func httpReq(t *testing.T, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
