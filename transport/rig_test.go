package transport_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

var goodCreds = aws.Credentials{
	AccessKeyID:     "AKIDTRANSPORTTEST",
	SecretAccessKey: "SENTINEL-SECRET-transport-wJalrXUtnFEMI",
	SessionToken:    "SENTINEL-TOKEN-transport-IQoJb3JpZ2luX2Vj",
}

// seen is one request as the endpoint received it.
type seen struct {
	method, target string
	bodySHA        string
	authz          string
	status         int
	message        string
}

// rig is a verifying endpoint in front of the OpenSearch stand-in, with a
// recorder in front of both and optional faults that answer the first
// requests for a path, after they pass verification, with error statuses.
type rig struct {
	t        *testing.T
	store    *standin.Server
	verifier *sigv4test.Handler
	srv      *httptest.Server
	mu       sync.Mutex
	seen     []seen
	fail     map[string][]int // path -> error statuses still to give, in order
}

func newRig(t *testing.T, service string) *rig {
	t.Helper()
	rg := &rig{t: t, store: standin.New(), fail: map[string][]int{}}
	faults := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rg.mu.Lock()
		status := 0
		if q := rg.fail[r.URL.Path]; len(q) > 0 {
			status, rg.fail[r.URL.Path] = q[0], q[1:]
		}
		rg.mu.Unlock()
		if status != 0 {
			http.Error(w, `{"message":"injected failure"}`, status)
			return
		}
		rg.store.ServeHTTP(w, r)
	})
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{goodCreds}
		o.Region, o.Service = "us-east-1", service
		o.Handler = faults
	})
	if err != nil {
		t.Fatal(err)
	}
	rg.verifier = v
	rg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(body)
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		s := seen{method: r.Method, target: r.RequestURI, bodySHA: hex.EncodeToString(sum[:]), authz: r.Header.Get("Authorization"), status: rec.Code}
		if rec.Code == 403 || rec.Code == 400 {
			s.message = rec.Body.String()
		}
		rg.mu.Lock()
		rg.seen = append(rg.seen, s)
		rg.mu.Unlock()
	}))
	t.Cleanup(rg.srv.Close)
	return rg
}

func (rg *rig) requests() []seen {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	return append([]seen(nil), rg.seen...)
}

// transport returns a signing transport for the rig.
func (rg *rig) transport(creds aws.Credentials, service string, fns ...func(*transport.Options)) *transport.Transport {
	rg.t.Helper()
	base := &http.Transport{}
	rg.t.Cleanup(base.CloseIdleConnections)
	tr, err := transport.New(append([]func(*transport.Options){func(o *transport.Options) {
		o.Region, o.Service = "us-east-1", service
		o.Credentials = credentials.NewStatic(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
		o.Base = base
	}}, fns...)...)
	if err != nil {
		rg.t.Fatal(err)
	}
	return tr
}

// steppingClock advances one second per call, so that every signature of
// the same request differs.
func steppingClock() func() time.Time {
	var mu sync.Mutex
	t := time.Now().Add(-time.Minute)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func hasAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
