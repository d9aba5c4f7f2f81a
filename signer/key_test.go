package signer

import (
	"crypto/fips140"
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

// TestSignatureMACResumes: strings to sign that share their first block
// (the same second and key) or not, longer and shorter than a block, in
// any order of keys, give crypto/hmac's answer; outside FIPS 140 mode the
// signing resumes after the first block it saw last.
func TestSignatureMACResumes(t *testing.T) {
	keys := []*derivedKey{
		deriveKey("secret-a", "20261201", "us-east-1", "es"),
		deriveKey("secret-b", "20261201", "us-east-1", "es"),
	}
	msg := func(head byte, n int, tail byte) []byte {
		m := make([]byte, n)
		for j := range m {
			m[j] = head + byte(j)
			if j >= sha256.BlockSize {
				m[j] = tail ^ byte(j)
			}
		}
		return m
	}
	sg := signingPool.New().(*signing)
	steps := []struct {
		key        int
		head       byte
		n          int
		tail       byte
		wantResume bool
	}{
		{0, 'a', 133, 1, false}, // a new key: no state yet
		{0, 'a', 133, 2, true},  // the same first block, another tail
		{0, 'a', 140, 3, true},  // and another length
		{0, 'b', 133, 2, false}, // another first block: a new second
		{0, 'b', 64, 2, false},  // a block or less: nothing to resume
		{0, 'b', 65, 4, true},
		{1, 'b', 133, 2, false}, // another key
		{0, 'b', 133, 2, false}, // back: the key's state was dropped
		{0, 'b', 133, 2, true},
	}
	for i, st := range steps {
		key, m := keys[st.key], msg(st.head, st.n, st.tail)
		resumes := sg.mac.key == key && sg.mac.inner != nil && len(m) > sha256.BlockSize &&
			len(sg.mac.state) > 0 && string(m[:sha256.BlockSize]) == string(sg.mac.head[:])
		want := hmac.New(sha256.New, key.key[:])
		want.Write(m)
		if got := sg.buildSignature(key, m); string(got[:]) != string(want.Sum(nil)) {
			t.Errorf("step %d: wrong HMAC", i)
		}
		if resumes != (st.wantResume && !fips140.Enabled()) {
			t.Errorf("step %d: resumed %v, want %v (FIPS mode %v)", i, resumes, st.wantResume, fips140.Enabled())
		}
	}
	if !fips140.Enabled() && !resumeChecked() {
		t.Error("resuming does not give crypto/hmac's answer: the signer hashes every block")
	}
}
