package signer

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// A process signs for one host and scope with one set of credentials, many
// times a second, and much of each signing is then the same as the last.
// A memo holds the last input a stage saw beside what the stage made of
// it, and gives it back only when the input at hand compares equal; a miss
// makes the value again and keeps it in place of the old one. Each memo is
// one atomic pointer to an immutable value, so concurrent signings share
// it without a lock and a race only costs a second making. These are all
// of the Signer's memos (the derived keys are a bounded cache, keyCache in
// key.go):
//
//	memo    key                               value                            readers                     invalidation
//	date    the Unix second                   X-Amz-Date as one string shared  Sign (amzDate)              another second
//	                                          by the second's requests
//	second  X-Amz-Date, region, service,      the string to sign up to the     buildStringToSign,          another second, scope
//	        access key id, secret             hash, the credential scope, the  buildSignature, apply       or credentials
//	                                          signing key, Authorization up
//	                                          to the signed-header list
//	headers host, constant payload hash,      the canonical request's header   buildCanonicalRequest       another host, payload
//	        session token, whether the        section but for X-Amz-Date's     (requests that sign only    hash or token
//	        signer sets the payload header    value                            the signer's own headers)
//
// Each figure below is BenchmarkSignClock (bench/signclock_test.go) with
// the memo against without it, cpu-ns/op, interleaved runs on a loaded
// 2-core machine. Memos that did not pay were removed: the host's wire
// form, the validated scope and the validated credentials each saved less
// than the runs' noise (a few nanoseconds of scanning short strings).
type memos struct {
	date    atomic.Pointer[dateMemo]
	second  atomic.Pointer[secondMemo]
	headers atomic.Pointer[headerMemo]
	host    atomic.Pointer[hostMemo]
	scope   atomic.Pointer[scopeMemo]
	creds   atomic.Pointer[credsMemo]
}

// memoOff turns memos off, for measuring what each one saves.
const memoOff = 0

const (
	offDate = 1 << iota
	offSecond
	offHeaders
	offHost
	offScope
	offCreds
)

type hostMemo struct{ in, scheme, out string }

// wireHostOf is wireHost through the host memo.
func (m *memos) wireHostOf(host, scheme string) (string, error) {
	if h := m.host.Load(); memoOff&offHost == 0 && h != nil && h.in == host && h.scheme == scheme {
		return h.out, nil
	}
	out, err := wireHost(host, scheme)
	if err == nil {
		m.host.Store(&hostMemo{host, scheme, out})
	}
	return out, err
}

type scopeMemo struct{ region, service string }

// checkScopeOf is checkScope through the scope memo.
func (m *memos) checkScopeOf(region, service string) error {
	if sc := m.scope.Load(); memoOff&offScope == 0 && sc != nil && sc.region == region && sc.service == service {
		return nil
	}
	if err := checkScope(region, service); err != nil {
		return err
	}
	m.scope.Store(&scopeMemo{region, service})
	return nil
}

type credsMemo struct{ akid, token string }

// checkCredsOf is checkCreds through the credentials memo.
func (m *memos) checkCredsOf(akid, secret, token string) error {
	if c := m.creds.Load(); memoOff&offCreds == 0 && c != nil && c.akid == akid && c.token == token && secret != "" {
		return nil
	}
	if err := checkCreds(akid, secret, token); err != nil {
		return err
	}
	m.creds.Store(&credsMemo{akid, token})
	return nil
}

// dateMemo is one second formatted as X-Amz-Date, as a string that every
// request signed in that second shares (strings are immutable), so that
// the request's X-Amz-Date value needs no room of its own.
type dateMemo struct {
	unix int64
	text string // in room: one allocation a second
	room [16]byte
}

// amzDate appends t as X-Amz-Date, reusing the last second formatted, and
// returns that second's shared string too ("" for a year past 9999).
func (m *memos) amzDate(b []byte, t time.Time) ([]byte, string) {
	u := t.Unix()
	if d := m.date.Load(); memoOff&offDate == 0 && d != nil && d.unix == u {
		return append(b, d.text...), d.text
	}
	start := len(b)
	b = appendAmzDate(b, t)
	if len(b)-start != 16 { // years 0-9999 only
		return b, ""
	}
	d := &dateMemo{unix: u}
	copy(d.room[:], b[start:])
	d.text = unsafe.String(&d.room[0], len(d.room))
	m.date.Store(d)
	return b, d.text
}

// secondKey is what the second memo depends on.
type secondKey struct {
	date                          [16]byte
	region, service, akid, secret string
}

// secondMemo is what every request signed in the same second for the same
// scope with the same credentials shares.
type secondMemo struct {
	secondKey
	prefix []byte // the string to sign up to the hash: algorithm "\n" date "\n" scope "\n"
	scope  span   // the credential scope within prefix
	key    *derivedKey
	auth   []byte // "AWS4-HMAC-SHA256 Credential=" akid "/" scope ", SignedHeaders="
	room   [256]byte
}

// secondFor returns the second memo for k, making it (with the signing key
// from keys) on a miss.
func (m *memos) secondFor(k *secondKey, keys *keyCache) *secondMemo {
	if sm := m.second.Load(); memoOff&offSecond == 0 && sm != nil && sm.secondKey == *k {
		return sm
	}
	sm := newSecondMemo(k, keys)
	m.second.Store(sm)
	return sm
}

// newSecondMemo makes the second memo for k.
func newSecondMemo(k *secondKey, keys *keyCache) *secondMemo {
	sm := &secondMemo{secondKey: *k}
	var day [8]byte
	copy(day[:], k.date[:8])
	sm.key = keys.get(k.secret, day, k.region, k.service)
	b := append(sm.room[:0], algorithm+"\n"...)
	b = append(b, k.date[:]...)
	b = append(b, '\n')
	sm.scope.start = len(b)
	b = appendScope(b, day[:], k.region, k.service)
	sm.scope.end = len(b)
	b = append(b, '\n')
	sm.prefix = b[:len(b):len(b)]
	a := append(b[len(b):], algorithm+" Credential="...)
	a = append(a, k.akid...)
	a = append(a, '/')
	a = append(a, sm.prefix[sm.scope.start:sm.scope.end]...)
	a = append(a, ", SignedHeaders="...)
	sm.auth = a[:len(a):len(a)]
	return sm
}

// headerKey is what the header memo depends on.
type headerKey struct {
	host, payload, token string
	setHash              bool
}

// headerMemo is the header section of the canonical request of a request
// that signs only the signer's own headers and has a constant payload
// hash, split around X-Amz-Date's value.
type headerMemo struct {
	headerKey
	pre, post []byte
	signed    span // the signed-header list within post
}

// headersFor returns the header memo for k, or nil when it holds another
// key.
func (m *memos) headersFor(k *headerKey) *headerMemo {
	if hm := m.headers.Load(); memoOff&offHeaders == 0 && hm != nil && hm.headerKey == *k {
		return hm
	}
	return nil
}

// keepHeaders makes hm the header memo.
func (m *memos) keepHeaders(hm *headerMemo) { m.headers.Store(hm) }
