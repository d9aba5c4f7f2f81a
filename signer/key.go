package signer

import (
	"crypto/hmac"
	"crypto/sha256"
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
