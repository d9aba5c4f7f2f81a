package transport_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// simClock is AWS's time in a simulation; tests advance it by hand.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// rotatingSTS hands out new credentials at every call, each valid for
// life by AWS's clock (as STS states an expiry), and remembers when each
// key expires, for the endpoint.
type rotatingSTS struct {
	aws  func() time.Time // AWS's clock
	life time.Duration
	// first, when not zero, is the life of the first credentials.
	first time.Duration
	mu    sync.Mutex
	calls int
	keys  map[string]aws.Credentials
	// lastExpires is when the last credentials handed out expire, and
	// left, for each call but the first, how long the credentials handed
	// out before still had to live by AWS's clock.
	lastExpires time.Time
	left        []time.Duration
}

// rotationKeys is how many keys a rotatingSTS can hand out: the endpoint
// is told all of them at the start.
const rotationKeys = 16

func rotationKey(i int) aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIAROTATION%04d", i),
		SecretAccessKey: fmt.Sprintf("SENTINEL-SECRET-rotation-%04d", i),
		SessionToken:    fmt.Sprintf("SENTINEL-TOKEN-rotation-%04d", i),
	}
}

func (p *rotatingSTS) Retrieve(context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.calls == rotationKeys {
		return aws.Credentials{}, fmt.Errorf("rotatingSTS: out of keys")
	}
	life := p.life
	if p.calls == 0 && p.first != 0 {
		life = p.first
	}
	now := p.aws()
	if p.calls > 0 {
		p.left = append(p.left, p.lastExpires.Sub(now))
	}
	c := rotationKey(p.calls)
	p.calls++
	c.CanExpire, c.Expires = true, now.Add(life)
	p.keys[c.AccessKeyID] = c
	p.lastExpires = c.Expires
	return c, nil
}

func (p *rotatingSTS) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

func (p *rotatingSTS) expires(key string) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.keys[key]
	return c.Expires, ok
}

// rotationEndpoint is a verifying endpoint on AWS's (simulated) clock. It
// answers, as AWS does, a signature dated more than five minutes away
// with "Signature expired" or "Signature not yet current", and a session
// token past its expiry with ExpiredTokenException. tokenFirst says which
// of the two it checks first.
type rotationEndpoint struct {
	srv                *httptest.Server
	roundTrips         atomic.Int32
	skewed, expired    atomic.Int32
	accepted, rejected atomic.Int32
}

func newRotationEndpoint(t *testing.T, now func() time.Time, sts *rotatingSTS, tokenFirst bool) *rotationEndpoint {
	t.Helper()
	keys := make([]aws.Credentials, rotationKeys)
	for i := range keys {
		keys[i] = rotationKey(i)
	}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = keys
		o.Region, o.Service = "us-east-1", "es"
		o.Clock = now
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &rotationEndpoint{}
	tokenExpired := func(w http.ResponseWriter, r *http.Request) bool {
		key := ""
		if a := r.Header.Get("Authorization"); len(a) > len("AWS4-HMAC-SHA256 Credential=") {
			key = a[len("AWS4-HMAC-SHA256 Credential="):]
			for i := 0; i < len(key); i++ {
				if key[i] == '/' {
					key = key[:i]
					break
				}
			}
		}
		exp, ok := sts.expires(key)
		if !ok || now().Before(exp) {
			return false
		}
		e.expired.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", "ExpiredTokenException")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"The security token included in the request is expired"}`))
		return true
	}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.roundTrips.Add(1)
		w.Header().Set("Date", now().UTC().Format(http.TimeFormat))
		if tokenFirst && tokenExpired(w, r) {
			e.rejected.Add(1)
			return
		}
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, r)
		if rec.Code == http.StatusOK && !tokenFirst && tokenExpired(w, r) {
			e.rejected.Add(1)
			return
		}
		if rec.Code == http.StatusForbidden {
			e.skewed.Add(1) // the only refusal the verifier can give here
			e.rejected.Add(1)
		} else {
			e.accepted.Add(1)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// rotationRun is what one rotation scenario measured.
type rotationRun struct {
	requests, failed, providerCalls, roundTrips int
	refusedSkew, refusedExpired                 int
}

func (r rotationRun) String() string {
	return fmt.Sprintf("%d requests, %d failed, %d provider calls, %d round trips (%d refused for skew, %d for an expired token)",
		r.requests, r.failed, r.providerCalls, r.roundTrips, r.refusedSkew, r.refusedExpired)
}

// runRotation sends 101 requests, one per simulated minute, through a
// transport whose clock is off by offset from AWS's, with credentials that
// live life, to an endpoint on AWS's clock. ownCache passes the transport a
// credentials.Cache on the transport's own clock instead of letting the
// transport wrap the provider.
func runRotation(t *testing.T, offset, life time.Duration, tokenFirst, ownCache bool) rotationRun {
	t.Helper()
	clock := &simClock{now: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)}
	sts := &rotatingSTS{aws: clock.Now, life: life, keys: map[string]aws.Credentials{}}
	ep := newRotationEndpoint(t, clock.Now, sts, tokenFirst)
	local := func() time.Time { return clock.Now().Add(offset) }
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service, o.Base, o.Clock = "us-east-1", "es", base, local
		o.Credentials = sts
		if ownCache {
			o.Credentials = credentials.NewCache(sts, func(co *credentials.CacheOptions) { co.Clock = local })
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	run := rotationRun{requests: 101}
	for i := 0; i < run.requests; i++ {
		if i > 0 {
			clock.Advance(time.Minute)
		}
		req, _ := http.NewRequest("GET", ep.srv.URL+"/_cluster/health", nil)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Logf("minute %d: %v", i, err)
			run.failed++
			continue
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Logf("minute %d: %d", i, res.StatusCode)
			run.failed++
		}
		settle(clock, sts)
	}
	run.providerCalls = sts.Calls()
	run.roundTrips = int(ep.roundTrips.Load())
	run.refusedSkew, run.refusedExpired = int(ep.skewed.Load()), int(ep.expired.Load())
	return run
}

// settle gives a background refresh that is due by AWS's clock a moment
// to reach the provider before the clock moves on, so that the figures do
// not depend on the scheduler (a refresh that is late must not fail a
// request either). A refresh is due ahead before the last credentials
// handed out expire: credentials.DefaultRefreshAhead, or half their life
// when that is shorter.
func settle(clock *simClock, sts *rotatingSTS) {
	sts.mu.Lock()
	ahead := min(credentials.DefaultRefreshAhead, sts.life/2)
	due := !clock.Now().Before(sts.lastExpires.Add(-ahead))
	before := sts.calls
	sts.mu.Unlock()
	if !due {
		return
	}
	for i := 0; i < 1000 && sts.Calls() == before; i++ {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(2 * time.Millisecond) // for the fetch to return what it got
}

// TestRotationWithSkewedClock: a clock ten minutes behind or ahead of
// AWS's, 30-minute credentials rotating three times in 100 minutes, and an
// endpoint that refuses both a skewed signature and an expired token: no
// request fails, and the transport needs at most one extra round trip per
// rotation (besides the one that teaches it the offset).
func TestRotationWithSkewedClock(t *testing.T) {
	for _, offset := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		for _, tokenFirst := range []bool{true, false} {
			for _, ownCache := range []bool{false, true} {
				name := fmt.Sprintf("clock %v, token checked first %v, own cache %v", offset, tokenFirst, ownCache)
				t.Run(name, func(t *testing.T) {
					run := runRotation(t, offset, 30*time.Minute, tokenFirst, ownCache)
					t.Logf("%s: %v", name, run)
					if run.failed != 0 {
						t.Errorf("%d of %d requests failed", run.failed, run.requests)
					}
					rotations := run.providerCalls - 1
					if extra := run.roundTrips - run.requests; extra > 1+rotations {
						t.Errorf("%d extra round trips for %d rotations", extra, rotations)
					}
					// A fetch at minute 0, then a refresh five minutes
					// before each expiry by AWS's clock: 25, 50, 75, 100.
					if run.providerCalls != 5 {
						t.Errorf("%d provider calls, want 5: refresh was judged on a clock other than AWS's", run.providerCalls)
					}
				})
			}
		}
	}
}

// getCounted sends a GET through tr and returns its status and how many
// round trips the endpoint saw for it.
func getCounted(t *testing.T, tr http.RoundTripper, ep *rotationEndpoint) (status, roundTrips int) {
	t.Helper()
	before := ep.roundTrips.Load()
	req, _ := http.NewRequest("GET", ep.srv.URL+"/_cluster/health", nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, int(ep.roundTrips.Load() - before)
}

// TestSDKCacheOnLaggingClockServesExpired: an aws.CredentialsCache judges
// expiry by this machine's clock, ten minutes behind AWS's, and so serves
// credentials that AWS says expired. The transport, which learned the
// offset, drops them from the cache and signs with fresh ones, in one
// round trip. Before, it took the expiry for a sign that the offset was
// wrong, dropped the offset, and the request failed: refused for its time,
// or for its token and then, retried, for its time.
func TestSDKCacheOnLaggingClockServesExpired(t *testing.T) {
	awsNow := func() time.Time { return time.Now().Add(10 * time.Minute) }
	for _, tokenFirst := range []bool{true, false} {
		sts := &rotatingSTS{aws: awsNow, life: time.Hour, first: 100 * time.Millisecond, keys: map[string]aws.Credentials{}}
		ep := newRotationEndpoint(t, awsNow, sts, tokenFirst)
		base := &http.Transport{}
		t.Cleanup(base.CloseIdleConnections)
		tr, err := transport.New(func(o *transport.Options) {
			o.Region, o.Service, o.Base = "us-east-1", "es", base
			o.Credentials = aws.NewCredentialsCache(sts)
		})
		if err != nil {
			t.Fatal(err)
		}
		if status, trips := getCounted(t, tr, ep); status != 200 || trips != 2 {
			t.Fatalf("token checked first %v: first request: %d in %d round trips, want 200 in 2 (the offset learned)", tokenFirst, status, trips)
		}
		first, _ := sts.expires(rotationKey(0).AccessKeyID)
		// Expired by AWS's clock, and by the corrected one, which may lag
		// AWS's by up to a second: Date has whole seconds.
		time.Sleep(time.Until(first.Add(-10*time.Minute)) + 1100*time.Millisecond)
		status, trips := getCounted(t, tr, ep)
		t.Logf("token checked first %v: after AWS's expiry: %d in %d round trips; provider calls %d", tokenFirst, status, trips, sts.Calls())
		if status != 200 || trips != 1 {
			t.Errorf("token checked first %v: %d in %d round trips, want 200 in 1", tokenFirst, status, trips)
		}
		if sts.Calls() != 2 {
			t.Errorf("token checked first %v: %d provider calls, want 2", tokenFirst, sts.Calls())
		}
	}
}

// TestExpiredTokenAndSkewInOneRequest: a transport that has not learned
// the offset yet, with a cache (on the transport's clock, ten minutes
// behind AWS's) holding a token that AWS says expired. An endpoint that
// checks the token first refuses it; the retry, with a fresh token, is
// refused for its time; the second retry, on the learned time, passes.
// An endpoint that checks the time first needs one retry: the learned
// offset makes the cache fetch anew. Before, the request failed.
func TestExpiredTokenAndSkewInOneRequest(t *testing.T) {
	for _, tokenFirst := range []bool{true, false} {
		clock := &simClock{now: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)}
		sts := &rotatingSTS{aws: clock.Now, life: 30 * time.Minute, keys: map[string]aws.Credentials{}}
		ep := newRotationEndpoint(t, clock.Now, sts, tokenFirst)
		local := func() time.Time { return clock.Now().Add(-10 * time.Minute) }
		cache := credentials.NewCache(sts, func(co *credentials.CacheOptions) { co.Clock = local })
		if _, err := cache.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
		clock.Advance(31 * time.Minute) // expired by AWS's clock, 9 minutes left by the local one
		base := &http.Transport{}
		t.Cleanup(base.CloseIdleConnections)
		var causes []transport.Cause
		tr, err := transport.New(func(o *transport.Options) {
			o.Region, o.Service, o.Base, o.Clock = "us-east-1", "es", base, local
			o.Credentials = cache
			o.OnForbidden = func(d *transport.Diagnosis) { causes = append(causes, d.Cause) }
		})
		if err != nil {
			t.Fatal(err)
		}
		status, trips := getCounted(t, tr, ep)
		t.Logf("token checked first %v: %d in %d round trips, refusals %v, provider calls %d", tokenFirst, status, trips, causes, sts.Calls())
		want := 2
		if tokenFirst {
			want = 3
		}
		if status != 200 || trips != want {
			t.Errorf("token checked first %v: %d in %d round trips, want 200 in %d", tokenFirst, status, trips, want)
		}
	}
}

// TestNoMoreThanOneRetryPerCause: an endpoint that answers an expired
// token and clock skew in turn, forever, sees the request and two retries
// (each cause healed once), never more; one that repeats one cause sees one
// retry (TestAtMostOneTransparentRetry).
func TestNoMoreThanOneRetryPerCause(t *testing.T) {
	for _, skewFirst := range []bool{false, true} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			now := time.Now().Add(10 * time.Minute).UTC()
			w.Header().Set("Date", now.Format(http.TimeFormat))
			w.Header().Set("Content-Type", "application/json")
			if (n.Add(1)%2 == 1) == skewFirst {
				w.WriteHeader(403)
				w.Write([]byte(skewMessage(r.Header.Get("X-Amz-Date"), now)))
				return
			}
			w.Header().Set("X-Amzn-Errortype", "ExpiredTokenException")
			w.WriteHeader(403)
			w.Write([]byte(`{"message":"The security token included in the request is expired"}`))
		}))
		t.Cleanup(srv.Close)
		sts := &rotatingSTS{aws: time.Now, life: time.Hour, keys: map[string]aws.Credentials{}}
		var hooks atomic.Int32
		tr, err := transport.New(func(o *transport.Options) {
			o.Region, o.Service, o.Credentials = "us-east-1", "es", sts
			o.OnForbidden = func(*transport.Diagnosis) { hooks.Add(1) }
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := (&http.Client{Transport: tr}).Post(srv.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 || n.Load() != 3 || hooks.Load() != 3 {
			t.Errorf("skew first %v: %d after %d round trips and %d diagnoses, want 403 after 3 and 3", skewFirst, res.StatusCode, n.Load(), hooks.Load())
		}
	}
}
