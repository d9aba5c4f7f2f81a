package credentials

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestCacheSyncClockJudgesByAWSTime: a cache on a clock ten minutes behind
// AWS's, told AWS's time, refreshes five minutes before the expiry AWS
// will enforce and never serves credentials past it; a zero time puts it
// back on its own clock.
func TestCacheSyncClockJudgesByAWSTime(t *testing.T) {
	awsClock := &fakeClock{t: t0}
	local := func() time.Time { return awsClock.Now().Add(-10 * time.Minute) }
	p := &countingProvider{clock: awsClock, life: 30 * time.Minute} // the source states AWS's time
	c := NewCache(p, func(o *CacheOptions) { o.Clock = local })
	ctx := context.Background()
	if got, err := c.Retrieve(ctx); err != nil || got.AccessKeyID != "AKID0001" {
		t.Fatalf("first: %v, %v", got.AccessKeyID, err)
	}
	c.SyncClock(awsClock.Now())

	// 25 minutes by AWS's clock (15 by the local one): the refresh is due.
	awsClock.Set(t0.Add(25 * time.Minute))
	c.Retrieve(ctx)
	waitFor(t, "the refresh due by AWS's clock", func() bool { return p.calls.Load() == 2 })

	// The zero time forgets the correction: the new credentials (expiring
	// at AWS 55 min) are then judged by the local clock (AWS - 10 min).
	c.SyncClock(time.Time{})
	awsClock.Set(t0.Add(55*time.Minute + time.Second)) // expired for AWS, 9 minutes left locally
	if got, err := c.Retrieve(ctx); err != nil || got.AccessKeyID != "AKID0002" {
		t.Fatalf("on the local clock: %v, %v; want the credentials it thinks valid", got.AccessKeyID, err)
	}
	waitFor(t, "no refresh in flight", func() bool { return c.flightOrNil() == nil })
	c.SyncClock(awsClock.Now())
	got, err := c.Retrieve(ctx)
	if err != nil || got.AccessKeyID == "AKID0002" || !got.Expires.After(awsClock.Now()) {
		t.Fatalf("told AWS's time again: %v (expires %v), %v; want fresh credentials", got.AccessKeyID, got.Expires, err)
	}
}

// TestCacheSyncClockForgetsFailuresOfTheOldClock: credentials refused as
// expired by a corrected clock (a forged offset two hours ahead) are not
// held against the source once the correction is dropped: the next
// Retrieve asks it again at once, instead of repeating the failure.
func TestCacheSyncClockForgetsFailuresOfTheOldClock(t *testing.T) {
	clock := &fakeClock{t: t0}
	p := &countingProvider{clock: clock, life: time.Hour}
	c := newTestCache(p, clock)
	c.SyncClock(t0.Add(2 * time.Hour))
	_, err := c.Retrieve(context.Background())
	if err == nil || !strings.Contains(err.Error(), "returned credentials that expired at 2026-11-22T07:00:00Z (now 2026-11-22T08:00:00Z by AWS's clock, which is 2h0m0s from this machine's)") {
		t.Fatalf("err = %v", err)
	}
	c.SyncClock(time.Time{})
	if got, err := c.Retrieve(context.Background()); err != nil || got.AccessKeyID != "AKID0002" {
		t.Fatalf("after dropping the offset: %v, %v", got.AccessKeyID, err)
	}
}
