package transport_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// plainReader is a body that can be read once and nothing else.
type plainReader struct{ io.Reader }

func (plainReader) Close() error { return nil }

// TestSpooledBodiesNeverMix sends many bodies without GetBody at once,
// which the transport spools in pooled memory that it reuses once a
// request is done with it. The server answers each request before reading
// its body (full duplex), so RoundTrip returns while the body is still
// being sent, and then checks that the bytes that arrived are the ones
// that were signed. A spool whose memory went back to the pool while it
// was still being sent would send another request's bytes.
func TestSpooledBodiesNeverMix(t *testing.T) {
	var checked, mixed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(http.StatusAccepted)
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond) // the client's RoundTrip has returned
		h := sha256.New()
		io.Copy(h, r.Body)
		if hex.EncodeToString(h.Sum(nil)) != r.Header.Get("X-Amz-Content-Sha256") || hex.EncodeToString(h.Sum(nil)) != r.Header.Get("X-Test-Sum") {
			mixed.Add(1)
		}
		checked.Add(1)
	}))
	// Small socket buffers on both ends, so that a body is still being
	// written well after its response has come back.
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			c.(*net.TCPConn).SetReadBuffer(16 << 10)
		}
	}
	srv.Start()
	defer srv.Close()
	dialer := &net.Dialer{}
	base := &http.Transport{MaxIdleConnsPerHost: 32, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			c.(*net.TCPConn).SetWriteBuffer(16 << 10)
		}
		return c, err
	}}
	defer base.CloseIdleConnections()
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service = "us-east-1", "es"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.Base = base
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const workers, each = 8, 8
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 9))
			for i := 0; i < each; i++ {
				body := make([]byte, 96<<10+rnd.IntN(384<<10))
				for j := range body {
					body[j] = byte(rnd.Uint32())
				}
				sum := sha256.Sum256(body)
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/logs/_bulk", nil)
				req.Body, req.ContentLength = plainReader{bytes.NewReader(body)}, int64(len(body))
				if i%2 == 1 {
					req.ContentLength = -1 // unknown: chunked
				}
				req.Header.Set("X-Test-Sum", hex.EncodeToString(sum[:]))
				res, err := tr.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	srv.Close() // waits for the handlers
	t.Logf("%d bodies checked by the server, %d with bytes that were not the ones signed", checked.Load(), mixed.Load())
	if checked.Load() != workers*each {
		t.Errorf("the server checked %d bodies, want %d", checked.Load(), workers*each)
	}
	if mixed.Load() != 0 {
		t.Errorf("%d bodies arrived with bytes that were not the ones signed", mixed.Load())
	}
}
