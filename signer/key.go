package signer

import (
	"crypto/fips140"
	"crypto/hmac"
	"crypto/sha256"
	"encoding"
	"hash"
	"sync"
	"sync/atomic"
)

// derivedKey is a SigV4 signing key. Signings compare keys by pointer: a
// signing keeps its HMAC for the key it last used (buildSignature).
type derivedKey struct {
	key [sha256.Size]byte
}

// hmacSum returns HMAC-SHA256 of msg under key.
func hmacSum(key []byte, msg string) [sha256.Size]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	var out [sha256.Size]byte
	m.Sum(out[:0])
	return out
}

// deriveKey computes the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) *derivedKey {
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k[:], region)
	k = hmacSum(k[:], service)
	k = hmacSum(k[:], scopeSuffix)
	return &derivedKey{key: k}
}

// keyCacheSize bounds the cache. Keys change once a day per
// (credentials, region, service); a few dozen entries cover a process that
// signs for several services with rotating credentials, and the bound keeps
// a process that rotates keys often from growing without limit.
const keyCacheSize = 64

type cacheKey struct {
	secret, region, service string
	date                    [8]byte
}

// keyCache holds derived keys per (secret, date, region, service), with
// the last one used in front: a process usually signs with one key.
type keyCache struct {
	last atomic.Pointer[cachedKey]
	mu   sync.RWMutex
	keys map[cacheKey]*derivedKey
}

type cachedKey struct {
	id  cacheKey
	key *derivedKey
}

func (c *keyCache) get(secret string, date [8]byte, region, service string) *derivedKey {
	if l := c.last.Load(); l != nil && l.id.date == date && l.id.secret == secret && l.id.region == region && l.id.service == service {
		return l.key // fields compared one by one: == on cacheKey is a call
	}
	return c.find(cacheKey{secret: secret, region: region, service: service, date: date})
}

// find is get past the last key used.
func (c *keyCache) find(ck cacheKey) *derivedKey {
	c.mu.RLock()
	k := c.keys[ck]
	c.mu.RUnlock()
	if k != nil {
		c.last.Store(&cachedKey{ck, k})
		return k
	}
	k = deriveKey(ck.secret, string(ck.date[:]), ck.region, ck.service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = make(map[cacheKey]*derivedKey)
	}
	c.keys[ck] = k
	c.mu.Unlock()
	c.last.Store(&cachedKey{ck, k})
	return k
}

// signatureMAC is a signing's HMAC-SHA256 under the signing key it last
// used: crypto/hmac's, kept for the next signing with that key, whose
// Reset restores the keyed state without hashing the key's pads again.
//
// It also resumes: the first 64 bytes of a string to sign (the algorithm,
// X-Amz-Date and the start of the scope) are the same for every signing
// with one key in one second, so the state of the HMAC's inner SHA-256
// after them is kept, and the next signing whose string begins with the
// same block starts from there: one SHA-256 block of the HMAC's four
// fewer. crypto/hmac has no call that sets that state, so newMAC keeps the
// inner hash it makes for crypto/hmac (the second one hmac.New asks for)
// and the state goes back through that hash's UnmarshalBinary, as
// crypto/hmac's own Reset restores the keyed state. resumeChecked checks
// the result against crypto/hmac's once per process, and in FIPS 140 mode
// (GODEBUG=fips140=on) nothing resumes: the signature goes through
// crypto/hmac's calls alone.
//
// What resuming pays, in instructions (BenchmarkSignClock under callgrind,
// GOMAXPROCS=1, GOGC=off, 100000 signings less 50000): 1,750 fewer a
// signing all hits (30,102 against 31,852 without, 5.5%), 764 more at every
// new second (33,114 against 32,350: the state is saved, 2.4%) and 654 more
// when each signing changes key (cold: 45,010 against 44,356). It pays from
// two signings a second with one key on.
type signatureMAC struct {
	key   *derivedKey
	mac   hash.Hash              // crypto/hmac's, under key
	inner innerHash              // mac's inner SHA-256; nil when not resuming
	fresh bool                   // mac is new: keyed, and nothing written yet
	kept  bool                   // mac was Reset: crypto/hmac keeps its pads' states
	head  [sha256.BlockSize]byte // the first block of the last message
	state []byte                 // inner's state after head; empty if none
}

// innerHash is what resuming needs of mac's inner hash.
type innerHash interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// reset makes m an HMAC under key.
func (m *signatureMAC) reset(key *derivedKey) {
	m.key, m.state, m.fresh, m.kept = key, m.state[:0], true, false
	m.mac, m.inner = newMAC(key.key[:])
	if m.inner != nil && !resumeChecked() {
		m.inner = nil
	}
}

// newMAC returns crypto/hmac's HMAC-SHA256 under key and, outside FIPS 140
// mode, the inner hash it made for it (nil when not found).
func newMAC(key []byte) (hash.Hash, innerHash) {
	var made [2]hash.Hash
	n := 0
	mac := hmac.New(func() hash.Hash {
		h := sha256.New()
		if n < len(made) {
			made[n] = h
		}
		n++
		return h
	}, key)
	in, ok := made[1].(innerHash)
	if fips140.Enabled() || n != len(made) || !ok {
		return mac, nil
	}
	return mac, in
}

// resumeChecked reports whether signatureMAC, resuming, gives crypto/hmac's
// answer (it would not if hmac.New made its hashes in another order).
var resumeChecked = sync.OnceValue(func() bool {
	key := []byte("signatureMAC's check, any 32 B..")
	msg := make([]byte, 2*sha256.BlockSize+5)
	for i := range msg {
		msg[i] = byte(i)
	}
	m := signatureMAC{fresh: true}
	if m.mac, m.inner = newMAC(key); m.inner == nil {
		return false
	}
	first := m.sum(msg, nil)  // keeps the state after the first block
	second := m.sum(msg, nil) // resumes from it
	want := hmac.New(sha256.New, key)
	want.Write(msg)
	w := want.Sum(nil)
	return hmac.Equal(first, w) && hmac.Equal(second, w)
})

// sum appends the HMAC of msg to out.
func (m *signatureMAC) sum(msg, out []byte) []byte {
	const block = sha256.BlockSize
	switch {
	case m.inner == nil || len(msg) <= block:
		m.keyed()
		m.mac.Write(msg)
	case len(m.state) > 0 && string(msg[:block]) == string(m.head[:]) && m.resume():
		m.mac.Write(msg[block:])
	default:
		m.keyed()
		m.mac.Write(msg[:block])
		st, err := m.inner.AppendBinary(m.state[:0])
		if err != nil {
			st = st[:0]
		}
		m.state = st
		copy(m.head[:], msg)
		m.mac.Write(msg[block:])
	}
	return m.mac.Sum(out)
}

// keyed puts mac in its keyed state, before anything is written. A new
// HMAC is in it already, and its first Reset hashes the key's pads again
// (to keep their states, so that later Sums do not hash the outer pad):
// that waits for the key's second use.
func (m *signatureMAC) keyed() {
	if m.fresh {
		m.fresh = false
		return
	}
	m.mac.Reset()
	m.kept = true
}

// resume puts the inner hash in its state after the first block kept.
func (m *signatureMAC) resume() bool {
	if !m.kept {
		m.mac.Reset() // once: from then on Sum restores the outer pad's state
		m.kept = true
	}
	return m.inner.UnmarshalBinary(m.state) == nil
}
