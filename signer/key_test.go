package signer

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
)

// TestHMACBothPaths: the saved-state path and the fallback agree with
// crypto/hmac.
func TestHMACBothPaths(t *testing.T) {
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 130, 1000} {
		key := []byte("a derived key of exactly 32 byte")
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i * 7)
		}
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		want := m.Sum(nil)

		k := newDerivedKey(key)
		var got [sha256.Size]byte
		hmacSHA256(k, msg, &got, sha256.New(), nil)
		if string(got[:]) != string(want) {
			t.Errorf("saved states, %d bytes: wrong HMAC", n)
		}
		k.inner, k.outer = nil, nil
		hmacSHA256(k, msg, &got, sha256.New(), nil)
		if string(got[:]) != string(want) {
			t.Errorf("fallback, %d bytes: wrong HMAC", n)
		}
	}
}
