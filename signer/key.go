package signer

import (
	"crypto/sha256"
	"encoding"
	"hash"
	"sync"
	"sync/atomic"
)

// derivedKey is a SigV4 signing key in the form HMAC needs: the key xor'ed
// with the inner and outer pads, and the states of SHA-256 after absorbing
// each pad. Restoring a state is cheaper than compressing the pad block
// again on every signature.
type derivedKey struct {
	ipad, opad   [sha256.BlockSize]byte
	inner, outer []byte // sha256 states as MarshalBinary writes them; nil if it cannot
}

func newDerivedKey(key []byte) *derivedKey {
	if len(key) > sha256.BlockSize { // never for a 32-byte derived key
		sum := sha256.Sum256(key)
		key = sum[:]
	}
	k := &derivedKey{}
	copy(k.ipad[:], key)
	copy(k.opad[:], key)
	for i := range k.ipad {
		k.ipad[i] ^= 0x36
		k.opad[i] ^= 0x5c
	}
	k.inner, k.outer = padState(k.ipad[:]), padState(k.opad[:])
	if k.inner == nil || k.outer == nil {
		k.inner, k.outer = nil, nil
	}
	return k
}

// padState returns the state of SHA-256 after pad, or nil if the hash
// cannot marshal its state (crypto/sha256 always can).
func padState(pad []byte) []byte {
	h := sha256.New()
	h.Write(pad)
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil
	}
	st, err := m.MarshalBinary()
	if err != nil {
		return nil
	}
	return st
}

// hmacSHA256 computes HMAC-SHA256 of msg under key into out, with h as the
// hash and buf as scratch space (returned, perhaps grown, for reuse).
func hmacSHA256(key *derivedKey, msg []byte, out *[sha256.Size]byte, h hash.Hash, buf []byte) []byte {
	if u, ok := h.(encoding.BinaryUnmarshaler); ok && key.inner != nil && u.UnmarshalBinary(key.inner) == nil {
		h.Write(msg)
		buf = h.Sum(buf[:0])
		if u.UnmarshalBinary(key.outer) == nil {
			h.Write(buf)
			buf = h.Sum(buf[:0])
			copy(out[:], buf)
			return buf
		}
	}
	// Without saved states: hash the pads again.
	buf = append(buf[:0], key.ipad[:]...)
	buf = append(buf, msg...)
	inner := sha256.Sum256(buf)
	buf = append(buf[:0], key.opad[:]...)
	buf = append(buf, inner[:]...)
	*out = sha256.Sum256(buf)
	return buf
}

// innerState returns the state of SHA-256 inside HMAC under key after
// block (a whole number of blocks), written into room, or nil when the
// hash cannot save its state.
func innerState(key *derivedKey, block []byte, h hash.Hash, room []byte) []byte {
	u, ok1 := h.(encoding.BinaryUnmarshaler)
	a, ok2 := h.(encoding.BinaryAppender)
	if !ok1 || !ok2 || key.inner == nil || len(block)%sha256.BlockSize != 0 || u.UnmarshalBinary(key.inner) != nil {
		return nil
	}
	h.Write(block)
	st, err := a.AppendBinary(room[:0])
	if err != nil {
		return nil
	}
	return st
}

// hmacResume is hmacSHA256 of msg under key for an msg whose first
// skip bytes left the inner hash in state (from innerState).
func hmacResume(key *derivedKey, state []byte, skip int, msg []byte, out *[sha256.Size]byte, h hash.Hash, buf []byte) []byte {
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok || state == nil || u.UnmarshalBinary(state) != nil {
		return hmacSHA256(key, msg, out, h, buf)
	}
	h.Write(msg[skip:])
	buf = h.Sum(buf[:0])
	if u.UnmarshalBinary(key.outer) != nil {
		return hmacSHA256(key, msg, out, h, buf)
	}
	h.Write(buf)
	buf = h.Sum(buf[:0])
	copy(out[:], buf)
	return buf
}

// hmacBytes is hmacSHA256 for the key derivation steps, where the key
// changes at each step.
func hmacBytes(key, msg []byte) [sha256.Size]byte {
	var out [sha256.Size]byte
	hmacSHA256(newDerivedKey(key), msg, &out, sha256.New(), nil)
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
	ck := cacheKey{secret: secret, region: region, service: service, date: date}
	if l := c.last.Load(); l != nil && l.id == ck {
		return l.key
	}
	c.mu.RLock()
	k := c.keys[ck]
	c.mu.RUnlock()
	if k != nil {
		c.last.Store(&cachedKey{ck, k})
		return k
	}
	k = deriveKey(secret, string(date[:]), region, service)
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= keyCacheSize {
		c.keys = make(map[cacheKey]*derivedKey)
	}
	c.keys[ck] = k
	c.mu.Unlock()
	c.last.Store(&cachedKey{ck, k})
	return k
}
