package signer

import (
	"crypto/sha256"
	"hash"
	"sync"
)

// derivedKey is a SigV4 signing key in the form HMAC needs: the key xor'ed
// with the inner and outer pads. Keeping the pads saves recomputing them on
// every signature.
type derivedKey struct {
	ipad, opad [sha256.BlockSize]byte
}

func newDerivedKey(key []byte) *derivedKey {
	var k derivedKey
	if len(key) > sha256.BlockSize { // never for a 32-byte derived key
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	copy(k.ipad[:], key)
	copy(k.opad[:], key)
	for i := range k.ipad {
		k.ipad[i] ^= 0x36
		k.opad[i] ^= 0x5c
	}
	return &k
}

var sha256Pool = sync.Pool{New: func() any { return sha256.New() }}

// hmacSHA256 computes HMAC-SHA256 of msg under key and writes it to out.
func hmacSHA256(key *derivedKey, msg []byte, out *[sha256.Size]byte) {
	h := sha256Pool.Get().(hash.Hash)
	h.Reset()
	h.Write(key.ipad[:])
	h.Write(msg)
	h.Sum(out[:0])
	h.Reset()
	h.Write(key.opad[:])
	h.Write(out[:])
	h.Sum(out[:0])
	sha256Pool.Put(h)
}

// hmacBytes is hmacSHA256 for the key derivation steps, where the key
// changes at each step.
func hmacBytes(key, msg []byte) [sha256.Size]byte {
	var out [sha256.Size]byte
	hmacSHA256(newDerivedKey(key), msg, &out)
	return out
}

// deriveKey computes the SigV4 signing key:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) *derivedKey {
	k := hmacBytes([]byte("AWS4"+secret), []byte(date))
	k = hmacBytes(k[:], []byte(region))
	k = hmacBytes(k[:], []byte(service))
	k = hmacBytes(k[:], []byte("aws4_request"))
	return newDerivedKey(k[:])
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

// keyCache holds derived keys per (secret, date, region, service).
type keyCache struct {
	mu   sync.RWMutex
	keys map[cacheKey]*derivedKey
}

func (c *keyCache) get(secret string, date [8]byte, region, service string) *derivedKey {
	ck := cacheKey{secret: secret, region: region, service: service, date: date}
	c.mu.RLock()
	k := c.keys[ck]
	c.mu.RUnlock()
	if k != nil {
		return k
	}
	k = deriveKey(secret, string(date[:]), region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = make(map[cacheKey]*derivedKey)
	}
	c.keys[ck] = k
	c.mu.Unlock()
	return k
}
