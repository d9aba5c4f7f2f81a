package transport_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// TestTrickling403DoesNotHoldRoundTrip: a 403 body that arrives a byte at a
// time is diagnosed from what came within two seconds; RoundTrip returns
// then, and the caller still reads the whole body.
func TestTrickling403DoesNotHoldRoundTrip(t *testing.T) {
	const body = `{"message":"User: anonymous is not authorized to perform: es:ESHttpGet"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		for i := 0; i < len(body); i++ {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			w.Write([]byte{body[i]})
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	var diagnosed []*transport.Diagnosis
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "token-trickle-0123456789")
		o.OnForbidden = func(d *transport.Diagnosis) { diagnosed = append(diagnosed, d) }
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	res, err := tr.RoundTrip(req)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("RoundTrip with a body trickling a byte every 50 ms (%.1f s in all) returned after %v", float64(len(body))*0.05, took.Round(time.Millisecond))
	if took > 3*time.Second {
		t.Errorf("RoundTrip took %v: the diagnosis waited for the trickling body", took)
	}
	if len(diagnosed) != 1 {
		t.Errorf("%d diagnoses", len(diagnosed))
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(got) != body {
		t.Errorf("body read after RoundTrip: %q, %v; want it whole", got, err)
	}
}

// oneByteReader returns its text a byte per Read.
type oneByteReader struct{ s string }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if r.s == "" {
		return 0, io.EOF
	}
	p[0], r.s = r.s[0], r.s[1:]
	return 1, nil
}
func (r *oneByteReader) Close() error { return nil }

// TestRefused403BodyHasNoToken: the 403 body the transport hands back has
// the session token redacted, raw or JSON-escaped, even when it arrives a
// byte at a time or is longer than the diagnosis reads; and the diagnosis
// of a body cut inside an echoed token shows no part of it.
func TestRefused403BodyHasNoToken(t *testing.T) {
	const token = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD/sentinel+token=="
	escaped := strings.ReplaceAll(token, "/", `\/`)
	for _, c := range []struct {
		name, body string
	}{
		{"raw", `{"message":"...x-amz-security-token:` + token + `\n..."}`},
		{"JSON-escaped", `{"message":"...x-amz-security-token:` + escaped + `..."}`},
		{"past 64 KiB", `{"message":"` + strings.Repeat("x", 64<<10-40) + token + strings.Repeat("y", 1000) + `"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, d := refusedGET(t, "https://search-d.us-east-1.es.amazonaws.com/", credentials.NewStatic("AKID", "secret", token), "us-east-1",
				func() io.ReadCloser { return &oneByteReader{c.body} })
			got, _ := io.ReadAll(res.Body)
			if strings.Contains(string(got), token[:16]) || strings.Contains(string(got), escaped[:16]) || !strings.Contains(string(got), "<redacted>") {
				t.Errorf("body handed back shows the token: %.300s", got[max(0, len(got)-300):])
			}
			if d == nil {
				t.Fatal("no diagnosis")
			}
			for i := 0; i+16 <= len(token); i++ {
				if strings.Contains(d.Error(), token[i:i+16]) {
					t.Fatalf("the diagnosis shows part of the token (%q...)", token[i:i+16])
				}
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDiagnosisForResponseHeader: the transport finds the diagnosis of a
// refused response it handed back from that response's header map, and
// nothing for another.
func TestDiagnosisForResponseHeader(t *testing.T) {
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = "us-east-1", credentials.NewStatic("AKID", "secret", "")
		o.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			status := 403
			if r.URL.Path == "/ok" {
				status = 200
			}
			return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(fixtureAnonymous)), Request: r}, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/", nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if d := tr.DiagnosisFor(res.Header); d == nil || d.Cause != transport.CauseAccessPolicy {
		t.Fatalf("DiagnosisFor(refused) = %v", d)
	}
	ok, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/ok", nil)
	res2, err := tr.RoundTrip(ok)
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if d := tr.DiagnosisFor(res2.Header); d != nil {
		t.Errorf("DiagnosisFor(200) = %v, want nil", d)
	}
	if d := tr.DiagnosisFor(http.Header{}); d != nil {
		t.Errorf("DiagnosisFor(another header) = %v, want nil", d)
	}
}
