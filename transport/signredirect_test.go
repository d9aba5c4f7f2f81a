package transport_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// redirectRig is a domain (a verifying endpoint) that redirects /away to
// another host and /moved to /moved-here on itself, and that other host,
// which records the session tokens it receives.
type redirectRig struct {
	domain, other *httptest.Server
	verifier      *sigv4test.Handler
	otherHits     atomic.Int32
	otherTokens   atomic.Int32
	otherAuthz    atomic.Int32
	tr            *transport.Transport
}

func newRedirectRig(t *testing.T) *redirectRig {
	t.Helper()
	rr := &redirectRig{}
	rr.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rr.otherHits.Add(1)
		if r.Header.Get("X-Amz-Security-Token") != "" {
			rr.otherTokens.Add(1)
		}
		if r.Header.Get("Authorization") != "" {
			rr.otherAuthz.Add(1)
		}
	}))
	t.Cleanup(rr.other.Close)
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{goodCreds}
		o.Region = "us-east-1"
	})
	if err != nil {
		t.Fatal(err)
	}
	rr.verifier = v
	rr.domain = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			// Another host name: Go compares host names without the port,
			// so a redirect to 127.0.0.1 on another port would keep even
			// the Authorization header.
			http.Redirect(w, r, strings.Replace(rr.other.URL, "127.0.0.1", "localhost", 1)+"/collect", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/moved-here", http.StatusMovedPermanently)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			v.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(rr.domain.Close)
	rr.tr, err = transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// signed returns a GET for path on the domain, signed with SignRequest.
func (rr *redirectRig) signed(t *testing.T, path string) *http.Request {
	t.Helper()
	req, _ := http.NewRequest("GET", rr.domain.URL+path, nil)
	if err := rr.tr.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestSignRequestTokenFollowsRedirect is the hazard SignRequest's
// documentation names: a request it signed, sent by an http.Client with
// the default CheckRedirect, is followed to another host with its session
// token; Go drops only the Authorization header there.
func TestSignRequestTokenFollowsRedirect(t *testing.T) {
	rr := newRedirectRig(t)
	res, err := (&http.Client{}).Do(rr.signed(t, "/away"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if rr.otherTokens.Load() != 1 || rr.otherAuthz.Load() != 0 {
		t.Errorf("the other host got %d session tokens and %d Authorization headers; "+
			"the documented hazard is 1 and 0 (if Go now drops the token, update SignRequest's documentation)",
			rr.otherTokens.Load(), rr.otherAuthz.Load())
	}
}

// TestCheckRedirectKeepsTheTokenHome: with CheckRedirect, the same
// request is not followed to the other host, which receives nothing, and
// the error says why; a redirect within the domain is followed, signed for
// its new path, and accepted; a redirect loop stops after 10.
func TestCheckRedirectKeepsTheTokenHome(t *testing.T) {
	rr := newRedirectRig(t)
	client := &http.Client{CheckRedirect: rr.tr.CheckRedirect}

	_, err := client.Do(rr.signed(t, "/away"))
	var he *transport.HostError
	if !errors.As(err, &he) || !he.Redirect {
		t.Fatalf("redirect to another host: err = %v, want a *HostError", err)
	}
	if rr.otherHits.Load() != 0 {
		t.Errorf("the other host got %d requests (%d with the token)", rr.otherHits.Load(), rr.otherTokens.Load())
	}

	res, err := client.Do(rr.signed(t, "/moved"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/moved-here" || rr.verifier.Accepted() != 1 {
		t.Errorf("redirect within the domain: %d for %s, accepted %d, rejected %d",
			res.StatusCode, res.Request.URL.Path, rr.verifier.Accepted(), rr.verifier.Rejected())
	}
	// Without it, the copied signature is for the old path.
	res, err = (&http.Client{}).Do(rr.signed(t, "/moved"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("a redirect within the domain with the copied signature: %d, want 403", res.StatusCode)
	}

	_, err = client.Do(rr.signed(t, "/loop"))
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("redirect loop: err = %v", err)
	}
}

// TestCheckRedirectNeverHTTPSToHTTP: a redirect from https to http on the
// same host name is refused, as the transport refuses it.
func TestCheckRedirectNeverHTTPSToHTTP(t *testing.T) {
	rr := newRedirectRig(t)
	secure := httptest.NewTLSServer(http.RedirectHandler(rr.other.URL+"/plain", http.StatusFound))
	t.Cleanup(secure.Close)
	client := secure.Client()
	client.CheckRedirect = rr.tr.CheckRedirect
	req, _ := http.NewRequest("GET", secure.URL+"/", nil)
	if err := rr.tr.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	_, err := client.Do(req)
	var he *transport.HostError
	if !errors.As(err, &he) || rr.otherHits.Load() != 0 {
		t.Errorf("https to http: err = %v, %d requests reached the http host", err, rr.otherHits.Load())
	}
}
