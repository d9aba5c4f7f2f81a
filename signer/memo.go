package signer

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// A process signs for one host and scope with one set of credentials, many
// times a second, and some of each signing is then the same as the last.
// A memo holds the last input a stage saw beside what the stage made of
// it, and gives it back only when the input at hand compares equal; a miss
// makes the value again and keeps it in place of the old one. Each memo is
// one atomic pointer to an immutable value, so concurrent signings share
// it without a lock and a race only costs a second making. These are all
// of the Signer's memos (shared with the Signers With derives); the stages
// reach them only through the accessors below:
//
//	memo     key                       value                       readers                  invalidation
//	date     the Unix second           X-Amz-Date, one string      Sign (amzDate), apply    another second
//	                                   the second's requests share
//	headers  host, constant payload    the canonical request's     buildCanonicalRequest    another host, payload
//	         hash, session token,      header section around       (requests that sign      hash, token or
//	         whether the signer sets   X-Amz-Date's value          only the signer's own    payload-header policy
//	         X-Amz-Content-Sha256                                  headers, without body)
//	host     host, scheme              the host's wire form        wireForm (wireHostOf)    another host or scheme
//	creds    access key id, secret,    (validated by               check (checkCredsOf)     another key id, secret
//	         token                     internal/credcheck)                                  or token
//	keys     secret, day, region,      the signing key             Sign (keyCache.get,      bounded: emptied when
//	         service                                               key.go)                  full (keyCacheSize)
//
// What each saves is measured in instructions, which other tenants of the
// machine do not change: BenchmarkSignClock (bench/signclock_test.go)
// under callgrind, GOMAXPROCS=1 and GOGC=off, the count for 100000
// signings less the count for 50000, with memoOff set to the memo's bit;
// 30,038 instructions a signing with every memo, all hits, and 33,043 at
// every new second (everysecond). Without:
//
//   - date: 345 more all hits (1.1%); 165 fewer at every new second, which
//     then takes one allocation fewer (X-Amz-Date goes into the request's
//     one allocation, keptRoom) but no longer shares X-Amz-Date's string.
//   - headers: 706 more (2.4%), all hits and every second alike.
//   - host: 396 more (1.3%), both.
//   - creds: 295 more (1.0%), both.
//   - all of them: 1,824 more (6.1%), the sum of the four and a scope memo
//     (region and service validated), which saved 92 (0.3%) and was
//     removed: less than any time measurement here can see, for a type,
//     an accessor and a line of this table.
//   - keys: deriving a key is four HMACs: BenchmarkSignClock/newday, which
//     derives one per signing, takes about twice the instructions of its
//     cold case, which finds them cached (104,966 against 49,294,
//     the collector on).
//
// memoOff turns memos off (its bits, one per memo) for measuring them
// again: rebuild the benchmark with it set.
//
// The signature's HMAC resumes after the string to sign's first block
// (signatureMAC, key.go), which is the signing's own state, not a memo.
// A memo of the string to sign's prefix, Authorization's prefix and the
// key for each second was measured and removed: it saved nothing
// measurable with all hits (+2%, noise) and cost 20% and an allocation at
// every new second (1572 against 1962 cpu-ns/op without it, p=0.007).
type memos struct {
	date    atomic.Pointer[dateMemo]
	headers atomic.Pointer[headerMemo]
	host    atomic.Pointer[hostMemo]
	creds   atomic.Pointer[credsMemo]
}

// memoOff turns off the memos whose bits it holds, for measuring what
// each one saves; it is 0 in use.
const memoOff = 0

const (
	offDate = 1 << iota
	offHeaders
	offHost
	offCreds
)

type hostMemo struct{ in, scheme, out string }

// wireHostOf is wireHost through the host memo. Each accessor here is
// the hit, a few comparisons, and leaves the miss to a function of its own
// (make...), so that the hit reads as what it is.
func (m *memos) wireHostOf(host, scheme string) (string, error) {
	if h := m.host.Load(); memoOff&offHost == 0 && h != nil && h.in == host && h.scheme == scheme {
		return h.out, nil
	}
	return m.makeWireHost(host, scheme)
}

func (m *memos) makeWireHost(host, scheme string) (string, error) {
	out, err := wireHost(host, scheme)
	if err == nil && memoOff&offHost == 0 {
		m.host.Store(&hostMemo{host, scheme, out})
	}
	return out, err
}

type credsMemo struct{ akid, secret, token string }

// checkCredsOf is checkCreds through the credentials memo.
func (m *memos) checkCredsOf(akid, secret, token string) error {
	if c := m.creds.Load(); memoOff&offCreds == 0 && c != nil && c.akid == akid && c.secret == secret && c.token == token {
		return nil
	}
	return m.makeCreds(akid, secret, token)
}

func (m *memos) makeCreds(akid, secret, token string) error {
	if err := checkCreds(akid, secret, token); err != nil || memoOff&offCreds != 0 {
		return err
	}
	m.creds.Store(&credsMemo{akid, secret, token})
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
	return m.makeDate(b, t)
}

func (m *memos) makeDate(b []byte, t time.Time) ([]byte, string) {
	u := t.Unix()
	start := len(b)
	b = appendAmzDate(b, t)
	if len(b)-start != 16 || memoOff&offDate != 0 { // years 0-9999 only
		return b, ""
	}
	d := &dateMemo{unix: u}
	copy(d.room[:], b[start:])
	d.text = unsafe.String(&d.room[0], len(d.room))
	m.date.Store(d)
	return b, d.text
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

// headersFor returns the header memo of a request that signs only the
// signer's own headers (hs) with the values own, making it on a miss.
func (m *memos) headersFor(hs *headerSet, own *ownValues) *headerMemo {
	if hm := m.headers.Load(); hm != nil && hm.host == own.host && hm.payload == own.payload.constant && hm.token == own.token && hm.setHash == hs.setHash {
		return hm // fields compared one by one: == on headerKey is a call
	}
	return m.makeHeaders(hs, own)
}

func (m *memos) makeHeaders(hs *headerSet, own *ownValues) *headerMemo {
	k := headerKey{host: own.host, payload: own.payload.constant, token: own.token, setHash: hs.setHash}
	hm := newHeaderMemo(&k, hs.list, own)
	m.headers.Store(hm)
	return hm
}

// newHeaderMemo makes the header memo for k from the signer's own headers.
func newHeaderMemo(k *headerKey, headers []signedHeader, own *ownValues) *headerMemo {
	section, signed, dateAt := appendHeaderSection(nil, headers, own)
	after := dateAt + len(own.date)
	return &headerMemo{
		headerKey: *k,
		pre:       section[:dateAt:dateAt], post: section[after:],
		signed: span{signed.start - after, signed.end - after},
	}
}
