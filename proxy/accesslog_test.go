package proxy_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/proxy"
)

// lockedBuffer is a bytes.Buffer safe for the proxy's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAccessLogLine: one JSON line per request at Info, with the message,
// method, path, status, bytes and duration, the time of the response's
// end, and, for a handler that asks for it, a source line in this
// package; none when the handler is not enabled at Info.
func TestAccessLogLine(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":1}`)) }))
	defer up.Close()
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		var logs lockedBuffer
		url := startProxy(t, up.URL, nil, func(o *proxy.Options) {
			o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{AddSource: true, Level: level}))
		})
		before := time.Now()
		res, err := http.Post(url+"/logs/_doc?refresh=true", "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		var line map[string]any
		for deadline := time.Now().Add(3 * time.Second); logs.String() == "" && level == slog.LevelInfo && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if level != slog.LevelInfo {
			if logs.String() != "" {
				t.Errorf("a handler at %v got %q", level, logs.String())
			}
			continue
		}
		if err := json.Unmarshal([]byte(logs.String()), &line); err != nil {
			t.Fatalf("not one JSON line: %q: %v", logs.String(), err)
		}
		for k, want := range map[string]any{"level": "INFO", "msg": "sigv4 proxy", "method": "POST", "path": "/logs/_doc", "status": 200.0, "bytes": 8.0} {
			if line[k] != want {
				t.Errorf("%s = %v, want %v in %q", k, line[k], want, logs.String())
			}
		}
		if d, ok := line["duration"].(float64); !ok || d <= 0 {
			t.Errorf("duration = %v, want a positive number of nanoseconds", line["duration"])
		}
		at, err := time.Parse(time.RFC3339Nano, line["time"].(string))
		if err != nil || at.Before(before.Add(-time.Second)) || at.After(time.Now().Add(time.Second)) {
			t.Errorf("time = %v (%v), want the request's", line["time"], err)
		}
		src, _ := line["source"].(map[string]any)
		if file, _ := src["file"].(string); !strings.Contains(file, "/proxy/") || src["line"] == 0.0 {
			t.Errorf("source = %v, want a line in package proxy", src)
		}
	}
}

// TestMetricsByMethodAndCode: the requests counter and the duration
// histogram count each request under its method (from the fixed set, any
// other as "other") and status code, the same series again for the same
// method and code.
func TestMetricsByMethodAndCode(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer up.Close()
	url := startProxy(t, up.URL, nil)
	send := func(method, path string) {
		req, _ := http.NewRequest(method, url+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	for range 3 {
		send("GET", "/logs/_search")
	}
	send("GET", "/missing")
	send("PUT", "/logs")
	send("BREW", "/pot")
	send("PROPFIND", "/x")
	res, err := http.Get(url + proxy.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	page.ReadFrom(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`sigv4_proxy_requests_total{code="200",method="GET"} 3`,
		`sigv4_proxy_requests_total{code="404",method="GET"} 1`,
		`sigv4_proxy_requests_total{code="200",method="PUT"} 1`,
		`sigv4_proxy_requests_total{code="200",method="other"} 2`,
		`sigv4_proxy_request_duration_seconds_count{method="GET"} 4`,
		`sigv4_proxy_request_duration_seconds_count{method="other"} 2`,
	} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the metrics page lacks %s", want)
		}
	}
	if strings.Contains(page.String(), "BREW") || strings.Contains(page.String(), "PROPFIND") {
		t.Error("a client's own method is a label")
	}
}
