package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// attempt asks a once, from addr, as user with pass ("" user: no
// credentials at all), and returns the recorder and how long it took.
func attempt(a *basicAuthenticator, addr, user, pass string) (*httptest.ResponseRecorder, time.Duration, bool) {
	r := httptest.NewRequest("GET", "/_search", nil)
	r.RemoteAddr = addr
	if user != "" {
		r.SetBasicAuth(user, pass)
	}
	w := httptest.NewRecorder()
	start := time.Now()
	ok := a.check(w, r)
	return w, time.Since(start), ok
}

// TestBasicAuthTimingTellsNoUser: a wrong password takes as long to refuse
// for an unknown user as for known users whose hashes have different
// costs (4 and 8 here; htpasswd -B writes 5, often raised), so that
// response times tell neither which users exist nor which is which. Before
// the fix the cost-4 user was refused about 16 times faster than the others
// (the test allows a factor of 3, for a loaded machine).
func TestBasicAuthTimingTellsNoUser(t *testing.T) {
	cheap, _ := bcrypt.GenerateFromPassword([]byte("right"), 4)
	dear, _ := bcrypt.GenerateFromPassword([]byte("right"), 8)
	a := newBasicAuth(map[string][]byte{"alice": cheap, "bob": dear}, 1000, quietLog())
	// The users take turns, so that a load on the machine weighs on each
	// alike.
	users := []string{"alice", "bob", "mallory"}
	times := map[string][]time.Duration{}
	for i := range 7 {
		for _, user := range users {
			w, took, ok := attempt(a, "192.0.2."+strconv.Itoa(i)+":1234", user, "wrong")
			if ok || w.Code != http.StatusUnauthorized {
				t.Fatalf("%s with a wrong password: %d", user, w.Code)
			}
			times[user] = append(times[user], took)
		}
	}
	median := func(user string) time.Duration {
		d := times[user]
		slices.Sort(d)
		return d[len(d)/2]
	}
	alice, bob, mallory := median("alice"), median("bob"), median("mallory")
	t.Logf("median time to refuse: alice (cost 4) %v, bob (cost 8) %v, unknown %v", alice, bob, mallory)
	slowest := max(alice, bob, mallory)
	for name, d := range map[string]time.Duration{"alice": alice, "bob": bob, "an unknown user": mallory} {
		if d < slowest/3 {
			t.Errorf("%s is refused in %v, another in %v: timing tells them apart", name, d, slowest)
		}
	}
	if _, _, ok := attempt(a, "192.0.2.9:1", "alice", "right"); !ok {
		t.Error("alice's right password was refused")
	}
}

// TestBasicAuthNoCredentialsCostsNoHash: a request without credentials is
// refused without a bcrypt comparison. Before the fix every
// unauthenticated request cost a full comparison.
func TestBasicAuthNoCredentialsCostsNoHash(t *testing.T) {
	var n atomic.Int64
	old := compareHash
	compareHash = func(h, p []byte) error { n.Add(1); return old(h, p) }
	defer func() { compareHash = old }()
	hash, _ := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	a := newBasicAuth(map[string][]byte{"alice": hash}, 10, quietLog())
	for range 50 {
		if w, _, ok := attempt(a, "192.0.2.1:1", "", ""); ok || w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("no credentials: %d", w.Code)
		}
	}
	if n.Load() != 0 {
		t.Errorf("%d bcrypt comparisons for 50 requests without credentials", n.Load())
	}
}

// TestFailedAuthenticationsLimited: past the limit of failures a minute, a
// client gets 429 with Retry-After, without a comparison, even with the
// right password; another client is not affected; the limit comes back
// with time. Before the fix guessing was unlimited.
func TestFailedAuthenticationsLimited(t *testing.T) {
	var n atomic.Int64
	old := compareHash
	compareHash = func(h, p []byte) error { n.Add(1); return old(h, p) }
	defer func() { compareHash = old }()
	hash, _ := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	a := newBasicAuth(map[string][]byte{"alice": hash}, 3, quietLog())
	now := time.Now()
	a.limit.now = func() time.Time { return now }
	for i := range 3 {
		if w, _, _ := attempt(a, "192.0.2.1:1000", "alice", "guess"+strconv.Itoa(i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, w.Code)
		}
	}
	compared := n.Load()
	w, _, ok := attempt(a, "192.0.2.1:2000", "alice", "right")
	if ok || w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "20" {
		t.Errorf("after 3 failures: %d, Retry-After %q; want 429 and 20 (s)", w.Code, w.Header().Get("Retry-After"))
	}
	if n.Load() != compared {
		t.Error("a limited client still cost a bcrypt comparison")
	}
	if _, _, ok := attempt(a, "192.0.2.2:1000", "alice", "right"); !ok {
		t.Error("another client was limited too")
	}
	if _, _, ok := attempt(a, "[2001:db8::1]:1", "alice", "x"); ok {
		t.Fatal("a wrong password passed")
	}
	now = now.Add(20 * time.Second)
	if _, _, ok := attempt(a, "192.0.2.1:3000", "alice", "right"); !ok {
		t.Error("the limit did not come back after 20 s")
	}
}
