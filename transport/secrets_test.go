package transport_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
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
// hold credentials (after use), and every error and trace a request can
// produce, with every fmt verb, and checks that the sentinel secret, the
// sentinel token (also JSON-escaped) and the request's signature appear in
// none of them, nor in the 403 body the transport hands back.
func TestNoSecretAnywhere(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: "AKIDSWEEP0001", SecretAccessKey: sentinelSecret, SessionToken: sentinelToken, CanExpire: true, Expires: time.Now().Add(time.Hour)}
	static := credentials.NewStatic(creds.AccessKeyID, sentinelSecret, sentinelToken)
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
	handedBack, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(handedBack), "x-amz-security-token:<redacted>") {
		t.Fatalf("fixture broken: the verifier's message should echo the token, as AWS's does: %s", handedBack)
	}
	// AWS's body as it came, echoing the token, for Diagnose below.
	body := bytes.ReplaceAll(handedBack, []byte("<redacted>"), []byte(sentinelToken))
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
			_, err := credentials.NewChain(credentials.NewEnv(), credentials.NewContainer()).Retrieve(context.Background())
			return err
		},
		func() error {
			_, err := credentials.NewStatic("A", "", sentinelToken).Retrieve(context.Background())
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

	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDSWEEP0001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", sentinelSecret)
	t.Setenv("AWS_SESSION_TOKEN", sentinelToken)
	def := credentials.NewDefaultChain()
	def.Retrieve(context.Background()) // with the sentinels in the environment
	values := []any{s, static, cache, credentials.NewChain(credentials.NewStatic(creds.AccessKeyID, sentinelSecret, sentinelToken), credentials.NewEnv()),
		tr, handler, srvOpts, &srvOpts, diagnoses[0], *diagnoses[0], def, credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS(),
		transport.Options{Credentials: aws.NewCredentialsCache(static), Region: "us-east-1"}, string(handedBack)}
	for _, x := range traces {
		values = append(values, x)
	}
	for _, e := range errs {
		values = append(values, e)
	}
	for i, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%t", "%p", "%T", "%10.3v"} {
			if verb == "%p" && reflect.TypeOf(v).Kind() != reflect.Pointer {
				// fmt prints a non-pointer under %p as an error, and then
				// calls no Format or String method of it or its fields:
				// no type can guard a value struct there.
				continue
			}
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{sentinelSecret, sentinelToken, sig, hex.EncodeToString([]byte(sentinelSecret)), hex.EncodeToString([]byte(sentinelToken))} {
				if strings.Contains(strings.ToLower(out), strings.ToLower(secret)) {
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
