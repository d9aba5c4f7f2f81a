package main

import (
	"io"
	"sync"
)

// maxPendingLog is how many bytes of log lines may wait for a write in
// progress; a Write past it waits, as a write to a blocked stderr would.
const maxPendingLog = 256 << 10

// logWriter writes the proxy's log lines to w with one write for all the
// lines that arrive while a write is in progress: one write system call
// per line cost a few microseconds per request when requests come
// together. A line that arrives when no write is in progress is written at
// once by its own Write, as before; one that arrives during a write is
// queued, and written with the others queued as soon as that write
// returns, by the writer of the line before it, or by a goroutine when that
// writer has already written a second batch (so that no request waits
// behind the log for long). Lines are written whole and in the order they
// arrive; nothing waits for a timer. Close waits for the writes in
// progress; a Write after it writes directly.
type logWriter struct {
	w io.Writer

	mu      sync.Mutex
	cond    *sync.Cond // signalled when a batch is taken, and when writing ends
	pending []byte     // queued during a write
	spare   []byte     // the last batch's buffer, for the next
	writing bool       // a Write or a goroutine is writing, and will take pending
	closed  bool
}

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{w: w}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Write writes p, or queues a copy of it when a write is in progress. A
// queued line's write error is not reported: it is the destination's
// (stderr), and slog's handlers ignore it too.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	for l.writing && !l.closed && len(l.pending) >= maxPendingLog {
		l.cond.Wait()
	}
	if l.writing {
		l.pending = append(l.pending, p...)
		l.mu.Unlock()
		return len(p), nil
	}
	if l.closed {
		defer l.mu.Unlock()
		return l.w.Write(p)
	}
	l.writing = true
	l.mu.Unlock()
	n, err := l.w.Write(p)

	// Lines queued meanwhile: one batch here, then a goroutine if more.
	l.mu.Lock()
	if len(l.pending) > 0 {
		l.writeBatch()
	}
	if len(l.pending) > 0 {
		l.mu.Unlock()
		go l.drain()
		return n, err
	}
	l.writing = false
	l.cond.Broadcast()
	l.mu.Unlock()
	return n, err
}

// writeBatch writes what is pending, with l.mu held on entry and return
// (not during the write).
func (l *logWriter) writeBatch() {
	out := l.pending
	l.pending = l.spare[:0]
	l.cond.Broadcast()
	l.mu.Unlock()
	l.w.Write(out)
	l.mu.Lock()
	if cap(out) <= maxPendingLog {
		l.spare = out[:0] // a burst's larger buffer is not kept
	} else {
		l.spare = nil
	}
}

// drain writes batches until none is pending.
func (l *logWriter) drain() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.pending) > 0 {
		l.writeBatch()
	}
	l.writing = false
	l.cond.Broadcast()
}

// Close waits until no write is in progress and nothing is pending; Write
// then writes directly. It is safe to call more than once.
func (l *logWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.cond.Broadcast() // a Write waiting for room queues at once
	for l.writing {
		l.cond.Wait()
	}
	return nil
}
