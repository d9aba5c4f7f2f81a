package transport_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// tokenCatcher is a server that counts its requests and those that carried
// a signature or a session token.
type tokenCatcher struct {
	srv           *httptest.Server
	hits, secrets atomic.Int32
}

func newTokenCatcher(t *testing.T, tls bool) *tokenCatcher {
	tc := &tokenCatcher{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tc.hits.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Amz-Security-Token") != "" {
			tc.secrets.Add(1)
		}
	})
	if tls {
		tc.srv = httptest.NewTLSServer(h)
	} else {
		tc.srv = httptest.NewServer(h)
	}
	t.Cleanup(tc.srv.Close)
	return tc
}

// countingCreds counts retrievals.
func countingCreds(n *atomic.Int32) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		n.Add(1)
		return goodCreds, nil
	})
}

// TestRedirectToOtherHostIsNotSigned: with neither Endpoint nor
// AllowedHosts (the README's first snippets), an http.Client following a
// redirect to another host gets an error; the other host sees nothing,
// signed or not, and no credentials are retrieved for it.
func TestRedirectToOtherHostIsNotSigned(t *testing.T) {
	other := newTokenCatcher(t, false)
	first := httptest.NewServer(http.RedirectHandler(other.srv.URL+"/steal", http.StatusFound))
	t.Cleanup(first.Close)
	var retrievals atomic.Int32
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", countingCreds(&retrievals)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: tr}).Get(first.URL + "/")
	var he *transport.HostError
	if !errors.As(err, &he) || !he.Redirect || !strings.Contains(err.Error(), "nothing was signed or sent") {
		t.Fatalf("err = %v, want a *HostError for the redirect", err)
	}
	if other.hits.Load() != 0 || retrievals.Load() != 1 {
		t.Errorf("other host hit %d times; credentials retrieved %d times (want 0 and 1)", other.hits.Load(), retrievals.Load())
	}
}

// TestRedirectOnSameHostIsSigned: a redirect to another path of the same
// scheme and host is followed and signed anew.
func TestRedirectOnSameHostIsSigned(t *testing.T) {
	rg := newRig(t, "es")
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/_cat/indices", http.StatusFound) })
	mux.Handle("/", rg.verifier)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	res, err := (&http.Client{Transport: rg.transport(goodCreds, "es")}).Get(srv.URL + "/old")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || rg.verifier.Accepted() != 1 {
		t.Errorf("status %d, accepted %d: the same-host redirect was not signed", res.StatusCode, rg.verifier.Accepted())
	}
}

// TestRedirectFromHTTPSToHTTPIsNotSigned: even to the Endpoint's own host,
// an https request is never followed to http.
func TestRedirectFromHTTPSToHTTPIsNotSigned(t *testing.T) {
	plain := newTokenCatcher(t, false)
	secure := httptest.NewTLSServer(http.RedirectHandler(plain.srv.URL+"/", http.StatusFound))
	t.Cleanup(secure.Close)
	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region = secure.URL, "us-east-1"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.Base = secure.Client().Transport
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: tr}).Get(secure.URL + "/")
	var he *transport.HostError
	if !errors.As(err, &he) || !he.Redirect {
		t.Fatalf("err = %v, want a *HostError for the redirect to http", err)
	}
	if plain.hits.Load() != 0 {
		t.Errorf("the http host was hit %d times", plain.hits.Load())
	}
}

// signingRoundTripper signs with SignRequest, as opensearch-go's Signer
// field does, then sends.
type signingRoundTripper struct {
	tr   *transport.Transport
	base http.RoundTripper
}

func (s signingRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if err := s.tr.SignRequest(r); err != nil {
		return nil, err
	}
	return s.base.RoundTrip(r)
}

// TestSignRequestRefusesCrossHostRedirect: SignRequest used under an
// http.Client does not sign a redirect to another host either.
func TestSignRequestRefusesCrossHostRedirect(t *testing.T) {
	other := newTokenCatcher(t, false)
	first := httptest.NewServer(http.RedirectHandler(other.srv.URL+"/", http.StatusTemporaryRedirect))
	t.Cleanup(first.Close)
	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: signingRoundTripper{tr, http.DefaultTransport}}).Get(first.URL + "/")
	var he *transport.HostError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HostError", err)
	}
	if other.secrets.Load() != 0 {
		t.Errorf("%d requests with a signature or token reached the other host", other.secrets.Load())
	}
}

// TestAllowedHostsCompareAsGoDials: a Unicode host whose lower-case form
// matches an entry, but which Go dials under another ASCII name, is not
// allowed; entries that can never match are refused by New with the reason.
func TestAllowedHostsCompareAsGoDials(t *testing.T) {
	var dialed atomic.Int32
	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.AllowedHosts = []string{"*.corp-internal.example", "東京.example"}
		o.Base = &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			dialed.Add(1)
			return nil, errors.New("no network in this test")
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	for host, allowed := range map[string]bool{
		"logs.corp-İnternal.example":    false, // U+0130: lower-cases to "i̇", dials as punycode
		"logs.corp-internal.example":    true,
		"LOGS.Corp-Internal.Example":    true,
		"東京.example":                    true,
		"xn--1lqs71d.example":           true, // the same name, as Go dials it
		"corp-internal.example.evil.cc": false,
	} {
		req, _ := http.NewRequest("GET", "http://"+host+"/", nil)
		_, err := tr.RoundTrip(req)
		var he *transport.HostError
		if got := !errors.As(err, &he); got != allowed {
			t.Errorf("%s: allowed = %v (err %v), want %v", host, got, err, allowed)
		}
	}
	for _, entry := range []string{"*.", "*", "search.example:443", "[::1]", "search.example.", "a*b.example", "https://x.example"} {
		if _, err := transport.New(func(o *transport.Options) { o.AllowedHosts = []string{entry} }); err == nil {
			t.Errorf("AllowedHosts entry %q was accepted", entry)
		} else if !strings.Contains(err.Error(), "want a host name") {
			t.Errorf("entry %q: error does not say what to write: %v", entry, err)
		}
	}
}
