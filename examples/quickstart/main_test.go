package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), args, &out); err != nil {
		t.Fatalf("run %v: %v\n%s", args, err, out.String())
	}
	s := out.String()
	for _, secret := range []string{demo.SecretAccessKey, demo.SessionToken, "Signature="} {
		if strings.Contains(s, secret) {
			t.Errorf("output shows a secret (%s):\n%s", secret, s)
		}
	}
	return s
}

func wantAll(t *testing.T, out string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

var steps = []string{
	"1. cluster info", "GET /\n", "signed for ap-northeast-1/es with credentials from StaticCredentials (key ****************0001) -> 200 OK",
	"2. create index sigv4-quickstart-", "3. bulk-index 4 documents", "POST /_bulk?refresh=true", "indexed 4 documents, errors: false",
	`4. search for "東京"`, "hit: 東京物語 (小津安二郎, 1953)", "hit: 東京オリンピック (市川崑, 1965)",
	"5. the same search signed with a wrong secret", "-> 403 Forbidden", "403 (signature mismatch)",
	"- AWS expected, + this request signed", "x-amz-security-token:<redacted>", "fix: AWS computed the same canonical request, so the key is wrong",
	"6. delete index", "-> 200 OK",
}

func TestQuickstartOffline(t *testing.T) {
	out := runOK(t)
	wantAll(t, out, append(steps, "mode: offline", "in-memory stand-in for OpenSearch (not OpenSearch itself)",
		"the endpoint accepted 5 signed requests and rejected 1 (the wrong secret).")...)
	if strings.Count(out, "hit: ") != 2 {
		t.Errorf("want exactly 2 hits:\n%s", out)
	}
}

// TestQuickstartUpstream: the verifying endpoint in front of an OpenSearch
// (here a stand-in playing the real one) forwards what it accepts.
func TestQuickstartUpstream(t *testing.T) {
	up := standin.New()
	srv := httptest.NewServer(up)
	defer srv.Close()
	out := runOK(t, "-upstream", srv.URL)
	wantAll(t, out, append(steps, "mode: local development", "forwards accepted requests to "+srv.URL)...)
}

// TestQuickstartEndpoint: -endpoint uses the default credential chain (here
// the environment, as on Lambda) against a domain (here the local verifying
// endpoint, since the test cannot reach AWS).
func TestQuickstartEndpoint(t *testing.T) {
	e, err := demo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", demo.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", demo.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", demo.SessionToken)
	out := runOK(t, "-endpoint", e.URL, "-region", demo.Region)
	wantAll(t, out, "mode: a real domain, with the default credential chain", "with credentials from EnvConfigCredentials", "4. search", "403 (signature mismatch)")
	if e.Verifier.Accepted() != 5 || e.Verifier.Rejected() != 1 {
		t.Errorf("accepted %d, rejected %d", e.Verifier.Accepted(), e.Verifier.Rejected())
	}
}

func TestQuickstartBadFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-upstream", "x", "-endpoint", "y"}, &out); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("err = %v", err)
	}
	if err := run(context.Background(), []string{"-upstream", "not a url"}, &out); err == nil || !strings.Contains(err.Error(), "http(s) URL") {
		t.Errorf("err = %v", err)
	}
	if err := run(context.Background(), []string{"-endpoint", "http://localhost:1"}, &out); err == nil || !strings.Contains(err.Error(), "the Region option is not set") {
		t.Errorf("err = %v", err)
	}
	// Nothing listening at -upstream: said so, with what to do, before any
	// request (it ended in a bare 502 and the standard library's log).
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	if err := run(context.Background(), []string{"-upstream", closed}, &out); err == nil || !strings.Contains(err.Error(), "nothing answers at "+closed) || !strings.Contains(err.Error(), "leave -upstream out") {
		t.Errorf("err = %v", err)
	}
	// -h prints the usage and is no error for main, which exits 0 on it.
	if err := run(context.Background(), []string{"-h"}, &out); !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-upstream") {
		t.Errorf("-h: err = %v", err)
	}
}
