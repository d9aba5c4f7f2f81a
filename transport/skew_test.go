package transport_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// forger answers every request with a clock-skew 403 whose Date is off by
// dateOff from the real time and whose message states a time off by
// statedOff, as a hostile host might.
func forger(t *testing.T, dateOff, statedOff time.Duration) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UTC()
		w.Header().Set("Date", now.Add(dateOff).Format(http.TimeFormat))
		w.WriteHeader(403)
		w.Write([]byte(skewMessage(r.Header.Get("X-Amz-Date"), now.Add(statedOff))))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// hourCreds are the rig's credentials, valid for an hour from now.
type hourCreds struct{ calls atomic.Int32 }

func (p *hourCreds) Retrieve(context.Context) (aws.Credentials, error) {
	p.calls.Add(1)
	c := goodCreds
	c.CanExpire, c.Expires = true, time.Now().Add(time.Hour)
	return c, nil
}

func get(t *testing.T, tr http.RoundTripper, url string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestForgedSkewDoesNotStopTheTransport: a clock-skew 403 whose Date
// disagrees with the time its message states teaches nothing; one that
// agrees, two hours ahead, is learned, but makes the hour-long credentials
// look expired, which shows the offset wrong: requests to a genuine host
// still go out, are accepted, and the offset is dropped. Before, every
// later request to every host failed locally until restart.
func TestForgedSkewDoesNotStopTheTransport(t *testing.T) {
	rg := newRig(t, "es")
	var dates []string
	var mu sync.Mutex
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) {
		o.Credentials = &hourCreds{}
		o.Trace = func(tr signer.Trace) {
			mu.Lock()
			dates = append(dates, strings.Split(tr.StringToSign, "\n")[1])
			mu.Unlock()
		}
	})
	if code := get(t, tr, forger(t, 2*time.Hour, 0)+"/"); code != 403 {
		t.Fatalf("forger: %d", code)
	}
	if code := get(t, tr, rg.srv.URL+"/"); code != 200 {
		t.Fatalf("after a Date that disagrees with the message: %d", code)
	}
	if len(dates) != 2 || absDiff(dates[1], time.Now()) > time.Minute {
		t.Fatalf("signing times %q: the disagreeing Date was learned", dates)
	}

	start := time.Now()
	get(t, tr, forger(t, 2*time.Hour, 2*time.Hour)+"/") // learned, retried once
	failed := 0
	for i := 0; i < 5; i++ {
		if code := get(t, tr, rg.srv.URL+"/"); code != 200 {
			failed++
		}
	}
	t.Logf("after a consistent forgery 2 h ahead: %d of 5 requests to the genuine host failed; recovered in %v", failed, time.Since(start).Round(time.Millisecond))
	if failed != 0 {
		t.Errorf("%d of 5 requests to the genuine host failed after a forged skew", failed)
	}
}

// rotatingCreds serves credentials that AWS's clock says just expired (but
// a clock ten minutes behind says are valid for nine more minutes), then
// fresh ones: a credential rotation seen from a machine whose clock lags.
type rotatingCreds struct{ calls atomic.Int32 }

func (p *rotatingCreds) Retrieve(context.Context) (aws.Credentials, error) {
	c := goodCreds
	c.CanExpire, c.Expires = true, time.Now().Add(time.Hour)
	if p.calls.Add(1) == 1 {
		c.Expires = time.Now().Add(-time.Minute)
	}
	return c, nil
}

// TestLaggingClockSurvivesRotation: with this machine's clock ten minutes
// behind AWS's, the transport learns the offset, and the one corrected
// clock decides expiry as well as signing, so credentials that expired by
// AWS's clock are refreshed instead of failing every request until the
// local clock catches up.
func TestLaggingClockSurvivesRotation(t *testing.T) {
	rg := newRig(t, "es")
	p := &rotatingCreds{}
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) {
		o.Credentials = p
		o.Clock = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	})
	for i := 0; i < 5; i++ {
		if code := get(t, tr, rg.srv.URL+"/"); code != 200 {
			t.Errorf("request %d: %d", i, code)
		}
	}
	if p.calls.Load() != 2 {
		t.Errorf("provider called %d times, want 2 (the stale credentials, then fresh ones)", p.calls.Load())
	}
}

// TestRevokedTokenRefreshesOnce: 32 concurrent requests signed with a
// revoked token all get an invalid-token 403; the credentials are dropped
// once, not once per 403, and each request's retry uses the new ones.
func TestRevokedTokenRefreshesOnce(t *testing.T) {
	rg := newRig(t, "es")
	p := &tokenProvider{} // a revoked (stale) token first, then a good one
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) { o.Credentials = credentials.NewCache(p) })
	// The revoked credentials are fetched and cached first.
	if code := get(t, tr, forger(t, 0, 0)+"/"); code != 403 {
		t.Fatal(code)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	gate := make(chan struct{})
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			req, _ := http.NewRequest("GET", rg.srv.URL+"/", nil)
			res, err := tr.RoundTrip(req)
			if err != nil || res.StatusCode != 200 {
				failed.Add(1)
			}
			if res != nil {
				res.Body.Close()
			}
		}()
	}
	close(gate)
	wg.Wait()
	t.Logf("provider calls for one revoked token: %d; requests failed: %d of 32", p.calls.Load(), failed.Load())
	if p.calls.Load() != 2 {
		t.Errorf("provider called %d times for one revoked token, want 2", p.calls.Load())
	}
	if failed.Load() != 0 {
		t.Errorf("%d of 32 requests failed", failed.Load())
	}
}

func absDiff(amzDate string, t time.Time) time.Duration {
	d, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return time.Hour * 1000
	}
	if x := d.Sub(t); x > 0 {
		return x
	}
	return t.Sub(d)
}
