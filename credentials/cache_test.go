package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var t0 = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

// countingProvider hands out credentials that expire after life, counting
// calls; fail makes it return an error, delay makes it slow.
type countingProvider struct {
	clock *fakeClock
	life  time.Duration
	calls atomic.Int32
	fail  atomic.Bool
	delay time.Duration
}

func (p *countingProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	n := p.calls.Add(1)
	if p.delay > 0 {
		select {
		case <-time.After(p.delay):
		case <-ctx.Done():
			return aws.Credentials{}, ctx.Err()
		}
	}
	if p.fail.Load() {
		return aws.Credentials{}, errors.New("provider down")
	}
	return aws.Credentials{
		AccessKeyID: fmt.Sprintf("AKID%04d", n), SecretAccessKey: sentinelSecret, SessionToken: sentinelToken,
		CanExpire: true, Expires: p.clock.Now().Add(p.life),
	}, nil
}

func newTestCache(p *countingProvider, clock *fakeClock, fns ...func(*CacheOptions)) *Cache {
	return NewCache(p, append([]func(*CacheOptions){func(o *CacheOptions) { o.Clock = clock.Now }}, fns...)...)
}

// waitFor polls cond for up to two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestCacheServesUntilRefreshWindow(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	c := newTestCache(p, clock)
	ctx := context.Background()
	first, err := c.Retrieve(ctx)
	if err != nil || first.AccessKeyID != "AKID0001" {
		t.Fatalf("first = %+v, %v", first, err)
	}
	// Boundary rows: one nanosecond before the refresh window, no refresh.
	clock.Set(t0.Add(time.Hour - DefaultRefreshAhead - time.Nanosecond))
	if c2, _ := c.Retrieve(ctx); c2.AccessKeyID != "AKID0001" || p.calls.Load() != 1 {
		t.Fatalf("before window: %s, %d calls", c2.AccessKeyID, p.calls.Load())
	}
	// Exactly at the window: the current credentials are returned and a
	// background refresh starts.
	clock.Set(t0.Add(time.Hour - DefaultRefreshAhead))
	if c3, _ := c.Retrieve(ctx); c3.AccessKeyID != "AKID0001" {
		t.Fatalf("at window: got %s, want the current credentials at once", c3.AccessKeyID)
	}
	waitFor(t, "the background refresh", func() bool { got, _ := c.Retrieve(ctx); return got.AccessKeyID == "AKID0002" })
	if n := p.calls.Load(); n != 2 {
		t.Errorf("%d provider calls, want 2", n)
	}
}

func TestCacheShortLivedCredentialsRefreshHalfway(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: 4 * time.Minute} // shorter than RefreshAhead
	c := newTestCache(p, clock)
	c.Retrieve(context.Background())
	clock.Set(t0.Add(2*time.Minute - time.Second))
	c.Retrieve(context.Background())
	time.Sleep(20 * time.Millisecond)
	if p.calls.Load() != 1 {
		t.Fatalf("refreshed before halfway: %d calls", p.calls.Load())
	}
	clock.Set(t0.Add(2 * time.Minute))
	c.Retrieve(context.Background())
	waitFor(t, "halfway refresh", func() bool { return p.calls.Load() == 2 })
}

// TestCacheOneRefreshAcrossExpiry: 1,000 goroutines asking across an
// expiry boundary cause exactly one refresh.
func TestCacheOneRefreshAcrossExpiry(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour, delay: 50 * time.Millisecond}
	c := newTestCache(p, clock)
	if _, err := c.Retrieve(context.Background()); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(time.Hour)) // expired: everyone must wait for new ones
	var wg sync.WaitGroup
	var bad atomic.Int32
	start := make(chan struct{})
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, err := c.Retrieve(context.Background())
			if err != nil || got.AccessKeyID != "AKID0002" {
				bad.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if n := p.calls.Load(); n != 2 {
		t.Errorf("provider called %d times, want 2 (the first fetch and one refresh)", n)
	}
	if bad.Load() != 0 {
		t.Errorf("%d callers did not get the refreshed credentials", bad.Load())
	}
}

// TestCacheSlowProviderBlocksNobody: while cached credentials are valid, a
// provider that takes seconds delays no caller.
func TestCacheSlowProviderBlocksNobody(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	c := newTestCache(p, clock)
	c.Retrieve(context.Background())
	p.delay = 3 * time.Second
	clock.Set(t0.Add(58 * time.Minute)) // inside the refresh window, still valid
	var slowest time.Duration
	for i := 0; i < 100; i++ {
		start := time.Now()
		got, err := c.Retrieve(context.Background())
		if d := time.Since(start); d > slowest {
			slowest = d
		}
		if err != nil || got.AccessKeyID != "AKID0001" {
			t.Fatalf("got %+v, %v", got, err)
		}
	}
	if slowest > 50*time.Millisecond {
		t.Errorf("slowest Retrieve took %v while a 3s refresh ran", slowest)
	}
	waitFor(t, "the background refresh to start", func() bool { return p.calls.Load() >= 2 })
	c.Retrieve(context.Background())
	if n := p.calls.Load(); n != 2 {
		t.Errorf("%d provider calls, want 2: one refresh at a time", n)
	}
}

func TestCacheRefreshFailureKeepsServingThenErrors(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	var logs testenv.Buffer
	c := newTestCache(p, clock, func(o *CacheOptions) { o.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	c.Retrieve(context.Background())
	p.fail.Store(true)

	clock.Set(t0.Add(56 * time.Minute))
	got, err := c.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKID0001" {
		t.Fatalf("during a failing refresh: %+v, %v", got, err)
	}
	waitFor(t, "the failed refresh", func() bool { return p.calls.Load() == 2 && !strings.Contains(fmt.Sprint(c.flightOrNil()), "flight") })
	// Within the backoff no new attempt is made.
	c.Retrieve(context.Background())
	time.Sleep(10 * time.Millisecond)
	if n := p.calls.Load(); n != 2 {
		t.Errorf("retried within the backoff: %d calls", n)
	}
	// After the backoff, another background attempt; still serving.
	clock.Set(t0.Add(57 * time.Minute))
	if got, err := c.Retrieve(context.Background()); err != nil || got.AccessKeyID != "AKID0001" {
		t.Fatalf("still valid: %+v, %v", got, err)
	}
	waitFor(t, "the retry and its log line", func() bool {
		return p.calls.Load() == 3 && strings.Count(logs.String(), "background refresh failed") == 2
	})
	if !strings.Contains(logs.String(), "background refresh failed") || !strings.Contains(logs.String(), "provider down") {
		t.Errorf("no warning logged: %q", logs.String())
	}
	noSecrets(t, "log", logs.String())

	// Expired, provider still down: an error, never the expired credentials.
	clock.Set(t0.Add(time.Hour))
	got, err = c.Retrieve(context.Background())
	if err == nil || got.AccessKeyID != "" || !strings.Contains(err.Error(), "provider down") {
		t.Fatalf("after expiry: %+v, %v", got, err)
	}
	// Within a second of that failure, callers get it at once: the source
	// is not asked again for every request.
	calls := p.calls.Load()
	if _, err := c.Retrieve(context.Background()); err == nil || p.calls.Load() != calls {
		t.Fatalf("within a second of a failure: err %v, %d new calls", err, p.calls.Load()-calls)
	}
	// The provider recovers: the next call after that gets new credentials.
	p.fail.Store(false)
	clock.Set(t0.Add(time.Hour + time.Second))
	if got, err = c.Retrieve(context.Background()); err != nil || got.AccessKeyID == "AKID0001" {
		t.Fatalf("after recovery: %+v, %v", got, err)
	}
}

// flightOrNil lets a test see whether a retrieval is in progress.
func (c *Cache) flightOrNil() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flight != nil {
		return "flight"
	}
	return nil
}

func TestCacheExpiryMarginBoundary(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	c := newTestCache(p, clock)
	c.Retrieve(context.Background())
	p.fail.Store(true)
	clock.Set(t0.Add(time.Hour - expiryMargin - time.Nanosecond))
	if got, err := c.Retrieve(context.Background()); err != nil || got.AccessKeyID != "AKID0001" {
		t.Fatalf("one nanosecond before the margin: %+v, %v", got, err)
	}
	waitFor(t, "refresh attempt", func() bool { return c.flightOrNil() == nil })
	clock.Set(t0.Add(time.Hour - expiryMargin))
	if _, err := c.Retrieve(context.Background()); err == nil {
		t.Fatal("credentials inside the expiry margin were returned")
	}
}

func TestCacheRejectsExpiredFromProvider(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: -time.Minute}
	_, err := newTestCache(p, clock).Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "returned credentials that expired") {
		t.Fatalf("err = %v", err)
	}
}

func TestCacheInvalidate(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	c := newTestCache(p, clock)
	c.Retrieve(context.Background())
	c.Invalidate()
	if got, _ := c.Retrieve(context.Background()); got.AccessKeyID != "AKID0002" {
		t.Errorf("after Invalidate got %s, want new credentials", got.AccessKeyID)
	}
}

// TestCacheNonExpiringCredentialsFetchedOnce: credentials that never
// expire are fetched once and then served without reading the clock
// (a clock read is a tenth of the cost of signing a GET).
func TestCacheNonExpiringCredentialsFetchedOnce(t *testing.T) {
	var calls, clockReads atomic.Int32
	c := NewCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		calls.Add(1)
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: sentinelSecret}, nil
	}), func(o *CacheOptions) { o.Clock = func() time.Time { clockReads.Add(1); return time.Now() } })
	for i := 0; i < 10; i++ {
		if cr, err := c.Retrieve(context.Background()); err != nil || cr.AccessKeyID != "AKID" {
			t.Fatalf("Retrieve: %v, %v", cr.AccessKeyID, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
	first := clockReads.Load()
	for i := 0; i < 10; i++ {
		c.Retrieve(context.Background())
	}
	if n := clockReads.Load() - first; n != 0 {
		t.Errorf("the clock was read %d times for 10 retrievals of cached credentials that never expire, want 0", n)
	}
}

// TestCacheCancelWhileWaiting: a caller whose context ends stops waiting at
// once; the retrieval finishes on its own and serves the next caller, and
// no goroutine is left behind.
func TestCacheCancelWhileWaiting(t *testing.T) {
	before := runtime.NumGoroutine()
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour, delay: 200 * time.Millisecond}
	c := newTestCache(p, clock)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Retrieve(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 150*time.Millisecond {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	got, err := c.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKID0001" || p.calls.Load() != 1 {
		t.Fatalf("next caller: %+v, %v, %d calls", got, err, p.calls.Load())
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestCacheFormatsWithoutSecrets(t *testing.T) {
	clock := &fakeClock{t: t0}
	c := newTestCache(&countingProvider{clock: clock, life: time.Hour}, clock)
	c.Retrieve(context.Background())
	noSecrets(t, "%v of Cache", fmt.Sprintf("%v %+v %#v %s", c, c, c, c))
	if s := c.String(); !strings.HasPrefix(s, "credentials.Cache(") {
		t.Errorf("String = %q", s)
	}
}

func TestBackoff(t *testing.T) {
	for n, max := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: time.Minute, 100: time.Minute} {
		for i := 0; i < 50; i++ {
			if d := backoff(n); d > max || d < max/2 {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, max/2, max)
			}
		}
	}
}

// sequenceProvider returns the credentials given, one per call, then the
// last forever, counting calls.
type sequenceProvider struct {
	seq   []aws.Credentials
	calls atomic.Int32
}

func (p *sequenceProvider) Retrieve(context.Context) (aws.Credentials, error) {
	n := int(p.calls.Add(1)) - 1
	return p.seq[min(n, len(p.seq)-1)], nil
}

// TestCacheRefusesMalformedCredentials: an answer with an empty key or a
// line break in a field is a failed fetch, named by source and field but
// never quoted: it is not cached for its lifetime, valid credentials keep
// being served, and the source is asked again after the backoff.
func TestCacheRefusesMalformedCredentials(t *testing.T) {
	good := func(id string) aws.Credentials {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: sentinelSecret, SessionToken: sentinelToken, CanExpire: true, Expires: t0.Add(time.Hour)}
	}
	for _, c := range []struct {
		name string
		bad  aws.Credentials
		says string
	}{
		{"empty key", aws.Credentials{SecretAccessKey: sentinelSecret, CanExpire: true, Expires: t0.Add(time.Hour)}, "access key id is empty"},
		{"empty secret", aws.Credentials{AccessKeyID: "AKIDBAD", CanExpire: true, Expires: t0.Add(time.Hour)}, "secret access key is empty"},
		{"token with CRLF", aws.Credentials{AccessKeyID: "AKIDBAD", SecretAccessKey: sentinelSecret, SessionToken: sentinelToken + "\r\nX-Injected: 1", CanExpire: true, Expires: t0.Add(time.Hour)}, "session token holds a control character"},
		{"key with LF", aws.Credentials{AccessKeyID: "AKID\nBAD", SecretAccessKey: sentinelSecret, CanExpire: true, Expires: t0.Add(time.Hour)}, "access key id holds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			// Alone: the first fetch fails, naming the field.
			p := &sequenceProvider{seq: []aws.Credentials{c.bad}}
			_, err := NewCache(p, func(o *CacheOptions) { o.Clock = clock.Now }).Retrieve(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "check the credential source") {
				t.Fatalf("err = %v, want it to say %q", err, c.says)
			}
			noSecrets(t, "error", fmt.Sprintf("%v %+v", err, err))

			// As a refresh: the valid credentials keep being served, then
			// good ones replace them after the backoff.
			p = &sequenceProvider{seq: []aws.Credentials{good("AKIDOLD"), c.bad, good("AKIDNEW")}}
			cache := NewCache(p, func(o *CacheOptions) { o.Clock = clock.Now })
			cache.Retrieve(context.Background())
			clock.Set(t0.Add(56 * time.Minute))
			if got, err := cache.Retrieve(context.Background()); err != nil || got.AccessKeyID != "AKIDOLD" {
				t.Fatalf("during the bad refresh: %s, %v", got.AccessKeyID, err)
			}
			waitFor(t, "the bad refresh", func() bool { return p.calls.Load() == 2 && cache.flightOrNil() == nil })
			if got, _ := cache.Retrieve(context.Background()); got.AccessKeyID != "AKIDOLD" {
				t.Fatalf("after the bad refresh: %q, want the old credentials", got.AccessKeyID)
			}
			clock.Set(t0.Add(58 * time.Minute))
			cache.Retrieve(context.Background())
			waitFor(t, "the next refresh", func() bool { got, _ := cache.Retrieve(context.Background()); return got.AccessKeyID == "AKIDNEW" })
		})
	}
}

// TestCacheAbandonsStuckProvider: a provider that ignores its context does
// not hold later callers beyond FetchTimeout and a grace period.
func TestCacheAbandonsStuckProvider(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	c := NewCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		if calls.Add(1) == 1 {
			<-release // ignores its context
		}
		return aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: sentinelSecret}, nil
	}), func(o *CacheOptions) { o.FetchTimeout = time.Millisecond })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Retrieve(ctx); err == nil {
		t.Fatal("the stuck retrieval returned")
	}
	c.mu.Lock()
	c.flight.started = time.Now().Add(-time.Minute) // as if it had been stuck that long
	c.mu.Unlock()
	got, err := c.Retrieve(context.Background())
	if err != nil || got.AccessKeyID != "AKID" || calls.Load() != 2 {
		t.Fatalf("after abandoning the stuck retrieval: %q, %v, %d calls", got.AccessKeyID, err, calls.Load())
	}
}
