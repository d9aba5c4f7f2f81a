package bench_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	sdkcreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/opensearch-project/opensearch-go/v2/signer/awsv2"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/signer"
	"github.com/opensearch-sigv4/sigv4/transport"
)

var (
	creds = aws.Credentials{
		AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		SessionToken:    "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampletokenvalue0123456789abcdefghijklmnopqrstuvwxyz",
	}
	region  = "us-east-1"
	service = "es"
	getURL  = "https://search-my-domain-abc123.us-east-1.es.amazonaws.com/my-index/_search?q=title:opensearch&size=10"
	bulkURL = "https://search-my-domain-abc123.us-east-1.es.amazonaws.com/_bulk"
)

// osgoSigner is opensearch-go v2's signer/awsv2 with the same static
// credentials.
func osgoSigner(b *testing.B) interface{ SignRequest(*http.Request) error } {
	s, err := awsv2.NewSignerWithService(aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(sdkcreds.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)),
	}, service)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// resetGET puts a reused GET request back as it was before signing, so
// that every iteration signs the same input without allocating a new one.
func resetGET(r *http.Request, rawQuery string) {
	for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256"} {
		delete(r.Header, h)
	}
	r.URL.RawQuery = rawQuery
}

// BenchmarkSignGET: a search request with a session token.
func BenchmarkSignGET(b *testing.B) {
	newReq := func() (*http.Request, string) {
		r, err := http.NewRequest("GET", getURL, nil)
		if err != nil {
			b.Fatal(err)
		}
		return r, r.URL.RawQuery
	}
	at := time.Now()
	b.Run("sigv4", func(b *testing.B) {
		s, _ := signer.New()
		r, q := newReq()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resetGET(r, q)
			if err := s.Sign(r, creds, region, service, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("awssdk", func(b *testing.B) {
		s := sdkv4.NewSigner()
		r, q := newReq()
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resetGET(r, q)
			sum := sha256.Sum256(nil) // the empty-body hash a caller of SignHTTP computes
			if err := s.SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), service, region, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("opensearchgo", func(b *testing.B) {
		s := osgoSigner(b)
		r, q := newReq()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			resetGET(r, q)
			if err := s.SignRequest(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

const bulkSize = 16 << 20

var bulkBody = func() []byte {
	b := make([]byte, bulkSize)
	rand.Read(b)
	return b
}()

// bulkRequest is a POST /_bulk with a 16 MiB body that has GetBody, as
// opensearch-go's transport provides.
func bulkRequest(b *testing.B) *http.Request {
	r, err := http.NewRequest("POST", bulkURL, bytes.NewReader(bulkBody))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-ndjson")
	return r
}

// BenchmarkSignBulk16MiB: signing a 16 MiB bulk request.
func BenchmarkSignBulk16MiB(b *testing.B) {
	at := time.Now()
	b.Run("sigv4", func(b *testing.B) {
		s, _ := signer.New()
		b.SetBytes(bulkSize)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			r := bulkRequest(b)
			b.StartTimer()
			if err := s.Sign(r, creds, region, service, at); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("opensearchgo", func(b *testing.B) {
		s := osgoSigner(b)
		b.SetBytes(bulkSize)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			r := bulkRequest(b)
			b.StartTimer()
			if err := s.SignRequest(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSHA256_16MiB: crypto/sha256 over the same bytes, the floor.
func BenchmarkSHA256_16MiB(b *testing.B) {
	b.SetBytes(bulkSize)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sha256.Sum256(bulkBody)
	}
}

var kib = bytes.Repeat([]byte("x"), 1024)

// roundTripClients returns an unsigned and a signed client to a loopback
// server that reads the body and answers 200, with keep-alive.
func roundTripClients(b *testing.B) (srvURL string, unsigned, signed *http.Client) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"result":"created"}`))
	}))
	b.Cleanup(srv.Close)
	base := func() *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		b.Cleanup(t.CloseIdleConnections)
		return t
	}
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service = region, service
		o.Credentials = credentials.NewCache(credentials.Static(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken))
		o.Base = base()
	})
	if err != nil {
		b.Fatal(err)
	}
	return srv.URL, &http.Client{Transport: base()}, &http.Client{Transport: tr}
}

func post(b *testing.B, c *http.Client, url string) {
	res, err := c.Post(url, "application/json", bytes.NewReader(kib))
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatal(res.Status)
	}
}

// BenchmarkRoundTrip: a 1 KiB POST over loopback, keep-alive.
func BenchmarkRoundTrip(b *testing.B) {
	url, unsigned, signed := roundTripClients(b)
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"signed", signed}, {"unsigned", unsigned}} {
		b.Run(c.name, func(b *testing.B) {
			post(b, c.client, url+"/idx/_doc") // warm the connection
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				post(b, c.client, url+"/idx/_doc")
			}
		})
	}
}

// BenchmarkRoundTripParallel: the same with b.RunParallel.
func BenchmarkRoundTripParallel(b *testing.B) {
	url, unsigned, signed := roundTripClients(b)
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"signed", signed}, {"unsigned", unsigned}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					post(b, c.client, url+"/idx/_doc")
				}
			})
		})
	}
}
