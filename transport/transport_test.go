package transport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func TestPlainHTTPClient(t *testing.T) {
	rg := newRig(t, "es")
	client := &http.Client{Transport: rg.transport(goodCreds, "es")}
	res, err := client.Get(rg.srv.URL + "/_cat/indices?v")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), "health") {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	res, err = client.Post(rg.srv.URL+"/plain/_doc/1", "application/json", strings.NewReader(docBody("plain")))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("POST: %v %v", res, err)
	}
	res.Body.Close()
	if rg.verifier.Accepted() != 2 || rg.verifier.Rejected() != 0 {
		t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
	}
}

// snapshot is what a caller can see of its request.
type snapshot struct {
	Method, URL, Host, RawPath, RawQuery string
	Header                               http.Header
	ContentLength                        int64
}

func snap(r *http.Request) snapshot {
	return snapshot{r.Method, r.URL.String(), r.Host, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), r.ContentLength}
}

// TestCallerRequestUnchanged: RoundTrip signs a clone; the caller's
// headers, URL and host stay as they were, and a body with GetBody can
// still be read from GetBody.
func TestCallerRequestUnchanged(t *testing.T) {
	rg := newRig(t, "es")
	tr := rg.transport(goodCreds, "es")
	body := docBody("unchanged")
	u := rg.srv.URL + "//idx/_doc/" + url.PathEscape("a/b c") + "?refresh&q=a+b"
	req, _ := http.NewRequest("PUT", u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Opaque-Id", "caller")
	before := snap(req)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if after := snap(req); !reflect.DeepEqual(before, after) {
		t.Errorf("caller's request changed:\nbefore %+v\n after %+v", before, after)
	}
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"} {
		if req.Header.Get(h) != "" {
			t.Errorf("caller's request got %s", h)
		}
	}
	rc, _ := req.GetBody()
	if b, _ := io.ReadAll(rc); string(b) != body {
		t.Errorf("GetBody after RoundTrip reads %q", b)
	}
	// The request as sent is in wire form: the empty segment dropped, the
	// query in the caller's order with each piece in RFC 3986 form.
	got := rg.requests()[0].target
	if want := "/idx/_doc/a%2Fb%20c?refresh&q=a%20b"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// closeTracker counts how many times the body was closed.
type closeTracker struct {
	io.Reader
	closes atomic.Int32
}

func (c *closeTracker) Close() error { c.closes.Add(1); return nil }

// TestNothingSentWhenSigningFails: a request that cannot be signed is not
// sent; the error names the cause; the body is closed, once.
func TestNothingSentWhenSigningFails(t *testing.T) {
	boom := errors.New("metadata service on fire")
	cases := []struct {
		name   string
		fns    []func(*transport.Options)
		setup  func(*http.Request)
		is     error
		says   string
		target any
	}{
		{"basic auth", nil, func(r *http.Request) { r.SetBasicAuth("admin", "admin") }, transport.ErrAuthorizationSet, "basic auth", nil},
		{"credentials unavailable", []func(*transport.Options){func(o *transport.Options) {
			o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, boom })
		}}, nil, boom, "retrieve credentials: metadata service on fire", nil},
		{"body read fails", nil, func(r *http.Request) {
			r.GetBody = nil
			r.Body = &closeTracker{Reader: io.MultiReader(strings.NewReader("part"), errReader{boom})}
		}, boom, "reading the request body failed", nil},
		{"GetBody fails", nil, func(r *http.Request) {
			r.GetBody = func() (io.ReadCloser, error) { return nil, boom }
		}, signer.ErrBody, "GetBody", nil},
		{"header with a line break", nil, func(r *http.Request) { r.Header["X-Amz-Meta-X"] = []string{"a\nb"} }, signer.ErrHeader, "CR or LF", nil},
		{"header with a line break, body without GetBody", nil, func(r *http.Request) {
			r.GetBody = nil
			r.Header["X-Amz-Meta-X"] = []string{"a\rb"}
		}, signer.ErrHeader, "CR or LF", nil},
		{"authorization in lower case", nil, func(r *http.Request) { r.Header["authorization"] = []string{"Basic YWRtaW46YWRtaW4="} }, transport.ErrAuthorizationSet, "basic auth", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rg := newRig(t, "es")
			tr := rg.transport(goodCreds, "es", c.fns...)
			body := &closeTracker{Reader: strings.NewReader("{}")}
			req, _ := http.NewRequest("POST", rg.srv.URL+"/x/_doc/1", nil)
			req.Body = body
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("{}")), nil }
			if c.setup != nil {
				c.setup(req)
			}
			tracked, _ := req.Body.(*closeTracker)
			res, err := tr.RoundTrip(req)
			if res != nil {
				t.Fatalf("got a response: %d", res.StatusCode)
			}
			var te *transport.Error
			if !errors.Is(err, c.is) || !errors.As(err, &te) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want %v saying %q", err, c.is, c.says)
			}
			if len(rg.requests()) != 0 {
				t.Errorf("%d requests reached the server", len(rg.requests()))
			}
			if tracked != nil {
				if n := tracked.closes.Load(); n != 1 {
					t.Errorf("request body closed %d times, want once", n)
				}
			}
			for _, secret := range []string{goodCreds.SecretAccessKey, goodCreds.SessionToken} {
				if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), secret) {
					t.Error("error contains a secret")
				}
			}
		})
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSignRequestRefusesBasicAuthButResigns(t *testing.T) {
	tr, _ := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
	})
	req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/", nil)
	req.SetBasicAuth("u", "p")
	if err := tr.SignRequest(req); !errors.Is(err, transport.ErrAuthorizationSet) {
		t.Errorf("basic auth: err = %v", err)
	}
	req.Header.Del("Authorization")
	if err := tr.SignRequest(req); err != nil {
		t.Fatal(err)
	}
	if err := tr.SignRequest(req); err != nil { // a retry re-signs its own signature
		t.Errorf("re-signing: %v", err)
	}
}

// captureBase records the signed request instead of sending it.
type captureBase struct{ got *http.Request }

func (c *captureBase) RoundTrip(r *http.Request) (*http.Response, error) {
	c.got = r
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

func scopeOf(t *testing.T, r *http.Request) string {
	t.Helper()
	a := r.Header.Get("Authorization")
	_, rest, _ := strings.Cut(a, "Credential=")
	cred, _, _ := strings.Cut(rest, ",")
	_, scope, _ := strings.Cut(cred, "/")
	return scope[len("20060102/"):]
}

func TestRegionAndServiceFromHost(t *testing.T) {
	cases := []struct {
		url, region, service, want string
	}{
		{"https://search-logs-abc.ap-northeast-1.es.amazonaws.com/_search", "", "", "ap-northeast-1/es/aws4_request"},
		{"https://vpc-logs-abc.eu-west-1.es.amazonaws.com/", "", "", "eu-west-1/es/aws4_request"},
		{"https://abc123.us-west-2.aoss.amazonaws.com/idx/_search", "", "", "us-west-2/aoss/aws4_request"},
		{"https://abc123.cn-north-1.aoss.amazonaws.com.cn/", "", "", "cn-north-1/aoss/aws4_request"},
		{"https://api.example.com/", "sa-east-1", "execute-api", "sa-east-1/execute-api/aws4_request"},       // the options, for a host that says nothing
		{"https://abc123.us-west-2.aoss.amazonaws.com/", "us-west-2", "aoss", "us-west-2/aoss/aws4_request"}, // options that agree with the host
	}
	for _, c := range cases {
		base := &captureBase{}
		tr, err := transport.New(func(o *transport.Options) {
			o.Region, o.Service, o.Base = c.region, c.service, base
			o.Credentials = credentials.NewStatic("AKID", "secret", "")
		})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", c.url, nil)
		if _, err := tr.RoundTrip(req); err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if got := scopeOf(t, base.got); got != c.want {
			t.Errorf("%s: scope %s, want %s", c.url, got, c.want)
		}
	}
}

// TestRegionFromHostBeatsEnvironment: an AWS host name decides the region
// over AWS_REGION (on Lambda, the function's own region); AWS_REGION
// decides for a host that names none; without either, the error says what
// to set.
func TestRegionFromHostBeatsEnvironment(t *testing.T) {
	base := &captureBase{}
	t.Setenv("AWS_REGION", "eu-north-1")
	tr, _ := transport.New(func(o *transport.Options) { o.Base, o.Credentials = base, credentials.NewStatic("AKID", "secret", "") })
	req, _ := http.NewRequest("GET", "https://search-x.us-east-1.es.amazonaws.com/", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := scopeOf(t, base.got); got != "us-east-1/es/aws4_request" {
		t.Errorf("scope %s: the host name must win over AWS_REGION", got)
	}
	req, _ = http.NewRequest("GET", "http://localhost:9200/", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := scopeOf(t, base.got); got != "eu-north-1/es/aws4_request" {
		t.Errorf("scope %s: AWS_REGION decides for a host that names no region", got)
	}

	t.Setenv("AWS_REGION", "")
	tr, _ = transport.New(func(o *transport.Options) { o.Base, o.Credentials = base, credentials.NewStatic("AKID", "secret", "") })
	req, _ = http.NewRequest("GET", "http://localhost:9200/", nil)
	_, err := tr.RoundTrip(req)
	var re *credentials.RegionError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "set the Region option or AWS_REGION") {
		t.Errorf("err = %v, want a RegionError saying what to set", err)
	}
}

// TestOptionsContradictingHostAreRefused: a Region or Service option that
// contradicts an AWS host name is an error, from New with Endpoint and per
// request without: AWS would refuse every request.
func TestOptionsContradictingHostAreRefused(t *testing.T) {
	const ep = "https://search-logs-abc.eu-west-1.es.amazonaws.com"
	for _, c := range []struct {
		region, service, says string
	}{
		{"us-east-1", "", "the Region option says us-east-1, but the host name search-logs-abc.eu-west-1.es.amazonaws.com says eu-west-1"},
		{"", "aoss", "the Service option says aoss, but the host name search-logs-abc.eu-west-1.es.amazonaws.com says es"},
	} {
		_, err := transport.New(func(o *transport.Options) {
			o.Endpoint, o.Region, o.Service = ep, c.region, c.service
			o.Credentials = credentials.NewStatic("AKID", "secret", "")
		})
		var se *transport.ScopeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "Remove the") {
			t.Errorf("New: err = %v, want a ScopeError saying %q", err, c.says)
		}
		base := &captureBase{}
		tr, _ := transport.New(func(o *transport.Options) {
			o.Region, o.Service, o.Base = c.region, c.service, base
			o.Credentials = credentials.NewStatic("AKID", "secret", "")
		})
		req, _ := http.NewRequest("GET", ep+"/", nil)
		if _, err := tr.RoundTrip(req); !errors.As(err, &se) || base.got != nil {
			t.Errorf("RoundTrip: err = %v (sent: %v), want a ScopeError and nothing sent", err, base.got != nil)
		}
	}
}

func TestSigningHostForTunnels(t *testing.T) {
	base := &captureBase{}
	tr, _ := transport.New(func(o *transport.Options) {
		o.Base, o.Credentials = base, credentials.NewStatic("AKID", "secret", "")
		o.SigningHost = "search-d.eu-west-1.es.amazonaws.com"
	})
	req, _ := http.NewRequest("GET", "https://localhost:9443/_cluster/health", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if base.got.Host != "search-d.eu-west-1.es.amazonaws.com" || base.got.URL.Host != "localhost:9443" {
		t.Errorf("sent Host %q to %q", base.got.Host, base.got.URL.Host)
	}
	if got := scopeOf(t, base.got); got != "eu-west-1/es/aws4_request" {
		t.Errorf("scope %s: the region should come from the signing host", got)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, err := transport.New(func(o *transport.Options) { o.SignedHeaders = []string{"Content-Length"} })
	if !errors.Is(err, signer.ErrOption) || !strings.HasPrefix(err.Error(), "sigv4/transport: configure: ") {
		t.Errorf("err = %v", err)
	}
}

func TestTraceHook(t *testing.T) {
	var traces []signer.Trace
	base := &captureBase{}
	tr, _ := transport.New(func(o *transport.Options) {
		o.Base, o.Region = base, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE1234", goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.Trace = func(x signer.Trace) { traces = append(traces, x) }
	})
	req, _ := http.NewRequest("POST", "https://search-d.us-east-1.es.amazonaws.com/_bulk", bytes.NewReader([]byte("{}\n")))
	tr.RoundTrip(req)
	if len(traces) != 1 || traces[0].AccessKeyID != "***********1234" || traces[0].Source != credentials.SourceStatic || !strings.HasPrefix(traces[0].CanonicalRequest, "POST\n/_bulk\n") {
		t.Fatalf("traces = %+v", traces)
	}
	all := fmt.Sprintf("%+v", traces)
	sig := base.got.Header.Get("Authorization")[strings.Index(base.got.Header.Get("Authorization"), "Signature=")+10:]
	for _, secret := range []string{goodCreds.SecretAccessKey, goodCreds.SessionToken, sig} {
		if strings.Contains(all, secret) {
			t.Errorf("trace contains a secret")
		}
	}
}

func TestEndpointSettlesScopeAtConstruction(t *testing.T) {
	base := &captureBase{}
	mk := func(fns ...func(*transport.Options)) (*transport.Transport, error) {
		return transport.New(append([]func(*transport.Options){func(o *transport.Options) {
			o.Base, o.Credentials = base, credentials.NewStatic("AKID", "secret", "")
		}}, fns...)...)
	}
	// A tunnel: connect to localhost, sign for the collection's host.
	tr, err := mk(func(o *transport.Options) {
		o.Endpoint, o.SigningHost = "https://localhost:8443", "abc.eu-west-3.aoss.amazonaws.com"
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://localhost:8443/", nil)
	if _, err := tr.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got := scopeOf(t, base.got); got != "eu-west-3/aoss/aws4_request" {
		t.Errorf("scope %s", got)
	}

	_, err = mk(func(o *transport.Options) { o.Endpoint = "http://localhost:9200" })
	if err == nil || !strings.Contains(err.Error(), "the Region option is not set") || !strings.Contains(err.Error(), "set it (or AWS_REGION)") {
		t.Errorf("no region: err = %v", err)
	}
	if _, err = mk(func(o *transport.Options) { o.Endpoint, o.Region = "http://localhost:9200", "us-east-1" }); err != nil {
		t.Errorf("explicit region: %v", err)
	}
	if _, err = mk(func(o *transport.Options) { o.Endpoint = "::not a url" }); err == nil || !strings.Contains(err.Error(), "is not a URL") {
		t.Errorf("bad endpoint: %v", err)
	}
}

// TestAllowedHosts: a request to a host the transport was not told about
// (after a redirect, say) is refused before anything is signed or sent.
func TestAllowedHosts(t *testing.T) {
	var evilHits atomic.Int32
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { evilHits.Add(1) }))
	defer evil.Close()
	// The allowed host redirects to the evil one. Both listen on loopback;
	// the dialer below gives them distinct names.
	redirecting := httptest.NewServer(http.RedirectHandler("http://evil.test/steal", http.StatusTemporaryRedirect))
	defer redirecting.Close()

	var retrievals atomic.Int32
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		retrievals.Add(1)
		return goodCreds, nil
	})
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", creds
		o.AllowedHosts = []string{"redirector.test"}
		o.Base = &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host := strings.TrimPrefix(redirecting.URL, "http://")
			if strings.HasPrefix(addr, "evil.test") {
				host = strings.TrimPrefix(evil.URL, "http://")
			}
			return (&net.Dialer{}).DialContext(ctx, network, host)
		}}
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&http.Client{Transport: tr}).Get("http://redirector.test/")
	var he *transport.HostError
	if !errors.As(err, &he) || he.Host != "evil.test" || !strings.Contains(err.Error(), "nothing was signed or sent") {
		t.Fatalf("err = %v", err)
	}
	if evilHits.Load() != 0 || retrievals.Load() != 1 {
		t.Errorf("evil host hit %d times; credentials retrieved %d times (want 1, for the allowed host)", evilHits.Load(), retrievals.Load())
	}

	// Patterns, ports and case.
	for host, want := range map[string]bool{"Search-X.eu-west-1.ES.amazonaws.com:443": true, "es.amazonaws.com": false, "evil.com": false, "x.es.amazonaws.com.evil.com": false} {
		tr, _ := transport.New(func(o *transport.Options) {
			o.Credentials, o.Base = credentials.NewStatic("AKID", "s", ""), &captureBase{}
			o.AllowedHosts = []string{"*.es.amazonaws.com"}
		})
		req, _ := http.NewRequest("GET", "https://"+host+"/", nil)
		_, err := tr.RoundTrip(req)
		if (err == nil) != want {
			t.Errorf("%s: err = %v, want allowed %v", host, err, want)
		}
	}
	// The default with an Endpoint: only its host.
	tr, _ = transport.New(func(o *transport.Options) {
		o.Endpoint, o.Credentials, o.Base = "https://search-d.us-east-1.es.amazonaws.com", credentials.NewStatic("AKID", "s", ""), &captureBase{}
	})
	req, _ := http.NewRequest("GET", "https://search-other.us-east-1.es.amazonaws.com/", nil)
	if _, err := tr.RoundTrip(req); !errors.As(err, &he) {
		t.Errorf("another domain with the Endpoint's default: err = %v", err)
	}
	if _, err := transport.New(func(o *transport.Options) { o.AllowedHosts = []string{"a*b"} }); err == nil {
		t.Error("a bad pattern was accepted")
	}
}

// TestRoundTripNilRequest: a nil request is an error, not a panic.
func TestRoundTripNilRequest(t *testing.T) {
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	var te *transport.Error
	if res, err := tr.RoundTrip(nil); res != nil || !errors.As(err, &te) || !strings.Contains(err.Error(), "nil") {
		t.Fatalf("RoundTrip(nil) = %v, %v; want an *Error saying the request is nil", res, err)
	}
}

// slowBody yields 32 KiB per Read, each after a short pause, until told to
// stop: a large streamed body.
type slowBody struct{ reads atomic.Int64 }

func (b *slowBody) Read(p []byte) (int, error) {
	if b.reads.Add(1) > 100000 {
		return 0, io.EOF
	}
	time.Sleep(100 * time.Microsecond)
	return copy(p, make([]byte, 32<<10)), nil
}

// TestCancelStopsHashing: hashing a large streamed body stops soon after
// the request's context is cancelled, with the context's error, and
// nothing is sent.
func TestCancelStopsHashing(t *testing.T) {
	rg := newRig(t, "es")
	tr := rg.transport(goodCreds, "es")
	body := &slowBody{}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", rg.srv.URL+"/_bulk", io.NopCloser(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body), nil }
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := tr.RoundTrip(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("RoundTrip returned %v after the cancel, want soon after", d)
	}
	if n := body.reads.Load(); n >= 100000 {
		t.Errorf("the whole body (%d reads) was hashed despite the cancel", n)
	}
	if len(rg.requests()) != 0 {
		t.Errorf("%d requests reached the server", len(rg.requests()))
	}
}
