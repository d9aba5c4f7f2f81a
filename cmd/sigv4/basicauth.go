// The listener's basic authentication for sigv4 proxy: the htpasswd file,
// the bcrypt check and the limit on failures per client.

package main

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// readBasicAuthFile reads lines user:bcrypt-hash, as htpasswd -B writes
// them; blank lines and lines starting with '#' are skipped. An error names
// the line and what is wrong with it, never the hash.
func readBasicAuthFile(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read --basic-auth-file %s: %s", path, rootCause(err))
	}
	defer f.Close()
	users := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		where := path + ":" + strconv.Itoa(n)
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok || user == "":
			return nil, errors.New(where + ": not user:bcrypt-hash (as htpasswd -B writes it)")
		case !strings.HasPrefix(hash, "$2a$") && !strings.HasPrefix(hash, "$2b$") && !strings.HasPrefix(hash, "$2y$"):
			return nil, errors.New(where + ": the hash for " + strconv.Quote(user) + " is not bcrypt ($2y$...): make it with htpasswd -B")
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, errors.New(where + ": the bcrypt hash for " + strconv.Quote(user) + " is malformed: " + err.Error())
		}
		if _, dup := users[user]; dup {
			return nil, errors.New(where + ": " + strconv.Quote(user) + " appears twice")
		}
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --basic-auth-file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, errors.New("--basic-auth-file " + path + " names no user")
	}
	return users, nil
}

// compareHash is bcrypt's comparison; tests count its calls.
var compareHash = bcrypt.CompareHashAndPassword

// basicAuthenticator requires one of its users' passwords, for
// proxy.Options.Authenticate. The client's Authorization is consumed here:
// the proxy never forwards it. What a guesser can learn or cost is bounded:
//   - a request without credentials is refused without a bcrypt
//     comparison (a browser sends one first, then asks for the password);
//   - every refusal takes at least as long as a comparison at the highest
//     cost among the users, whoever the user (known or not, whatever the
//     cost of its hash), so that timing tells no user from another;
//   - each client address (an IPv6 /64) may fail a limited number of times
//     a minute; past it the answer is 429 with Retry-After, before any
//     comparison.
type basicAuthenticator struct {
	users map[string][]byte
	dummy []byte        // compared for an unknown user
	floor time.Duration // the least time a refusal takes
	limit *failureLimit
	log   *slog.Logger
}

func newBasicAuth(users map[string][]byte, perMinute int, log *slog.Logger) *basicAuthenticator {
	cost := bcrypt.MinCost
	for _, h := range users {
		if c, err := bcrypt.Cost(h); err == nil {
			cost = max(cost, c)
		}
	}
	a := &basicAuthenticator{users: users, limit: newFailureLimit(perMinute, time.Now), log: log}
	a.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password"), cost)
	for range 3 { // the slowest of three, so that a cold first run does not set it
		start := time.Now()
		bcrypt.CompareHashAndPassword(a.dummy, []byte("a guess"))
		a.floor = max(a.floor, time.Since(start))
	}
	return a
}

func (a *basicAuthenticator) check(w http.ResponseWriter, r *http.Request) bool {
	client := clientKey(r)
	if wait := a.limit.wait(client); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		http.Error(w, "sigv4 proxy: too many failed authentications from "+client+"; try again later", http.StatusTooManyRequests)
		return false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		challenge(w)
		return false
	}
	start := time.Now()
	hash, known := a.users[user]
	if !known {
		hash = a.dummy // the same work as for a user who exists
	}
	if compareHash(hash, []byte(pass)) == nil && known {
		r.Header.Del("Authorization")
		return true
	}
	if a.limit.fail(client) {
		a.log.Warn("sigv4 proxy: failed authentications over the limit; refusing with 429", "client", client)
	}
	if d := a.floor - time.Since(start); d > 0 {
		time.Sleep(d)
	}
	challenge(w)
	return false
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="sigv4 proxy", charset="UTF-8"`)
	http.Error(w, "sigv4 proxy: basic auth required", http.StatusUnauthorized)
}

// clientKey is the address failures are counted against: the client's IP,
// or for IPv6 its /64, which one host usually holds whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// failureLimit is a token bucket per client: perMinute failures, refilled
// evenly over a minute. It holds at most maxClients buckets; past that,
// full buckets (clients that have not failed lately) are dropped first.
type failureLimit struct {
	mu        sync.Mutex
	perMinute float64
	now       func() time.Time
	buckets   map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

const maxClients = 10000

func newFailureLimit(perMinute int, now func() time.Time) *failureLimit {
	return &failureLimit{perMinute: float64(perMinute), now: now, buckets: map[string]*bucket{}}
}

// refill brings b up to now; the caller holds mu.
func (l *failureLimit) refill(b *bucket, now time.Time) {
	b.tokens = min(l.perMinute, b.tokens+now.Sub(b.at).Minutes()*l.perMinute)
	b.at = now
}

// wait returns how long client must wait before its next attempt: zero
// while it has failures left.
func (l *failureLimit) wait(client string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		return 0
	}
	now := l.now()
	l.refill(b, now)
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) / l.perMinute * float64(time.Minute))
}

// fail counts a failure of client's and reports whether it used the last
// one left.
func (l *failureLimit) fail(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxClients {
			for k, v := range l.buckets {
				if l.refill(v, now); v.tokens >= l.perMinute {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxClients {
				clear(l.buckets) // all failing at once: start again rather than grow
			}
		}
		b = &bucket{tokens: l.perMinute, at: now}
		l.buckets[client] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
	return b.tokens < 1
}
