package main

import (
	"io"
	"sync"
)

// maxPendingLog is how many bytes of log lines may wait for the writer
// goroutine; a Write past it waits, as a write to a blocked stderr would.
const maxPendingLog = 256 << 10

// logWriter writes the proxy's log lines to w from a goroutine of its own,
// every line that arrived while the last write was in progress in a single
// write: one line costs a write system call per request when requests
// come one at a time, and far fewer when they come together. Lines are
// written in the order they arrive, at once when the writer is idle;
// nothing waits for a timer. Close writes what is pending and stops the
// goroutine; Write after Close writes directly.
type logWriter struct {
	w io.Writer

	mu      sync.Mutex
	drained *sync.Cond // signalled when the writer goroutine takes pending
	pending []byte
	closed  bool // Close has begun: no more wakes
	flushed bool // Close has written the last pending lines

	wake chan struct{} // one token: lines are pending
	done chan struct{} // closed when the writer goroutine has returned
}

func newLogWriter(w io.Writer) *logWriter {
	l := &logWriter{w: w, wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.drained = sync.NewCond(&l.mu)
	go l.run()
	return l
}

// Write queues a copy of p for the writer goroutine. It never fails: a
// write error of the destination is the destination's (stderr), as
// slog's handlers ignore it too.
func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for !l.closed && len(l.pending) >= maxPendingLog {
		l.drained.Wait()
	}
	if l.flushed {
		return l.w.Write(p)
	}
	l.pending = append(l.pending, p...)
	if l.closed {
		return len(p), nil // Close writes it, after the goroutine's last write
	}
	select {
	case l.wake <- struct{}{}:
	default: // the writer goroutine is woken already
	}
	return len(p), nil
}

func (l *logWriter) run() {
	defer close(l.done)
	var out []byte
	for range l.wake {
		l.mu.Lock()
		out, l.pending = l.pending, out[:0]
		l.drained.Broadcast()
		l.mu.Unlock()
		if len(out) > 0 {
			l.w.Write(out)
		}
		if cap(out) > maxPendingLog {
			out = nil // a burst's buffer is not kept for ever
		}
	}
}

// Close writes the pending lines and stops the writer goroutine; later
// Writes write directly. It is safe to call more than once.
func (l *logWriter) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.drained.Broadcast()
	close(l.wake)
	l.mu.Unlock()
	<-l.done
	// Lines that arrived after the goroutine's last take.
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) > 0 {
		l.w.Write(l.pending)
	}
	l.pending, l.flushed = nil, true
	return nil
}
