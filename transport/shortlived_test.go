package transport_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// containerEndpoint serves the ECS/EKS container credentials protocol on
// loopback, handing out sts's credentials, and points
// AWS_CONTAINER_CREDENTIALS_FULL_URI at it for the test.
func containerEndpoint(t *testing.T, sts *rotatingSTS) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := sts.Retrieve(r.Context())
		if err != nil {
			http.Error(w, `{"code":"InternalError","message":"out of keys"}`, 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken,
			"Expiration": c.Expires.UTC().Format(time.RFC3339),
		})
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", srv.URL+"/v2/credentials/pod-role")
}

// TestSixtySecondContainerCredentials: a container endpoint (EKS Pod
// Identity, an ECS test setup) hands out credentials that live 60 seconds.
// Through the SDK's default chain (its container provider, as a transport
// without Credentials uses it), two minutes of requests, one per simulated
// second, are all accepted by an endpoint that refuses an expired token,
// and no expired key is ever sent: the cache refreshes halfway through each
// credential's life. Before, the SDK's five-minute expiry window made every
// such credential look expired on arrival, and every request failed.
func TestSixtySecondContainerCredentials(t *testing.T) {
	clock := &simClock{now: time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)}
	sts := &rotatingSTS{aws: clock.Now, life: time.Minute, keys: map[string]aws.Credentials{}}
	containerEndpoint(t, sts)
	ep := newRotationEndpoint(t, clock.Now, sts, true)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service, o.Base, o.Clock = "us-east-1", "es", base, clock.Now
	})
	if err != nil {
		t.Fatal(err)
	}
	run := rotationRun{requests: 121}
	for i := 0; i < run.requests; i++ {
		if i > 0 {
			clock.Advance(time.Second)
		}
		req, _ := http.NewRequest("GET", ep.srv.URL+"/_cluster/health", nil)
		res, err := tr.RoundTrip(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				err = errors.New(res.Status)
			}
		}
		if err != nil {
			if run.failed++; run.failed == 3 {
				t.Fatalf("second %d: the third failure: %v", i, err)
			}
		}
		settle(clock, sts)
	}
	run.providerCalls, run.roundTrips = sts.Calls(), int(ep.roundTrips.Load())
	run.refusedSkew, run.refusedExpired = int(ep.skewed.Load()), int(ep.expired.Load())
	sts.mu.Lock()
	left := sts.left
	sts.mu.Unlock()
	t.Logf("60-second credentials, 2 minutes: %v; each refresh with %v left", run, left)
	if run.failed != 0 || ep.accepted.Load() != int32(run.requests) {
		t.Errorf("%d of %d requests failed; %d accepted", run.failed, run.requests, ep.accepted.Load())
	}
	if run.refusedExpired != 0 || run.roundTrips != run.requests {
		t.Errorf("%d requests sent with an expired key; %d round trips for %d requests", run.refusedExpired, run.roundTrips, run.requests)
	}
	// A fetch at 0 s, then one about halfway through each credential's
	// life, measured from when the fetch returned: at 30, 60, 90 and 120 s,
	// or a second or two later each on a slow machine.
	if run.providerCalls < 4 || run.providerCalls > 5 {
		t.Errorf("%d container endpoint calls, want 5 (at 0, 30, 60, 90, 120 s), or 4", run.providerCalls)
	}
	for _, l := range left {
		if l > 30*time.Second || l < 20*time.Second {
			t.Errorf("a refresh with %v left of 60 s, want about half", l)
		}
	}
}
