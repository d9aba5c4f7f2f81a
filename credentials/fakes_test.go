package credentials

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	sentinelSecret = "SENTINEL-SECRET-wJalrXUtnFEMI-K7MDENG"
	sentinelToken  = "SENTINEL-TOKEN-IQoJb3JpZ2luX2VjEJr"
)

// credsJSON is the body both IMDS and the container endpoint return.
func credsJSON(keyID string, expires time.Time) string {
	b, _ := json.Marshal(map[string]string{
		"Code":            "Success",
		"Type":            "AWS-HMAC",
		"AccessKeyId":     keyID,
		"SecretAccessKey": sentinelSecret,
		"Token":           sentinelToken,
		"Expiration":      expires.UTC().Format(time.RFC3339),
		"LastUpdated":     time.Now().UTC().Format(time.RFC3339),
	})
	return string(b)
}

// fakeIMDS speaks the instance metadata protocol on loopback.
type fakeIMDS struct {
	*httptest.Server
	mu          sync.Mutex
	role        string
	region      string
	expires     time.Time
	noTokenAPI  bool          // PUT /latest/api/token answers 403 (IMDSv1 only)
	status      int           // when not 0, every GET answers with it
	hang        time.Duration // every request sleeps this long first
	body        string        // when not "", the credentials document
	reject401   int32         // this many credential GETs answer 401 (stale token)
	tokens      atomic.Int32  // tokens issued
	credGets    atomic.Int32
	lastTokenOK atomic.Bool
}

func newFakeIMDS(t *testing.T) *fakeIMDS {
	f := &fakeIMDS{role: "opensearch-writer", region: "ap-northeast-1", expires: time.Now().Add(time.Hour)}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f.URL)
	return f
}

func (f *fakeIMDS) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hang, status, noToken, body := f.hang, f.status, f.noTokenAPI, f.body
	f.mu.Unlock()
	if hang > 0 {
		select {
		case <-time.After(hang):
		case <-r.Context().Done():
			return
		}
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
		f.tokens.Add(1)
		w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", ttl)
		w.Write([]byte("imds-session-token"))
		return
	}
	tok := r.Header.Get("X-Aws-Ec2-Metadata-Token")
	f.lastTokenOK.Store(tok == "imds-session-token")
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
		w.Write([]byte(f.region))
	case r.URL.Path == "/latest/dynamic/instance-identity/document":
		// What imds.Client.GetRegion reads.
		w.Write([]byte(`{"region":"` + f.region + `","availabilityZone":"` + f.region + `a","instanceId":"i-0123456789abcdef0"}`))
	case r.URL.Path == prefix:
		w.Write([]byte(f.role + "\n"))
	case r.URL.Path == prefix+f.role:
		f.credGets.Add(1)
		if atomic.AddInt32(&f.reject401, -1) >= 0 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if body != "" {
			w.Write([]byte(body))
			return
		}
		f.mu.Lock()
		exp := f.expires
		f.mu.Unlock()
		w.Write([]byte(credsJSON("ASIAIMDSEXAMPLE0001", exp)))
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeIMDS) set(fn func(*fakeIMDS)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// fakeContainer speaks the container credentials protocol on loopback.
type fakeContainer struct {
	*httptest.Server
	mu        sync.Mutex
	wantAuth  string
	status    int
	body      string
	hang      time.Duration
	expires   time.Time
	gotAuth   []string
	callCount atomic.Int32
}

func newFakeContainer(t *testing.T, wantAuth string) *fakeContainer {
	f := &fakeContainer{wantAuth: wantAuth, expires: time.Now().Add(time.Hour)}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.callCount.Add(1)
		f.mu.Lock()
		f.gotAuth = append(f.gotAuth, r.Header.Get("Authorization"))
		want, status, body, hang, exp := f.wantAuth, f.status, f.body, f.hang, f.expires
		f.mu.Unlock()
		if hang > 0 {
			select {
			case <-time.After(hang):
			case <-r.Context().Done():
				return
			}
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
		w.Write([]byte(credsJSON("ASIACONTAINEREXAMPL", exp)))
	}))
	t.Cleanup(f.Close)
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", f.URL+"/v2/credentials/task-role")
	return f
}

func (f *fakeContainer) set(fn func(*fakeContainer)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

// noSecrets fails if s holds the sentinel secret or token.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, sentinelSecret) || strings.Contains(s, sentinelToken) {
		t.Errorf("%s contains a secret: %s", what, s)
	}
}
