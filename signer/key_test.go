package signer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestDeriveKey: the signing key of AWS's worked example (secret
// wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830, us-east-1, iam).
func TestDeriveKey(t *testing.T) {
	k := deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := hex.EncodeToString(k.key[:]); got != want {
		t.Fatalf("signing key %s, want %s", got, want)
	}
}

// TestBuildSignatureKeepsHMACPerKey: a signing that reuses its HMAC for the
// same key, and makes a new one for another, gives crypto/hmac's answer
// every time, whatever the order of keys and the length of the message.
func TestBuildSignatureKeepsHMACPerKey(t *testing.T) {
	keys := []*derivedKey{
		deriveKey("secret-a", "20261201", "us-east-1", "es"),
		deriveKey("secret-b", "20261201", "us-east-1", "es"),
	}
	sg := signingPool.New().(*signing)
	for i, n := range []int{0, 1, 55, 56, 63, 64, 65, 130, 1000, 64, 0} {
		key := keys[i%3%2] // a, b, a, a, b, a, ...
		msg := make([]byte, n)
		for j := range msg {
			msg[j] = byte(j * 7)
		}
		m := hmac.New(sha256.New, key.key[:])
		m.Write(msg)
		if got := sg.buildSignature(key, msg); string(got[:]) != string(m.Sum(nil)) {
			t.Errorf("message of %d bytes, key %d: wrong HMAC", n, i%3%2)
		}
	}
}
