package transport_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/fakeaws"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// recorder counts what reaches the domain, signed or not.
type recorder struct {
	*httptest.Server
	signed, unsigned atomic.Int32
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
			rec.signed.Add(1)
		} else {
			rec.unsigned.Add(1)
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(rec.Close)
	return rec
}

// noLeak fails when goroutines started during the test outlive it.
func noLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// TestFaults runs each fault through the transport: no panic, an error that
// says what happened, nothing sent, nothing unsigned, no goroutine left.
func TestFaults(t *testing.T) {
	boom := errors.New("connection reset by peer")
	cases := []struct {
		name  string
		setup func(t *testing.T) aws.CredentialsProvider
		req   func(url string) *http.Request
		ctx   func() (context.Context, context.CancelFunc)
		base  http.RoundTripper
		says  string
		is    error
	}{
		{name: "IMDS down", setup: func(t *testing.T) aws.CredentialsProvider {
			f := fakeaws.NewIMDS(t)
			f.Close()
			return credentials.NewCache(credentials.NewIMDS())
		}, says: "EC2RoleProvider: the instance metadata service is not reachable"},
		{name: "IMDS slow", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewIMDS(t).Set(func(f *fakeaws.IMDS) { f.Hang = 5 * time.Second })
			return credentials.NewCache(credentials.NewIMDS())
		}, says: "did not answer in time"},
		{name: "IMDS 500", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewIMDS(t).Set(func(f *fakeaws.IMDS) { f.Status = 500 })
			return credentials.NewCache(credentials.NewIMDS())
		}, says: "EC2RoleProvider: cannot get the instance role's credentials"},
		{name: "IMDS garbage", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewIMDS(t).Set(func(f *fakeaws.IMDS) { f.Body = "\x00\xffnot json" })
			return credentials.NewCache(credentials.NewIMDS())
		}, says: "EC2RoleProvider"},
		{name: "container 401", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewContainer(t, "expected-token")
			return credentials.NewCache(credentials.NewContainer())
		}, says: "CredentialsEndpointProvider: the container endpoint http://127.0.0.1"},
		{name: "container 500", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewContainer(t, "").Set(func(f *fakeaws.Container) { f.Status = 500 })
			return credentials.NewCache(credentials.NewContainer())
		}, says: "gave no credentials"},
		{name: "container bad JSON", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewContainer(t, "").Set(func(f *fakeaws.Container) { f.Body = `{"AccessKeyId": ` })
			return credentials.NewCache(credentials.NewContainer())
		}, says: "gave no credentials"},
		{name: "container slow, request deadline", setup: func(t *testing.T) aws.CredentialsProvider {
			fakeaws.NewContainer(t, "").Set(func(f *fakeaws.Container) { f.Hang = 3 * time.Second })
			return credentials.NewCache(credentials.NewContainer(), func(o *credentials.CacheOptions) { o.FetchTimeout = time.Second })
		}, ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		},
			says: "gave up waiting for credentials", is: context.DeadlineExceeded},
		{name: "context cancelled during retrieval", setup: func(t *testing.T) aws.CredentialsProvider {
			return credentials.NewCache(slowProvider{2 * time.Second}, func(o *credentials.CacheOptions) { o.FetchTimeout = time.Second })
		}, ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, says: "context canceled", is: context.Canceled},
		{name: "refresh fails after expiry", setup: func(t *testing.T) aws.CredentialsProvider {
			return credentials.NewCache(&expiringThenFailing{life: 10*time.Second + 100*time.Millisecond})
		}, says: "identity provider is down"},
		{name: "body read fails", req: func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, nil)
			r.Body = io.NopCloser(io.MultiReader(strings.NewReader("{"), errReader{errors.New("disk read error")}))
			return r
		}, says: "disk read error"},
		{name: "GetBody fails", req: func(url string) *http.Request {
			r, _ := http.NewRequest("POST", url, strings.NewReader("{}"))
			r.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("cannot rewind") }
			return r
		}, says: "GetBody failed"},
		{name: "base transport fails", base: failingBase{boom}, says: "connection reset by peer", is: boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			noLeak(t)
			rec := newRecorder(t)
			var creds aws.CredentialsProvider = credentials.NewStatic("AKIDFAULTS", "secret", "")
			if c.setup != nil {
				creds = c.setup(t)
			}
			base := c.base
			if base == nil {
				hb := &http.Transport{}
				t.Cleanup(hb.CloseIdleConnections)
				base = hb
			}
			tr, err := transport.New(func(o *transport.Options) { o.Region, o.Credentials, o.Base = "us-east-1", creds, base })
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", rec.URL+"/_search", nil)
			if c.req != nil {
				req = c.req(rec.URL + "/_search")
			}
			if c.ctx != nil {
				ctx, cancel := c.ctx()
				defer cancel()
				req = req.WithContext(ctx)
			}
			if c.name == "refresh fails after expiry" {
				// The first request works; once the credentials expire and
				// the refresh fails, the next one errors.
				res, err := tr.RoundTrip(req.Clone(req.Context()))
				if err != nil {
					t.Fatalf("first request: %v", err)
				}
				res.Body.Close()
				time.Sleep(200 * time.Millisecond)
				rec.signed.Store(0)
			}
			start := time.Now()
			res, err := tr.RoundTrip(req)
			if res != nil {
				res.Body.Close()
				t.Fatalf("got a response (%s), want an error", res.Status)
			}
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want one saying %q", err, c.says)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want errors.Is %v", err, c.is)
			}
			if took := time.Since(start); took > 5*time.Second { // a sanity bound: the timeouts and retries end it well before
				t.Errorf("took %v", took)
			}
			if rec.unsigned.Load() != 0 || rec.signed.Load() != 0 {
				t.Errorf("reached the domain: %d signed, %d unsigned", rec.signed.Load(), rec.unsigned.Load())
			}
			for _, s := range []string{fakeaws.SentinelSecret, fakeaws.SentinelToken} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows a secret")
				}
			}
		})
	}
}

type slowProvider struct{ d time.Duration }

func (p slowProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	select {
	case <-time.After(p.d):
		return goodCreds, nil
	case <-ctx.Done():
		return aws.Credentials{}, ctx.Err()
	}
}

// expiringThenFailing hands out credentials that expire soon after the
// cache's safety margin, once; then the source is down.
type expiringThenFailing struct {
	life  time.Duration
	calls atomic.Int32
}

func (p *expiringThenFailing) Retrieve(context.Context) (aws.Credentials, error) {
	if p.calls.Add(1) > 1 {
		return aws.Credentials{}, errors.New("identity provider is down")
	}
	c := goodCreds
	c.CanExpire, c.Expires = true, time.Now().Add(p.life)
	return c, nil
}

type failingBase struct{ err error }

func (f failingBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, f.err
}

// TestRefreshFailsWhileValid: while cached credentials are valid, a failing
// refresh does not stop requests. The cache's clock is moved into the
// refresh window (2 minutes before expiry); the signing clock is real time.
func TestRefreshFailsWhileValid(t *testing.T) {
	noLeak(t)
	rg := newRig(t, "es")
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := &failAfterFirst{clock: clock}
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) {
		o.Credentials = credentials.NewCache(p, func(o *credentials.CacheOptions) { o.Clock = clock })
	})
	client := &http.Client{Transport: tr}
	get := func(i int) {
		res, err := client.Get(rg.srv.URL + "/")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("request %d: %v %v", i, res, err)
		}
		res.Body.Close()
	}
	get(0)
	mu.Lock()
	now = now.Add(58 * time.Minute)
	mu.Unlock()
	for i := 1; i <= 20; i++ {
		get(i)
	}
	deadline := time.Now().Add(2 * time.Second)
	for p.calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if p.calls.Load() != 2 {
		t.Errorf("%d provider calls, want 2: the first fetch and one failed refresh (then backoff)", p.calls.Load())
	}
	if rg.verifier.Rejected() != 0 || rg.verifier.Accepted() != 21 {
		t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
	}
}

type failAfterFirst struct {
	clock func() time.Time
	calls atomic.Int32
}

func (p *failAfterFirst) Retrieve(context.Context) (aws.Credentials, error) {
	if p.calls.Add(1) > 1 {
		return aws.Credentials{}, errors.New("refresh failed")
	}
	c := goodCreds
	c.CanExpire, c.Expires = true, p.clock().Add(time.Hour)
	return c, nil
}

// TestExpiryWhileInFlight: credentials that expire while requests are in
// flight are replaced; no request is rejected and none goes unsigned.
func TestExpiryWhileInFlight(t *testing.T) {
	noLeak(t)
	rg := newRig(t, "es")
	p := &shortLived{life: 10*time.Second + 150*time.Millisecond} // usable for 150 ms past the margin
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) { o.Credentials = credentials.NewCache(p) })
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	var failed atomic.Int32
	deadline := time.Now().Add(800 * time.Millisecond)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				res, err := client.Post(rg.srv.URL+"/x/_doc", "application/json", strings.NewReader(`{"a":1}`))
				if err != nil || res.StatusCode != 201 {
					failed.Add(1)
				}
				if res != nil {
					res.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 || rg.verifier.Rejected() != 0 {
		t.Errorf("%d failed, %d rejected", failed.Load(), rg.verifier.Rejected())
	}
	if p.calls.Load() < 3 {
		t.Errorf("credentials fetched %d times over several lifetimes", p.calls.Load())
	}
	t.Logf("%d requests accepted across %d credential lifetimes", rg.verifier.Accepted(), p.calls.Load())
}

type shortLived struct {
	life  time.Duration
	calls atomic.Int32
}

func (p *shortLived) Retrieve(context.Context) (aws.Credentials, error) {
	p.calls.Add(1)
	c := goodCreds
	c.CanExpire, c.Expires = true, time.Now().Add(p.life)
	return c, nil
}
