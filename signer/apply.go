package signer

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"time"
	"unsafe"
)

// authorization is what the Authorization header holds beside the
// algorithm: the access key id, the credential scope, the signed-header
// list and the signature.
type authorization struct {
	akid          string
	scope, signed []byte
	sig           *[sha256.Size]byte
}

// size is the length of the Authorization header's value.
func (a *authorization) size() int {
	return len(algorithm+" Credential=") + len(a.akid) + 1 + len(a.scope) +
		len(", SignedHeaders=") + len(a.signed) + len(", Signature=") + 2*sha256.Size
}

// appendTo appends the Authorization header's value to b, writing the
// signature's hex in place when b has room for it (as keptRoom's has).
func (a *authorization) appendTo(b []byte) []byte {
	b = append(b, algorithm+" Credential="...)
	b = append(b, a.akid...)
	b = append(b, '/')
	b = append(b, a.scope...)
	b = append(b, ", SignedHeaders="...)
	b = append(b, a.signed...)
	b = append(b, ", Signature="...)
	end := len(b) + 2*sha256.Size
	b = slices.Grow(b, 2*sha256.Size)
	hexSum((*[2 * sha256.Size]byte)(b[len(b):end]), a.sig)
	return b[:end]
}

// apply writes the wire form and the signature into the request. The
// strings the request keeps (the wire path and query when they changed, a
// computed payload hash and Authorization) and its four header values
// share one allocation (see keptRoom); X-Amz-Date is the second's shared
// string.
func (sg *signing) apply(req *http.Request, w *wire, hs *headerSet, own *ownValues, auth authorization) {
	n := auth.size()
	if w.pathChanged {
		n += len(w.path)
	}
	if w.queryChanged {
		n += len(w.query)
	}
	if own.payload.constant == "" {
		n += len(own.payload.hex)
	}
	if own.dateText == "" {
		n += len(own.date)
	}
	vals, buf := keptRoom(n)
	mark := func(start int) string { b := buf[start:]; return unsafe.String(unsafe.SliceData(b), len(b)) }
	if w.pathChanged {
		buf = append(buf, w.path...)
		setWirePath(req.URL, mark(0))
	}
	if w.queryChanged {
		start := len(buf)
		buf = append(buf, w.query...)
		req.URL.RawQuery = mark(start)
	}
	req.URL.ForceQuery = false
	if req.Host != w.host && (req.Host != "" || req.URL.Host != w.host) {
		req.Host = w.host
	}

	// vals: X-Amz-Date, X-Amz-Content-Sha256, X-Amz-Security-Token, Authorization.
	if vals[0] = own.dateText; vals[0] == "" {
		start := len(buf)
		buf = append(buf, own.date...)
		vals[0] = mark(start)
	}
	if vals[1] = own.payload.constant; vals[1] == "" {
		start := len(buf)
		buf = append(buf, own.payload.hex...)
		vals[1] = mark(start)
	}
	vals[2] = own.token
	start := len(buf)
	buf = auth.appendTo(buf)
	vals[3] = mark(start)

	h := req.Header
	h["X-Amz-Date"] = vals[0:1:1]
	if hs.setHash {
		h["X-Amz-Content-Sha256"] = vals[1:2:2]
	}
	if own.token != "" {
		h["X-Amz-Security-Token"] = vals[2:3:3]
	} else {
		// A token the caller set, or one left from an earlier signing,
		// belongs to other credentials: it was not signed, so it is not sent.
		delete(h, "X-Amz-Security-Token")
	}
	h["Authorization"] = vals[3:4:4]
}

// appendScope appends the credential scope: date/region/service/aws4_request.
func appendScope(b, day []byte, region, service string) []byte {
	b = append(b, day...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	b = append(b, '/')
	return append(b, scopeSuffix...)
}

// appendAmzDate appends t in UTC as 20060102T150405Z, computing the civil
// date from Unix seconds (H. Hinnant's days-to-civil algorithm) rather than
// through time.AppendFormat, which takes about three times as long
// (BenchmarkAmzDate).
func appendAmzDate(b []byte, t time.Time) []byte {
	u := t.Unix()
	if u < 0 || u >= 253402300800 { // outside 1970..9999
		return t.UTC().AppendFormat(b, amzDateFmt)
	}
	days, secs := u/86400, u%86400
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	h, mi, sec := secs/3600, secs/60%60, secs%60
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10),
		byte('0'+m/10), byte('0'+m%10), byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), byte('0'+mi/10), byte('0'+mi%10), byte('0'+sec/10), byte('0'+sec%10), 'Z')
}

// keptRoom returns the one allocation a typical signing makes: room for
// the four header values the request keeps and for n bytes they point
// into (the wire path and query when they changed, a computed payload hash,
// Authorization), written once by apply and never again. The room comes in
// a few sizes that fill an allocator size class, because every byte
// allocated is a fresh cache line to fill: of all the work of signing, the
// part that most depends on the machine's other tenants. A request too
// large for the biggest takes two allocations.
func keptRoom(n int) ([]string, []byte) {
	switch {
	case n <= 256:
		return roomOf[[256]byte](n) // 320-byte class
	case n <= 288:
		return roomOf[[288]byte](n) // 352
	case n <= 320:
		return roomOf[[320]byte](n) // 384
	case n <= 384:
		return roomOf[[384]byte](n) // 448
	}
	return make([]string, 4), make([]byte, 0, n)
}

// roomOf allocates one keptRoom of B, a byte array of at least n bytes.
func roomOf[B any](n int) ([]string, []byte) {
	k := new(struct {
		vals [4]string
		buf  B
	})
	return k.vals[:], unsafe.Slice((*byte)(unsafe.Pointer(&k.buf)), unsafe.Sizeof(k.buf))[:0:n]
}
