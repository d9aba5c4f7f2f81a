package credentials

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/credcheck"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

const (
	// DefaultRefreshAhead is how long before expiry the cache fetches new
	// credentials in the background. Role credentials usually live an hour
	// or more, and IMDS and the container endpoints serve new ones well
	// before the old expire; five minutes leaves room for several retries
	// before any caller has to wait. Credentials that live less than twice
	// as long are refreshed halfway through their life instead (see
	// CacheOptions.RefreshAhead).
	DefaultRefreshAhead = 5 * time.Minute

	// DefaultFetchTimeout bounds one retrieval from the underlying provider
	// when no caller's context is waiting on it (a background refresh, or a
	// fetch whose callers gave up).
	DefaultFetchTimeout = 30 * time.Second

	// expiryMargin: credentials this close to expiry count as expired,
	// since a request signed with them must still reach AWS before they
	// expire.
	expiryMargin = 10 * time.Second

	// Background refresh retries back off from minRetryDelay to
	// maxRetryDelay, with jitter.
	minRetryDelay = time.Second
	maxRetryDelay = time.Minute
)

// CacheOptions configure a [Cache].
type CacheOptions struct {
	// RefreshAhead is how long before expiry a background refresh starts.
	// Zero means DefaultRefreshAhead. For credentials that live less than
	// twice this long from when they were fetched (EKS Pod Identity and ECS
	// test setups hand out a minute or a few; a source may hand out
	// credentials late in their life), the refresh starts halfway through
	// that life: the first half serves without any refresh, and the second
	// leaves as long again for the refresh and its retries before the
	// credentials stop being served, 10 seconds before the expiry the
	// source stated. 60-second credentials are refreshed after 30 seconds.
	RefreshAhead time.Duration
	// FetchTimeout bounds one retrieval; zero means DefaultFetchTimeout.
	FetchTimeout time.Duration
	// Clock returns the current time; nil means time.Now. Tests set it.
	Clock func() time.Time
	// Logger, when not nil, receives a warning for each failed background
	// refresh (never a secret).
	Logger *slog.Logger
}

// Cache wraps a provider: it returns cached credentials while they are
// valid, refreshes them in the background ahead of expiry so that no
// caller waits on the network in steady state, runs one retrieval at a
// time, keeps serving credentials that are still valid while a refresh
// fails (retrying with backoff), and never returns expired credentials.
// Cache is safe for concurrent use. Create one with [NewCache].
type Cache struct {
	provider aws.CredentialsProvider
	opts     CacheOptions

	// offset is what SyncClock learned: AWS's time minus Clock's, in
	// nanoseconds. now() adds it to Clock, and that corrected clock judges
	// expiry and refresh.
	offset atomic.Int64

	// fresh is what Retrieve returns without the lock while the clock is
	// before its until: the cached credentials before their refresh is
	// due. Set with the credentials, dropped by Invalidate.
	fresh atomic.Pointer[freshCreds]

	mu        sync.Mutex
	creds     aws.Credentials
	have      bool
	fetchedAt time.Time
	flight    *flight
	failures  int
	retryAt   time.Time // no background refresh before this, after a failure
	failedAt  time.Time // when lastErr happened
	lastErr   error     // the last failure, returned for minRetryDelay
}

// freshCreds is credentials that need nothing done before until (for
// credentials that can expire).
type freshCreds struct {
	creds aws.Credentials
	until time.Time
}

// flight is one retrieval in progress; done is closed when it ends.
type flight struct {
	done    chan struct{}
	started time.Time
	creds   aws.Credentials
	err     error
}

// abandonAfter is how long past FetchTimeout a retrieval may go on before
// the cache stops waiting for it: a provider that ignores its context must
// not hold every later caller.
const abandonAfter = 5 * time.Second

// NewCache returns a cache around provider. It does no I/O.
func NewCache(provider aws.CredentialsProvider, optFns ...func(*CacheOptions)) *Cache {
	var o CacheOptions
	for _, fn := range optFns {
		fn(&o)
	}
	if o.RefreshAhead <= 0 {
		o.RefreshAhead = DefaultRefreshAhead
	}
	if o.FetchTimeout <= 0 {
		o.FetchTimeout = DefaultFetchTimeout
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Cache{provider: provider, opts: o}
}

// Name names the wrapped provider.
func (c *Cache) Name() string { return sourceName(c.provider) }

// Retrieve returns valid credentials. While the cached ones are valid it
// returns them at once, starting a background refresh when they are near
// expiry. Otherwise it waits for a retrieval (shared with concurrent
// callers) until it ends or ctx is done; a retrieval outlives a caller who
// gives up, and its result serves the next.
func (c *Cache) Retrieve(ctx context.Context) (aws.Credentials, error) {
	// The steady state, without the lock (and, for credentials that never
	// expire, without reading the clock).
	fc := c.fresh.Load()
	if fc != nil && !fc.creds.CanExpire {
		return fc.creds, nil
	}
	now := c.now()
	if fc != nil && now.Before(fc.until) {
		return fc.creds, nil
	}
	c.mu.Lock()
	if f := c.flight; f != nil && time.Since(f.started) > c.opts.FetchTimeout+abandonAfter {
		c.flight = nil // stuck in a provider that ignores its context
	}
	if c.have && c.usable(c.creds, now) {
		if c.creds.CanExpire && !now.Before(c.refreshAt()) && c.flight == nil && !now.Before(c.retryAt) {
			c.start(context.Background())
		}
		creds := c.creds
		c.mu.Unlock()
		return creds, nil
	}
	f := c.flight
	if f == nil {
		if c.lastErr != nil && now.Before(c.failedAt.Add(minRetryDelay)) {
			// The source failed a moment ago: do not ask it again for
			// every request.
			err := c.lastErr
			c.mu.Unlock()
			return aws.Credentials{}, err
		}
		f = c.start(ctx)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
		return aws.Credentials{}, &ProviderError{Source: c.Name(), Problem: "gave up waiting for credentials", Err: ctx.Err()}
	}
}

// Invalidate drops the cached credentials, so that the next Retrieve
// fetches new ones: for when AWS rejected them (an expired or revoked
// token).
func (c *Cache) Invalidate() {
	c.mu.Lock()
	c.fresh.Store(nil)
	c.creds, c.have = aws.Credentials{}, false
	c.retryAt, c.lastErr = time.Time{}, nil
	c.mu.Unlock()
}

// SyncClock tells the cache what time AWS's clock shows now, as a
// transport learns it from a clock-skew refusal: from then on the cache
// judges expiry and refresh by its Clock plus the difference, the time by
// which AWS judges the credentials. A zero time forgets the correction. A
// Transport calls it for a Cache passed to it as Options.Credentials
// whenever the offset it learned changes, so that a cache on a clock ten
// minutes behind AWS's does not serve credentials AWS says expired.
func (c *Cache) SyncClock(awsNow time.Time) {
	var off time.Duration
	if !awsNow.IsZero() {
		off = awsNow.Sub(c.opts.Clock())
	}
	if c.offset.Swap(int64(off)) == int64(off) {
		return
	}
	// A failure judged on the old clock (credentials that looked expired)
	// says nothing about the new one.
	c.mu.Lock()
	c.retryAt, c.lastErr = time.Time{}, nil
	c.mu.Unlock()
}

// now is the corrected clock: Clock plus the offset SyncClock learned.
func (c *Cache) now() time.Time {
	if off := c.offset.Load(); off != 0 {
		return c.opts.Clock().Add(time.Duration(off))
	}
	return c.opts.Clock()
}

// usable reports whether creds can sign a request now.
func (c *Cache) usable(creds aws.Credentials, now time.Time) bool {
	return !creds.CanExpire || now.Add(expiryMargin).Before(creds.Expires)
}

// refreshAt is when a background refresh is due: RefreshAhead before
// expiry, or halfway through the credentials' life if that is later.
func (c *Cache) refreshAt() time.Time {
	ahead := c.opts.RefreshAhead
	if half := c.creds.Expires.Sub(c.fetchedAt) / 2; half < ahead {
		ahead = half
	}
	return c.creds.Expires.Add(-ahead)
}

// freshUntil is when the cached credentials stop being served without
// the lock: when their refresh is due, or when they stop being usable if
// that comes first. c.mu must be held.
func (c *Cache) freshUntil() time.Time {
	until := c.refreshAt()
	if u := c.creds.Expires.Add(-expiryMargin); u.Before(until) {
		until = u
	}
	return until
}

// start begins a retrieval; c.mu must be held.
func (c *Cache) start(parent context.Context) *flight {
	f := &flight{done: make(chan struct{}), started: time.Now()}
	c.flight = f
	go c.fetch(context.WithoutCancel(parent), f)
	return f
}

func (c *Cache) fetch(parent context.Context, f *flight) {
	ctx, cancel := context.WithTimeout(parent, c.opts.FetchTimeout)
	creds, err := c.provider.Retrieve(ctx)
	cancel()
	now := c.now()
	if err == nil {
		if problem := credcheck.Problem(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken); problem != "" {
			err = &ProviderError{Source: c.Name(), Problem: "returned credentials whose " + problem + "; check the credential source"}
			creds = aws.Credentials{}
		}
	}
	if err == nil && !c.usable(creds, now) {
		clock := ""
		if off := time.Duration(c.offset.Load()); off != 0 {
			clock = " by AWS's clock, which is " + off.Round(time.Second).String() + " from this machine's"
		}
		err = &ProviderError{Source: c.Name(), Problem: "returned credentials that expired at " +
			creds.Expires.UTC().Format(time.RFC3339) + " (now " + now.UTC().Format(time.RFC3339) + clock +
			"); check the source and this machine's clock"}
		creds = aws.Credentials{}
	}

	c.mu.Lock()
	current := c.flight == f // not abandoned
	if current {
		c.flight = nil
	}
	stillServing := false
	var expires, retryAt time.Time
	switch {
	case err == nil && (current || !c.have || !c.usable(c.creds, now)):
		c.creds, c.have, c.fetchedAt = creds, true, now
		c.failures, c.retryAt, c.lastErr = 0, time.Time{}, nil
		c.fresh.Store(&freshCreds{creds: creds, until: c.freshUntil()})
	case err != nil && current:
		c.failures++
		c.retryAt, c.failedAt, c.lastErr = now.Add(backoff(c.failures)), now, err
		stillServing = c.have && c.usable(c.creds, now)
		expires, retryAt = c.creds.Expires, c.retryAt
	}
	f.creds, f.err = creds, err
	c.mu.Unlock()
	close(f.done)
	if stillServing && c.opts.Logger != nil {
		c.opts.Logger.Warn("sigv4/credentials: background refresh failed; still using the current credentials",
			"source", c.Name(), "expires", expires, "retry_at", retryAt, "error", err.Error())
	}
}

// backoff returns the delay before retry n (n >= 1): exponential from
// minRetryDelay, capped at maxRetryDelay, with up to 50% jitter subtracted.
func backoff(n int) time.Duration {
	d := minRetryDelay
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	if d > maxRetryDelay {
		d = maxRetryDelay
	}
	return d - time.Duration(rand.Int64N(int64(d/2)+1))
}

// String describes the cache without its credentials.
func (c *Cache) String() string { return "credentials.Cache(" + c.Name() + ")" }

// Format writes String for every verb, so that no verb prints the fields.
func (c *Cache) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }
