// Package fakeaws serves, on loopback, the two AWS credential protocols the
// credentials package speaks: EC2 instance metadata (IMDSv2 and v1) and the
// ECS/EKS container endpoint, with faults on demand. Tests point the SDK at
// them through its own settings (AWS_EC2_METADATA_SERVICE_ENDPOINT,
// AWS_CONTAINER_CREDENTIALS_FULL_URI).
package fakeaws

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Sentinel credential parts, for checks that they never leak.
const (
	SentinelSecret = "SENTINEL-SECRET-wJalrXUtnFEMI-K7MDENG"
	SentinelToken  = "SENTINEL-TOKEN-IQoJb3JpZ2luX2VjEJr"
)

// CredsJSON is the document both protocols return.
func CredsJSON(keyID string, expires time.Time) string {
	b, _ := json.Marshal(map[string]string{
		"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": keyID,
		"SecretAccessKey": SentinelSecret, "Token": SentinelToken,
		"Expiration":  expires.UTC().Format(time.RFC3339),
		"LastUpdated": time.Now().UTC().Format(time.RFC3339),
	})
	return string(b)
}

// wait sleeps for d, or until the client gives up on r; it reports whether
// the request should still be answered.
func wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// IMDS speaks the instance metadata protocol.
type IMDS struct {
	*httptest.Server
	mu         sync.Mutex
	Role       string
	Region     string
	Expires    time.Time
	NoTokenAPI bool          // PUT /latest/api/token answers 403 (IMDSv1 only)
	Status     int           // when not 0, every GET answers with it
	Hang       time.Duration // every request waits this long first
	Body       string        // when not "", the credentials document
	Reject401  int32         // this many credential GETs answer 401 (stale token)
	Trickle    time.Duration // write the credentials document a byte at a time, this far apart

	Tokens      atomic.Int32 // tokens issued
	CredGets    atomic.Int32 // credential documents asked for
	LastTokenOK atomic.Bool  // the last GET carried the token issued
}

// KeyID is the access key id the IMDS fake hands out.
const KeyID = "ASIAIMDSEXAMPLE0001"

// NewIMDS starts an IMDS fake and points AWS_EC2_METADATA_SERVICE_ENDPOINT
// at it for the test.
func NewIMDS(t testing.TB) *IMDS {
	f := &IMDS{Role: "opensearch-writer", Region: "ap-northeast-1", Expires: time.Now().Add(time.Hour)}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f.URL)
	return f
}

// Set changes the fake under its lock.
func (f *IMDS) Set(fn func(*IMDS)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

func (f *IMDS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hang, status, noToken, body, role, region, exp, trickle := f.Hang, f.Status, f.NoTokenAPI, f.Body, f.Role, f.Region, f.Expires, f.Trickle
	f.mu.Unlock()
	if !wait(r, hang) {
		return
	}
	if r.URL.Path == "/latest/api/token" {
		if r.Method != http.MethodPut || noToken {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		ttl := r.Header.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds")
		if ttl == "" {
			http.Error(w, "missing TTL header", http.StatusBadRequest)
			return
		}
		f.Tokens.Add(1)
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl)
		w.Write([]byte("imds-session-token"))
		return
	}
	tok := r.Header.Get("X-Aws-Ec2-Metadata-Token")
	f.LastTokenOK.Store(tok == "imds-session-token")
	if !noToken && tok != "imds-session-token" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if status != 0 {
		http.Error(w, "internal error", status)
		return
	}
	const prefix = "/latest/meta-data/iam/security-credentials/"
	switch {
	case r.URL.Path == "/latest/meta-data/placement/region":
		w.Write([]byte(region))
	case r.URL.Path == "/latest/dynamic/instance-identity/document": // what imds.Client.GetRegion reads
		w.Write([]byte(`{"region":"` + region + `","availabilityZone":"` + region + `a","instanceId":"i-0123456789abcdef0"}`))
	case r.URL.Path == prefix:
		w.Write([]byte(role + "\n"))
	case r.URL.Path == prefix+role:
		f.CredGets.Add(1)
		if atomic.AddInt32(&f.Reject401, -1) >= 0 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if body == "" {
			body = CredsJSON(KeyID, exp)
		}
		if trickle > 0 {
			for i := 0; i < len(body) && wait(r, trickle); i++ {
				w.Write([]byte{body[i]})
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Write([]byte(body))
	default:
		http.NotFound(w, r)
	}
}

// Container speaks the container credentials protocol.
type Container struct {
	*httptest.Server
	mu       sync.Mutex
	WantAuth string // the Authorization header required; "" for none
	Status   int
	Body     string
	Hang     time.Duration
	Expires  time.Time
	GotAuth  []string
	Calls    atomic.Int32
}

// ContainerKeyID is the access key id the container fake hands out.
const ContainerKeyID = "ASIACONTAINEREXAMPL"

// NewContainer starts a container-endpoint fake and points
// AWS_CONTAINER_CREDENTIALS_FULL_URI at it for the test.
func NewContainer(t testing.TB, wantAuth string) *Container {
	f := &Container{WantAuth: wantAuth, Expires: time.Now().Add(time.Hour)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.Calls.Add(1)
		f.mu.Lock()
		f.GotAuth = append(f.GotAuth, r.Header.Get("Authorization"))
		want, status, body, hang, exp := f.WantAuth, f.Status, f.Body, f.Hang, f.Expires
		f.mu.Unlock()
		if !wait(r, hang) {
			return
		}
		if want != "" && r.Header.Get("Authorization") != want {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"code":"Unauthorized","message":"bad token"}`))
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			w.Write([]byte(`{"code":"InternalError","message":"agent unavailable"}`))
			return
		}
		if body != "" {
			w.Write([]byte(body))
			return
		}
		w.Write([]byte(CredsJSON(ContainerKeyID, exp)))
	}))
	t.Cleanup(f.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f.URL+"/v2/credentials/task-role")
	return f
}

// Set changes the fake under its lock.
func (f *Container) Set(fn func(*Container)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// Auth returns the Authorization headers received so far.
func (f *Container) Auth() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.GotAuth...)
}
