package transport_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// writeCounter is a connection that counts its writes.
type writeCounter struct {
	net.Conn
	writes *atomic.Int64
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestSmallSpooledBodyOneWrite: a small body without GetBody (a proxy's
// request, a pipe) goes out with the request's headers in a single write
// to the connection, as a body net/http knows to be in memory does, and
// arrives whole. It used to take two
// writes: net/http sends the headers of a body it does not know alone
// first, a system call and a packet more per request.
func TestSmallSpooledBodyOneWrite(t *testing.T) {
	var got atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		w.Write([]byte(`{}`))
	}))
	defer up.Close()
	var writes atomic.Int64
	dialer := &net.Dialer{}
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return writeCounter{c, &writes}, nil
	}}
	defer base.CloseIdleConnections()
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service, o.Base = "eu-west-1", "es", base
		o.Credentials = credentials.NewStatic("AKIDSMALLBODY", "small-body-secret", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 1 << 10, 2 << 10} {
		body := strings.Repeat("b", size)
		req, _ := http.NewRequest(http.MethodPost, up.URL+"/logs/_doc", plainReader{strings.NewReader(body)})
		req.ContentLength = int64(size) // known, as a server's request has it
		writes.Store(0)
		res, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if g, _ := got.Load().(string); g != body {
			t.Fatalf("%d bytes: the upstream got %d bytes", size, len(g))
		}
		if n := writes.Load(); n != 1 {
			t.Errorf("a %d-byte body went out in %d writes with its headers; want 1", size, n)
		}
	}
}
