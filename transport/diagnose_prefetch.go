package transport

import (
	"io"
	"sync"
	"time"
)

// Bounds on reading a refused body for its diagnosis: AWS's refusals are a
// few hundred bytes, sent at once.
const (
	// maxDiagnosisBody bounds how much of a refused body is read.
	maxDiagnosisBody = 64 << 10
	// diagnosisTimeout bounds how long the diagnosis waits for those
	// bytes: a body that trickles must not hold the call.
	diagnosisTimeout = 2 * time.Second
)

// prefetched is a body whose first bytes are read ahead, by a goroutine,
// for a diagnosis that waits for them only so long. Reading it gives the
// whole body, from its first byte.
type prefetched struct {
	body io.ReadCloser
	done chan struct{} // closed when the read ahead ends

	mu  sync.Mutex
	buf []byte
	err error // the read ahead's error, io.EOF included

	pos int // how much of buf the reader has had
}

// prefetch starts reading up to limit bytes of body ahead and waits for
// them at most wait.
func prefetch(body io.ReadCloser, limit int, wait time.Duration) *prefetched {
	p := &prefetched{body: body, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		chunk := make([]byte, 4096)
		for n := 0; n < limit; {
			m, err := body.Read(chunk[:min(len(chunk), limit-n)])
			n += m
			p.mu.Lock()
			p.buf = append(p.buf, chunk[:m]...)
			p.err = err
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
	return p
}

// prefix returns what was read ahead so far, and whether it is not the
// whole body (cut at the limit, or still arriving).
func (p *prefetched) prefix() ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.buf...), p.err == nil
}

// Read gives the bytes read ahead (waiting for the read ahead to end),
// then the rest of the body.
func (p *prefetched) Read(b []byte) (int, error) {
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pos < len(p.buf) {
		n := copy(b, p.buf[p.pos:])
		p.pos += n
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.body.Read(b)
}

// Close closes the body, which also ends a read ahead still waiting.
func (p *prefetched) Close() error { return p.body.Close() }
