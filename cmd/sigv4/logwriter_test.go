package main

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// writeCounter records what was written and in how many writes.
type writeCounter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	return w.buf.Write(p)
}

// TestLogWriterKeepsEveryLineInOrder: lines from many goroutines all
// arrive, each whole, each goroutine's in its order, before Close
// returns; lines written after Close arrive too, after them.
func TestLogWriterKeepsEveryLineInOrder(t *testing.T) {
	var dst writeCounter
	l := newLogWriter(&dst)
	const goroutines, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range lines {
				line := []byte(fmt.Sprintf("g%d line %d %s\n", g, i, strings.Repeat("x", i%200)))
				if n, err := l.Write(line); n != len(line) || err != nil {
					t.Errorf("Write: %d, %v", n, err)
				}
				copy(line, "overwritten") // slog reuses its buffer after Write
			}
		})
	}
	wg.Wait()
	l.Close()
	l.Write([]byte("after close\n"))
	l.Close()

	got := strings.Split(strings.TrimSuffix(dst.buf.String(), "\n"), "\n")
	if len(got) != goroutines*lines+1 || got[len(got)-1] != "after close" {
		t.Fatalf("%d lines, the last %q; want %d and \"after close\"", len(got), got[len(got)-1], goroutines*lines+1)
	}
	next := make([]int, goroutines)
	for _, line := range got[:len(got)-1] {
		var g int
		if _, err := fmt.Sscanf(line, "g%d ", &g); err != nil || g < 0 || g >= goroutines {
			t.Fatalf("a line cut or overwritten: %q", line)
		}
		if want := fmt.Sprintf("g%d line %d %s", g, next[g], strings.Repeat("x", next[g]%200)); line != want {
			t.Fatalf("goroutine %d: line %q, want %q", g, line, want)
		}
		next[g]++
	}
	if dst.writes >= goroutines*lines {
		t.Errorf("%d lines took %d writes; lines that arrive together should share one", goroutines*lines, dst.writes)
	}
	t.Logf("%d lines in %d writes", goroutines*lines, dst.writes)
}

// TestLogWriterWritesAtOnceWhenIdle: a line written while no other write
// is in progress is on the destination when Write returns, in a write of
// its own.
func TestLogWriterWritesAtOnceWhenIdle(t *testing.T) {
	var dst writeCounter
	l := newLogWriter(&dst)
	for i := range 100 {
		line := fmt.Sprintf("line %d\n", i)
		l.Write([]byte(line))
		dst.mu.Lock()
		got, writes := dst.buf.String(), dst.writes
		dst.mu.Unlock()
		if !strings.HasSuffix(got, line) || writes != i+1 {
			t.Fatalf("after Write(%q): %d writes, destination ends %q", line, writes, got[max(0, len(got)-20):])
		}
	}
	l.Close()
}

// blockingWriter blocks every write until it is released.
type blockingWriter struct {
	release chan struct{}
	writeCounter
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	<-b.release
	return b.writeCounter.Write(p)
}

// TestLogWriterPendingIsBounded: while the destination blocks a write,
// other Writes queue up to maxPendingLog bytes and then wait, instead of
// holding more; every line arrives once the destination unblocks.
func TestLogWriterPendingIsBounded(t *testing.T) {
	dst := &blockingWriter{release: make(chan struct{})}
	l := newLogWriter(dst)
	line := bytes.Repeat([]byte("y"), 1<<10)
	line[len(line)-1] = '\n'
	go l.Write(line) // blocks in the destination
	for {
		l.mu.Lock()
		w := l.writing
		l.mu.Unlock()
		if w {
			break
		}
		runtime.Gosched()
	}
	wrote := make(chan int)
	go func() {
		n := 0
		for range 4 * maxPendingLog / len(line) {
			l.Write(line)
			n++
		}
		wrote <- n
	}()
	for {
		l.mu.Lock()
		p := len(l.pending)
		l.mu.Unlock()
		if p >= maxPendingLog {
			break
		}
		select {
		case n := <-wrote:
			t.Fatalf("all %d writes returned while the destination blocked", n)
		default:
			runtime.Gosched()
		}
	}
	l.mu.Lock()
	p := len(l.pending)
	l.mu.Unlock()
	if p > maxPendingLog+len(line) {
		t.Errorf("%d bytes pending, past the bound of %d", p, maxPendingLog)
	}
	close(dst.release)
	n := <-wrote
	l.Close()
	if got := dst.buf.Len(); got != (n+1)*len(line) {
		t.Errorf("%d bytes written, want %d", got, (n+1)*len(line))
	}
}
