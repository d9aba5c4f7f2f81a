package proxy_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestUpstreamConnectionsReused: 16 clients at once, twice, reach the
// upstream over the same 16 connections. The proxy used to keep 2 idle
// connections to the upstream (net/http's default per host) and dial the
// other 14 anew for every wave of concurrent requests.
func TestUpstreamConnectionsReused(t *testing.T) {
	const clients = 16
	var dialed atomic.Int64
	var arrived sync.WaitGroup
	release := make(chan struct{})
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Done()
		<-release // all clients' requests are in flight at once
		w.Write([]byte(`{}`))
	}))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	up.Start()
	defer up.Close()
	url := startProxy(t, up.URL, nil)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = clients
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}

	wave := func() {
		arrived.Add(clients)
		release = make(chan struct{})
		var done sync.WaitGroup
		for range clients {
			done.Go(func() {
				res, err := c.Get(url + "/logs/_search")
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Error(res.Status)
				}
			})
		}
		arrived.Wait()
		close(release)
		done.Wait()
	}
	wave()
	first := dialed.Load()
	if first != clients {
		t.Fatalf("the first wave of %d requests opened %d connections to the upstream", clients, first)
	}
	wave()
	// A connection goes back to the proxy's pool just after its response
	// reaches the client, so the second wave may find one or two not yet
	// back; with 2 idle connections kept per host it dialed 14.
	if again := dialed.Load() - first; again > 2 {
		t.Errorf("the second wave of %d requests opened %d new connections to the upstream; want at most 2 (the first wave's kept idle)", clients, again)
	}
}
