package bench_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
	"github.com/opensearch-sigv4/sigv4/proxy"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// BenchmarkProxy: a client sending _bulk bodies (1 KiB, 1 MiB) through
// the signing proxy, the same client signing directly with the transport,
// and an unsigned httputil.ReverseProxy, with 1 and 64 clients at once,
// to an upstream that answers at once and to one that answers after 10 ms
// (up10ms: a stand-in for a domain across the network, whose time is
// spent elsewhere; the delay is a sleep, not work on these CPUs).
// Beside ns/op: p50 and p99 latency, the peak heap in use while it ran
// (sampled), which must not grow with the body size for the proxy, and on
// Linux the process's peak RSS (client, proxy and upstream together; the
// kernel's high-water mark, reset before each run).
func BenchmarkProxy(b *testing.B) {
	var delay atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if d := time.Duration(delay.Load()); d > 0 {
			time.Sleep(d)
		}
		w.Write([]byte(`{"errors":false}`))
	}))
	defer upstream.Close()
	up, _ := url.Parse(upstream.URL)
	pooled := func() *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 128
		return t
	}
	opts := func(o *transport.Options) {
		o.Region, o.Service = region, service
		o.Credentials = credentials.NewStatic(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
		o.Base = pooled()
	}
	p, err := proxy.New(upstream.URL, func(o *proxy.Options) { o.Transport = opts; o.Logger = discardLogger() })
	if err != nil {
		b.Fatal(err)
	}
	viaProxy := httptest.NewServer(p)
	defer viaProxy.Close()
	rp := httputil.NewSingleHostReverseProxy(up)
	rp.Transport = pooled()
	viaRP := httptest.NewServer(rp)
	defer viaRP.Close()
	direct, _ := transport.New(func(o *transport.Options) { opts(o); o.Endpoint = upstream.URL })

	setups := []struct {
		name string
		c    *http.Client
		url  string
	}{
		{"proxy", &http.Client{Transport: pooled()}, viaProxy.URL},
		{"direct", &http.Client{Transport: direct}, upstream.URL},
		{"unsigned", &http.Client{Transport: pooled()}, viaRP.URL},
	}
	for _, wait := range []time.Duration{0, 10 * time.Millisecond} {
		delay.Store(int64(wait))
		where := ""
		if wait > 0 {
			where = fmt.Sprintf("/up%dms", wait/time.Millisecond)
		}
		for _, size := range []int{1 << 10, 1 << 20} {
			body := bulkBody[:size]
			for _, clients := range []int{1, 64} {
				for _, s := range setups {
					b.Run(fmt.Sprintf("%dKiB/c%d%s/%s", size>>10, clients, where, s.name), func(b *testing.B) {
						send := func() time.Duration {
							start := time.Now()
							postBody(b, s.c, s.url+"/_bulk", "application/x-ndjson", body)
							return time.Since(start)
						}
						for i := 0; i < 8; i++ {
							send() // warm the connections
						}
						var mu sync.Mutex
						var lat []time.Duration
						rss := peakRSS()
						peak := testenv.PeakHeap(10 * time.Millisecond)
						b.SetBytes(int64(size))
						b.ReportAllocs()
						stop := reportCPU(b)
						if clients == 1 {
							for i := 0; i < b.N; i++ {
								d := send()
								lat = append(lat, d)
							}
						} else {
							b.SetParallelism(clients / runtime.GOMAXPROCS(0))
							b.RunParallel(func(pb *testing.PB) {
								var mine []time.Duration
								for pb.Next() {
									mine = append(mine, send())
								}
								mu.Lock()
								lat = append(lat, mine...)
								mu.Unlock()
							})
						}
						stop()
						b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MiB")
						if mib, ok := rss(); ok {
							b.ReportMetric(mib, "peak-RSS-MiB")
						}
						slices.Sort(lat)
						if len(lat) > 0 {
							b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-us")
							b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
						}
					})
				}
			}
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// peakRSS returns memory to the OS, resets the kernel's high-water mark of
// the resident set (Linux: "5" to /proc/self/clear_refs) and returns a
// function that reads VmHWM in MiB; ok is false where there is none.
func peakRSS() func() (mib float64, ok bool) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return func() (float64, bool) { return 0, false }
	}
	return func() (float64, bool) {
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return 0, false
		}
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				return float64(kb) / 1024, err == nil
			}
		}
		return 0, false
	}
}
