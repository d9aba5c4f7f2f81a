package transport_test

import (
	"context"
	"flag"
	"fmt"
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
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

var loadRequests = flag.Int("load.requests", 5000, "requests for TestLoad (run at least 200000 for the long run)")

// rotating hands out a new key at each retrieval, from a set the endpoint
// accepts, as a role's credentials rotate.
type rotating struct {
	keys []aws.Credentials
	n    atomic.Int64
}

func (r *rotating) Retrieve(context.Context) (aws.Credentials, error) {
	c := r.keys[int(r.n.Add(1)-1)%len(r.keys)]
	c.CanExpire, c.Expires = true, time.Now().Add(time.Hour)
	return c, nil
}

// waitGoroutines waits up to 5 s for the goroutine count to fall to n and
// returns the count.
func waitGoroutines(n int) int {
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	return runtime.NumGoroutine()
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestLoad drives 64 goroutines through the transport to a verifying
// endpoint on loopback while the credentials rotate every 300 ms: no
// request may be rejected, the goroutine count must return to where it was,
// and the heap after the run (after GC) must stay within 10% of the heap
// before it.
func TestLoad(t *testing.T) {
	keys := make([]aws.Credentials, 4096)
	for i := range keys {
		keys[i] = aws.Credentials{AccessKeyID: fmt.Sprintf("ASIALOAD%012d", i), SecretAccessKey: fmt.Sprintf("secret-%d", i), SessionToken: fmt.Sprintf("token-%d", i)}
	}
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) { o.Credentials, o.Region = keys, "us-east-1" })
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(v)
	defer srv.Close()
	prov := &rotating{keys: keys}
	cache := credentials.NewCache(prov)
	base := &http.Transport{MaxIdleConnsPerHost: 64}
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials, o.Base, o.Endpoint = "us-east-1", cache, base, srv.URL
	})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: tr}

	// Warm up at full concurrency first, so that "before" already holds
	// what any run of 64 concurrent connections leaves for reuse (the
	// runtime keeps dead goroutines' records; maps keep their buckets): the
	// check is for growth with the number of requests, which is a leak.
	goroutinesBefore := runtime.NumGoroutine()
	var warm sync.WaitGroup
	for g := 0; g < 64; g++ {
		warm.Add(1)
		go func() {
			defer warm.Done()
			for i := 0; i < 5; i++ {
				if res, err := client.Post(srv.URL+"/logs/_doc", "application/json", strings.NewReader(`{}`)); err == nil {
					res.Body.Close()
				}
			}
		}()
	}
	warm.Wait()
	base.CloseIdleConnections()
	srv.CloseClientConnections()
	waitGoroutines(goroutinesBefore)
	heapBefore := heapAfterGC()
	warmed := v.Accepted()

	stop := make(chan struct{})
	rotated := make(chan int)
	go func() {
		n := 0
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				cache.Invalidate()
				n++
			case <-stop:
				rotated <- n
				return
			}
		}
	}()

	var next, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*loadRequests) {
				res, err := client.Post(srv.URL+"/logs/_doc", "application/json", strings.NewReader(`{"msg":"負荷テスト","n":1}`))
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				if res.StatusCode != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, res.Status)
				}
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	rotations := <-rotated

	if failed.Load() != 0 || v.Rejected() != 0 {
		t.Errorf("%d failed, %d rejected; first: %v", failed.Load(), v.Rejected(), firstErr.Load())
	}
	if v.Accepted()-warmed != int64(*loadRequests) {
		t.Errorf("accepted %d of %d", v.Accepted()-warmed, *loadRequests)
	}

	base.CloseIdleConnections()
	srv.CloseClientConnections()
	goroutinesAfter := waitGoroutines(goroutinesBefore)
	heapAfter := heapAfterGC()
	if goroutinesAfter > goroutinesBefore {
		t.Errorf("goroutines: %d before, %d after", goroutinesBefore, goroutinesAfter)
	}
	if float64(heapAfter) > 1.10*float64(heapBefore) {
		t.Errorf("heap after GC: %d bytes before, %d after (%.1f%%)", heapBefore, heapAfter, 100*float64(heapAfter)/float64(heapBefore))
	}
	t.Logf("%d requests by 64 goroutines in %v (%.0f req/s), %d rejected; credentials fetched %d times over %d rotations; goroutines %d -> %d; heap after GC %d -> %d bytes (%.1f%%)",
		*loadRequests, elapsed.Round(time.Millisecond), float64(*loadRequests)/elapsed.Seconds(), v.Rejected(),
		prov.n.Load(), rotations, goroutinesBefore, goroutinesAfter, heapBefore, heapAfter, 100*float64(heapAfter)/float64(heapBefore))
}
