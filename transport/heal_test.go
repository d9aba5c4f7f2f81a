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
	opensearch "github.com/opensearch-project/opensearch-go/v2"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestClockSkewHealed: the first request is rejected for skew; the
// transport learns the offset from Date, retries once (accepted), and signs
// later requests with the offset.
func TestClockSkewHealed(t *testing.T) {
	for _, skew := range []time.Duration{-10 * time.Minute, 10 * time.Minute} {
		rg := newRig(t, "es")
		var diagnoses []*transport.Diagnosis
		var mu sync.Mutex
		tr := rg.transport(goodCreds, "es", func(o *transport.Options) {
			o.Clock = func() time.Time { return time.Now().Add(skew) }
			o.OnForbidden = func(d *transport.Diagnosis) { mu.Lock(); diagnoses = append(diagnoses, d); mu.Unlock() }
		})
		client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{rg.srv.URL}, Transport: tr})
		res, err := client.Index("skew", strings.NewReader(docBody("s")), client.Index.WithDocumentID("1"))
		mustOK(t, "index with a skewed clock", res, err, res.StatusCode)
		res.Body.Close()
		for i := 0; i < 3; i++ {
			res, err := client.Info()
			mustOK(t, "info after learning the offset", res, err, res.StatusCode)
			res.Body.Close()
		}
		seen := rg.requests()
		if len(seen) != 5 || seen[0].status != 403 || !strings.Contains(seen[0].message, "Signature") {
			t.Fatalf("skew %v: requests %+v", skew, seen)
		}
		if rg.verifier.Rejected() != 1 || rg.verifier.Accepted() != 4 {
			t.Errorf("skew %v: accepted %d, rejected %d", skew, rg.verifier.Accepted(), rg.verifier.Rejected())
		}
		if len(diagnoses) != 1 || diagnoses[0].Cause != transport.CauseClockSkew || diagnoses[0].ServerTime.IsZero() {
			t.Errorf("skew %v: diagnoses %+v", skew, diagnoses)
		}
		if _, ok := rg.store.Doc("skew", "1"); !ok {
			t.Error("the retried request's body did not arrive")
		}
	}
}

// skewServer answers every request 403 for clock skew as AWS does, its
// Date header and the time its message states both its own clock, with
// the headers given.
func skewServer(t *testing.T, hdr http.Header, count *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		now := time.Now().UTC()
		w.Header().Set("Date", now.Format(http.TimeFormat))
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		w.Write([]byte(skewMessage(r.Header.Get("X-Amz-Date"), now)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// skewMessage is AWS's body for a signature older than five minutes.
func skewMessage(signed string, now time.Time) string {
	const f = "20060102T150405Z"
	return `{"message":"Signature expired: ` + signed + ` is now earlier than ` + now.Add(-5*time.Minute).Format(f) + ` (` + now.Format(f) + ` - 5 min.)"}`
}

func TestSkewNotLearnedFromCachedResponse(t *testing.T) {
	var count atomic.Int32
	url := skewServer(t, http.Header{"Age": {"120"}}, &count)
	tr, _ := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
	})
	res, err := (&http.Client{Transport: tr}).Get(url)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if count.Load() != 1 {
		t.Errorf("%d requests: a response with Age must not teach the offset or cause a retry", count.Load())
	}
}

// TestAtMostOneTransparentRetry: an endpoint that always answers skew gets
// the request and one retry; OnForbidden sees both 403s, the retry's being
// the one the caller gets.
func TestAtMostOneTransparentRetry(t *testing.T) {
	var count atomic.Int32
	url := skewServer(t, nil, &count) // always skew: the retry fails too
	var hooks atomic.Int32
	tr, _ := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
		o.OnForbidden = func(*transport.Diagnosis) { hooks.Add(1) }
	})
	res, err := (&http.Client{Transport: tr}).Post(url, "application/json", strings.NewReader("{}"))
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if count.Load() != 2 {
		t.Errorf("%d requests, want 2: the original and one retry", count.Load())
	}
	if hooks.Load() != 2 {
		t.Errorf("OnForbidden called %d times, want 2: the retry's 403 too", hooks.Load())
	}
}

// tokenProvider hands out a stale token first, and a good one after each
// retrieval.
type tokenProvider struct{ calls atomic.Int32 }

func (p *tokenProvider) Retrieve(context.Context) (aws.Credentials, error) {
	c := goodCreds
	if p.calls.Add(1) == 1 {
		c.SessionToken = "stale-token"
	}
	c.CanExpire, c.Expires = true, time.Now().Add(time.Hour)
	return c, nil
}

// TestInvalidTokenHealed: a 403 for an invalid token invalidates the
// cached credentials, refreshes them and retries once.
func TestInvalidTokenHealed(t *testing.T) {
	rg := newRig(t, "es")
	p := &tokenProvider{}
	var causes []transport.Cause
	tr := rg.transport(goodCreds, "es", func(o *transport.Options) {
		o.Credentials = credentials.NewCache(p)
		o.OnForbidden = func(d *transport.Diagnosis) { causes = append(causes, d.Cause) }
	})
	res, err := (&http.Client{Transport: tr}).Post(rg.srv.URL+"/tok/_doc/1", "application/json", strings.NewReader(docBody("t")))
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if p.calls.Load() != 2 || len(causes) != 1 || causes[0] != transport.CauseInvalidToken {
		t.Errorf("provider calls %d, causes %v", p.calls.Load(), causes)
	}
	if rg.verifier.Rejected() != 1 || rg.verifier.Accepted() != 1 {
		t.Errorf("accepted %d, rejected %d", rg.verifier.Accepted(), rg.verifier.Rejected())
	}
}

// TestNoRetryWhenBodyCannotBeReplayed: a one-shot body signed via the
// seekable path cannot be sent twice, so the 403 comes back as it is.
func TestNoRetryWhenBodyCannotBeReplayed(t *testing.T) {
	var count atomic.Int32
	url := skewServer(t, nil, &count)
	tr, _ := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
	})
	f := seekableBody(t, "{}")
	req, _ := http.NewRequest("POST", url, nil)
	req.Body = f
	req.ContentLength = 2
	res, err := tr.RoundTrip(req)
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("%v %v", res, err)
	}
	res.Body.Close()
	if count.Load() != 1 {
		t.Errorf("%d requests, want 1", count.Load())
	}
}
