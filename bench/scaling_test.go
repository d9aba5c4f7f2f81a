package bench_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// cpuTime returns this process's user and system CPU time. The machines
// these benchmarks run on are shared, so CPU time per operation is
// reported beside wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU resets the timer and starts counting CPU time; the returned
// function, called when the loop ends, reports CPU time per operation
// (the timed loop's, setup included where the loop stops the timer).
func reportCPU(b *testing.B) (stop func()) {
	b.ResetTimer()
	start := cpuTime()
	return func() {
		b.StopTimer()
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// plainBody is a body that can be read once and nothing else: no GetBody,
// not seekable, no WriterTo (a pipe from a producer).
type plainBody struct{ io.Reader }

func (plainBody) Close() error { return nil }

// BenchmarkSignPlainReader: signing a body without GetBody, which must be
// read once and kept for the send and any retry.
func BenchmarkSignPlainReader(b *testing.B) {
	at := time.Now()
	for _, size := range []int{1 << 20, 16 << 20} {
		newReq := func(*testing.B) *http.Request {
			r, _ := http.NewRequest("POST", bulkURL, nil)
			r.Body = plainBody{bytes.NewReader(bulkBody[:size])}
			r.ContentLength = -1
			return r
		}
		b.Run(fmt.Sprintf("sigv4/%dMiB", size>>20), func(b *testing.B) {
			s, _ := signer.New()
			benchSigning(b, size, newReq, func(r *http.Request) error { return s.Sign(r, creds, region, service, at) })
		})
		b.Run(fmt.Sprintf("opensearchgo/%dMiB", size>>20), func(b *testing.B) {
			benchSigning(b, size, newReq, osgoSigner(b).SignRequest)
		})
	}
}

// BenchmarkSignPlainReaderParallel: 64 goroutines each signing 1 MiB
// bodies without GetBody; B/op is what each signing allocates.
func BenchmarkSignPlainReaderParallel(b *testing.B) {
	at := time.Now()
	const size = 1 << 20
	for _, name := range []string{"sigv4", "opensearchgo"} {
		b.Run(name, func(b *testing.B) {
			s, _ := signer.New()
			osgo := osgoSigner(b)
			b.SetBytes(size)
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ReportAllocs()
			stop := reportCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r, _ := http.NewRequest("POST", bulkURL, nil)
					r.Body = plainBody{bytes.NewReader(bulkBody[:size])}
					var err error
					if name == "sigv4" {
						err = s.Sign(r, creds, region, service, at)
					} else {
						err = osgo.SignRequest(r)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			stop()
		})
	}
}

// BenchmarkSignScaling: the cost of signing as one dimension of the
// request grows, beside aws-sdk-go-v2's signer: signed headers, query
// parameters, path segments, session token length (16 bytes an item),
// body size (1 KiB an item, with GetBody; the SDK's caller hashes the
// body, in the loop). Per-item cost that grows with the count shows a
// quadratic step.
func BenchmarkSignScaling(b *testing.B) {
	at := time.Now()
	emptyHash := sha256.Sum256(nil)
	shape := map[string]func(n int) *http.Request{
		"headers": func(n int) *http.Request {
			r, _ := http.NewRequest("GET", getURL, nil)
			for i := 0; i < n; i++ {
				r.Header.Set(fmt.Sprintf("X-Amz-Meta-H%03d", (i*7919)%1000), "value")
			}
			return r
		},
		"params": func(n int) *http.Request {
			q := make([]string, n)
			for i := range q {
				q[i] = fmt.Sprintf("p%03d=v", (i*7919)%1000)
			}
			r, _ := http.NewRequest("GET", bulkURL+"?"+strings.Join(q, "&"), nil)
			return r
		},
		"segments": func(n int) *http.Request {
			r, _ := http.NewRequest("GET", bulkURL+strings.Repeat("/seg", n), nil)
			return r
		},
		"token": func(n int) *http.Request {
			r, _ := http.NewRequest("GET", getURL, nil)
			return r
		},
		"body": func(n int) *http.Request {
			r, _ := http.NewRequest("POST", bulkURL, bytes.NewReader(bulkBody[:n<<10]))
			return r
		},
	}
	for _, dim := range []string{"headers", "params", "segments", "token", "body"} {
		for _, n := range []int{1, 10, 50, 200} {
			c := creds
			if dim == "token" {
				c.SessionToken = strings.Repeat("T", n*16)
			}
			b.Run(fmt.Sprintf("%s/%d/sigv4", dim, n), func(b *testing.B) {
				s, _ := signer.New()
				r := shape[dim](n)
				if err := s.Sign(r, c, region, service, at); err != nil { // the wire form, kept from here on
					b.Fatal(err)
				}
				q := r.URL.RawQuery
				b.ReportAllocs()
				stop := reportCPU(b)
				for i := 0; i < b.N; i++ {
					resetSigned(r, q)
					if err := s.Sign(r, c, region, service, at); err != nil {
						b.Fatal(err)
					}
				}
				stop()
			})
			b.Run(fmt.Sprintf("%s/%d/awssdk", dim, n), func(b *testing.B) {
				s := sdkv4.NewSigner()
				ctx := context.Background()
				r := shape[dim](n)
				q := r.URL.RawQuery
				b.ReportAllocs()
				stop := reportCPU(b)
				for i := 0; i < b.N; i++ {
					resetSigned(r, q)
					sum := emptyHash
					if dim == "body" {
						sum = sha256.Sum256(bulkBody[:n<<10])
					}
					if err := s.SignHTTP(ctx, c, r, hex.EncodeToString(sum[:]), service, region, at); err != nil {
						b.Fatal(err)
					}
				}
				stop()
			})
		}
	}
}
