package signer

import (
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/opensearch-sigv4/sigv4/internal/percent"
)

// The signer's fast paths and memos must give exactly what the general
// code gives. Each test here sets a fast path beside a plain version of
// the rule it shortcuts, on inputs chosen to hit every branch.

func TestHexSumIsHexEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		var sum [32]byte
		for j := range sum {
			sum[j] = byte(r.Uint32())
		}
		if i == 0 {
			sum = [32]byte{0x00, 0x09, 0x0a, 0x0f, 0x10, 0x90, 0xa0, 0xf0, 0xff, 0x99, 0xaa, 0x5f}
		}
		var got [64]byte
		hexSum(&got, &sum)
		if want := hex.EncodeToString(sum[:]); string(got[:]) != want {
			t.Fatalf("hexSum(%x) = %s", sum, got)
		}
	}
}

// inputs returns the cases, then random strings of up to max-1 bytes of
// alphabet (each after prefix, 7 times in 8), n strings in all, the same
// on every run.
func inputs(seed uint64, n int, cases []string, prefix, alphabet string, max int) []string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := append(make([]string, 0, n), cases...)
	for len(out) < n {
		var b strings.Builder
		if r.IntN(8) != 0 {
			b.WriteString(prefix)
		}
		for k := r.IntN(max); k > 0; k-- {
			b.WriteByte(alphabet[r.IntN(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

// TestPlainPathIsBothChecks: plainPath is pathNeedsNoEscape and
// wirePathClean in one pass, and its canonical report is whether
// appendCanonicalURI leaves the path as it is.
func TestPlainPathIsBothChecks(t *testing.T) {
	cases := []string{"", "/", "//", "/.", "/..", "/a/.", "/a/..", "/a/", "/a//b", "/a/.b", "/a/..b", "/.a", "/a.", "/_search", "/a b", "/a%2Fb", "a/b", "/./a", "/../a"}
	for _, p := range inputs(3, 200000, cases, "/", "/./..//a%2F%zz:;@$&+,=!'()* é~-_?#", 12) {
		want := pathNeedsNoEscape(p) && wirePathClean(p, false)
		got, canonical := plainPath(p)
		if got != want {
			t.Fatalf("plainPath(%q) = %v, pathNeedsNoEscape && wirePathClean = %v", p, got, want)
		}
		if wantCanon := got && string(appendCanonicalURI(nil, []byte(p), false)) == p; canonical != wantCanon {
			t.Fatalf("plainPath(%q) canonical = %v, its canonical URI is itself = %v", p, canonical, wantCanon)
		}
	}
}

// wireQueryByParts is the wire query rule written plainly: split on '&',
// then on the first '=', each part decoded and encoded again.
func wireQueryByParts(raw string) string {
	var out []string
	for _, param := range strings.Split(raw, "&") {
		if param == "" {
			continue
		}
		k, v, hasEq := strings.Cut(param, "=")
		s := reencode(k)
		if hasEq {
			s += "=" + reencode(v)
		}
		out = append(out, s)
	}
	return strings.Join(out, "&")
}

func reencode(s string) string {
	var dec []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			hi, _ := percent.Unhex(s[i+1])
			lo, _ := percent.Unhex(s[i+2])
			c = hi<<4 | lo
			i += 2
		}
		dec = append(dec, c)
	}
	return string(appendEscaped(nil, string(dec), false))
}

func TestWireQueryIsTheRuleByParts(t *testing.T) {
	cases := []string{"", "&", "a", "a=", "=a", "a=b=c", "&a=1&&b=2&", "q=a+b%2Bc&r=%20", "x=%4", "x=%", "x=%e3%81%82", "a&b", "a=%3D&b"}
	for _, raw := range inputs(5, 200000, cases, "", "&&==ab+%2F%2%zz%%41:;é /~", 16) {
		q, pairs := appendWireQuery(nil, nil, raw)
		if want := wireQueryByParts(raw); string(q) != want {
			t.Fatalf("wire query of %q = %q, want %q", raw, q, want)
		}
		// Each pair locates its key and value; the canonical query written
		// whole (wholeQuery) is the one written pair by pair.
		sortPairs(q, pairs)
		var slow []byte
		for j, p := range pairs {
			if j > 0 {
				slow = append(slow, '&')
			}
			slow = append(append(append(slow, q[p.ks:p.ke]...), '='), q[p.vs:p.ve]...)
		}
		if got := appendCanonicalQuery(nil, q, pairs); string(got) != string(slow) {
			t.Fatalf("canonical query of %q = %q, want %q", raw, got, slow)
		}
	}
}

// TestMemosNeverChangeTheSignature signs a run of requests with one
// long-lived Signer, whose memos (memo.go) and pooled scratch (a
// signing's HMAC for its last key) carry over from one request to the
// next, and with a new Signer for each; every header must
// agree. The run changes one thing at a time: the second, the secret under
// the same key id, the key id, the token (one with white space to trim),
// the region, the host and its scheme, the payload hash, a header of the
// request's own, a body.
func TestMemosNeverChangeTheSignature(t *testing.T) {
	long, err := New()
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 29, 23, 59, 58, 0, time.UTC)
	a := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-one", SessionToken: "token-one"}
	b := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-two", SessionToken: "token-one"}
	c := aws.Credentials{AccessKeyID: "AKIDOTHER", SecretAccessKey: "secret-one"}
	d := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-one", SessionToken: "  token  with   spaces "}
	steps := []struct {
		creds  aws.Credentials
		url    string
		region string
		at     time.Duration
		header string // "Name: value" set on the request
		body   string
	}{
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 900 * time.Millisecond, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", time.Second, "", ""},
		{b, "https://h.example/i/_search?q=x", "eu-west-1", time.Second, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", time.Second, "", ""},
		{c, "https://h.example/i/_search?q=x", "eu-west-1", 2 * time.Second, "", ""}, // the next day
		{d, "https://h.example/i/_search?q=x", "eu-west-1", 2 * time.Second, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 2 * time.Second, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-2", 2 * time.Second, "", ""},
		{a, "https://h.example:443/i/_doc/1", "eu-west-2", 2 * time.Second, "", ""},
		{a, "http://h.example:443/i/_doc/1", "eu-west-2", 2 * time.Second, "", ""},
		{a, "https://other.example/i/_doc/1", "eu-west-2", 2 * time.Second, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "X-Amz-Content-Sha256: UNSIGNED-PAYLOAD", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "", "{}"},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "Content-Type: application/json", ""},
		{a, "https://h.example/i/_search?q=x", "eu-west-1", 0, "", ""},
	}
	for i, st := range steps {
		sign := func(s *Signer) http.Header {
			req, _ := http.NewRequest(http.MethodGet, st.url, nil)
			if st.body != "" {
				req, _ = http.NewRequest(http.MethodPost, st.url, strings.NewReader(st.body))
			}
			if k, v, ok := strings.Cut(st.header, ": "); ok {
				req.Header.Set(k, v)
			}
			if err := s.Sign(req, st.creds, st.region, "es", base.Add(st.at)); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			req.Header.Set("Host", req.Host)
			return req.Header
		}
		fresh, _ := New()
		got, want := sign(long), sign(fresh)
		for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "Host"} {
			if got.Get(k) != want.Get(k) {
				t.Errorf("step %d: %s = %q with the memos, %q without", i, k, got.Get(k), want.Get(k))
			}
		}
	}
}

func TestCheckedCredentialsStillChecked(t *testing.T) {
	s, _ := New()
	req := func() *http.Request { r, _ := http.NewRequest(http.MethodGet, "https://h.example/", nil); return r }
	good := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "s", SessionToken: "t"}
	if err := s.Sign(req(), good, "eu-west-1", "es", time.Now()); err != nil {
		t.Fatal(err)
	}
	// Same key id and token as the memo, but no secret: still refused.
	noSecret := good
	noSecret.SecretAccessKey = ""
	if err := s.Sign(req(), noSecret, "eu-west-1", "es", time.Now()); err == nil {
		t.Fatal("a missing secret was accepted after a good signing with the same key id")
	}
	expired := good
	expired.CanExpire, expired.Expires = true, time.Now().Add(-time.Minute)
	if err := s.Sign(req(), expired, "eu-west-1", "es", time.Now()); err == nil {
		t.Fatal("expired credentials were accepted after a good signing with the same key id")
	}
}

func TestIsCanonicalKeyIsCanonicalHeaderKey(t *testing.T) {
	cases := []string{"", "-", "A", "a", "Content-Type", "content-type", "X-Amz-Date", "X-AMZ-Date", "x amz", "X Amz", "A-", "-a", "A--b", "Ab-C", "é"}
	for _, k := range inputs(7, 200000, cases, "", "aAzZ-0_ .:é\x00xX-mM", 8) {
		if got, want := isCanonicalKey(k), http.CanonicalHeaderKey(k) == k; got != want {
			t.Fatalf("isCanonicalKey(%q) = %v, CanonicalHeaderKey gives %q", k, got, http.CanonicalHeaderKey(k))
		}
	}
}

// TestKeptRoomHoldsEverySize signs requests whose kept bytes cover every
// size keptRoom serves and beyond, with one long-lived signer, keeping
// each signed request; then checks each against the same request signed
// by a fresh signer, so that no signing wrote into the strings of another.
func TestKeptRoomHoldsEverySize(t *testing.T) {
	long, _ := New()
	at := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	type signed struct {
		url, body string
		req       *http.Request     // as signed, kept while later signings run
		query     string            // a copy of its wire query when it was signed
		h         map[string]string // copies of its header values then
	}
	newReq := func(url, body string) *http.Request {
		if body == "" {
			r, _ := http.NewRequest(http.MethodGet, url, nil)
			return r
		}
		r, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		return r
	}
	var all []signed
	for q := 0; q <= 300; q++ {
		for _, body := range []string{"", "{}"} {
			url := "https://h.example/i/_search"
			if q > 0 {
				url += "?q=" + strings.Repeat("a:", q/2) + strings.Repeat("b", q%2)
			}
			r := newReq(url, body)
			if err := long.Sign(r, creds, "eu-west-1", "es", at); err != nil {
				t.Fatal(err)
			}
			h := map[string]string{}
			for k, v := range r.Header {
				h[k] = strings.Clone(v[0])
			}
			all = append(all, signed{url, body, r, strings.Clone(r.URL.RawQuery), h})
		}
	}
	for _, s := range all {
		// What later signings may not have changed: the strings the
		// request kept, against copies made when it was signed.
		if s.req.URL.RawQuery != s.query {
			t.Errorf("%s: query %q when signed, %q after later signings", s.url, s.query, s.req.URL.RawQuery)
		}
		for k, v := range s.h {
			if got := s.req.Header[k]; len(got) != 1 || got[0] != v {
				t.Errorf("%s %q: %s = %q when signed, %q after later signings", s.url, s.body, k, v, got)
			}
		}
		// And what a fresh signer makes of the same request.
		fresh, _ := New()
		r := newReq(s.url, s.body)
		if err := fresh.Sign(r, creds, "eu-west-1", "es", at); err != nil {
			t.Fatal(err)
		}
		if r.URL.RawQuery != s.query {
			t.Errorf("%s: query %q, a fresh signer's %q", s.url, s.query, r.URL.RawQuery)
		}
		for k, v := range r.Header {
			if s.h[k] != v[0] {
				t.Errorf("%s %q: %s = %q, a fresh signer's %q", s.url, s.body, k, s.h[k], v[0])
			}
		}
	}
}

// TestSigningAllocations: signing a request again allocates once while
// the bytes it keeps (223 + the wire query, here) fit keptRoom's largest
// room, twice beyond. The race detector changes allocation counts, so
// .ci/run also runs this test without it.
func TestSigningAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector; .ci/run runs this test without it")
	}
	s, _ := New()
	at := time.Date(2026, 11, 30, 1, 2, 3, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}
	for q := 0; q <= 300; q += 25 {
		url := "https://h.example/i/_search"
		if q > 0 {
			url += "?q=" + strings.Repeat("a:", q/2) + strings.Repeat("b", q%2)
		}
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		raw := r.URL.RawQuery
		n := testing.AllocsPerRun(20, func() {
			clear(r.Header)
			r.URL.RawQuery = raw
			if err := s.Sign(r, creds, "eu-west-1", "es", at); err != nil {
				t.Fatal(err)
			}
		})
		want := 1.0
		if 223+len(r.URL.RawQuery) > 384 {
			want = 2
		}
		if n != want {
			t.Errorf("query of %d bytes: %v allocations, want %v", len(r.URL.RawQuery), n, want)
		}
	}
}
