package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"testing/iotest"
	"time"
)

func body(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// onlyReader hides WriterTo and the like: a plain stream.
type onlyReader struct{ io.Reader }

func TestSpoolKeepsTheBodyInMemoryOrAFile(t *testing.T) {
	for _, c := range []struct {
		name      string
		size      int
		memory    int64
		inMemory  bool
		chunkSize int // the reader's own read size
	}{
		{"empty", 0, 1 << 20, true, 100},
		{"one byte", 1, 1 << 20, true, 100},
		{"exactly a chunk", chunkSize, 1 << 20, true, 7000},
		{"at the memory bound", 4 * chunkSize, 4 * chunkSize, true, chunkSize},
		{"one byte past it", 4*chunkSize + 1, 4 * chunkSize, false, 5000},
		{"far past it", 3 << 20, 64 << 10, false, 32 << 10},
	} {
		// The size given is a hint for sizing chunks: unknown, right, or
		// wrong either way, the bytes kept are the body's.
		for _, hint := range []struct {
			name string
			size int64
		}{{"unknown", -1}, {"known", int64(c.size)}, {"too small", int64(c.size / 2)}, {"too large", int64(2*c.size + 5)}} {
			t.Run(c.name+"/size "+hint.name, func(t *testing.T) { testSpool(t, c.size, c.memory, c.inMemory, hint.size) })
		}
	}
}

// testSpool spools a random body of size bytes, read in uneven pieces,
// with memory and the size hint given, and checks where it went, its hash
// and that it reads back whole, concurrently and through io.Copy.
func testSpool(t *testing.T, size int, memory int64, inMemory bool, hint int64) {
	want := body(size)
	h := sha256.New()
	r := onlyReader{iotest.HalfReader(io.LimitReader(bytes.NewReader(want), int64(len(want))))}
	s, err := Read(context.Background(), r, h, memory, hint, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != int64(size) || s.InMemory() != inMemory {
		t.Fatalf("Len %d, InMemory %v; want %d, %v", s.Len(), s.InMemory(), size, inMemory)
	}
	if sum := sha256.Sum256(want); !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Fatal("the hash written while reading is not the body's")
	}
	// Read back four times, concurrently, each from the first byte.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := s.Reader()
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("read back %d bytes (err %v), want the %d given", len(got), err, len(want))
			}
		}()
	}
	wg.Wait()
	var copied bytes.Buffer
	if n, err := io.Copy(&copied, s.Reader()); err != nil || n != int64(size) || !bytes.Equal(copied.Bytes(), want) {
		t.Errorf("io.Copy of a reader: %d, %v", n, err)
	}
}

// TestSpoolSizedBySize: a 1 KiB body of known size costs about 1 KiB, not
// a 32 KiB chunk; unknown, it costs the chunk.
func TestSpoolSizedBySize(t *testing.T) {
	b := body(1 << 10)
	perRead := func(size int64) uint64 {
		const n = 200
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			if _, err := Read(context.Background(), onlyReader{bytes.NewReader(b)}, io.Discard, 1<<20, size, false); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / n
	}
	known, unknown := perRead(1<<10), perRead(-1)
	t.Logf("1 KiB body: %d B allocated per Read with its size, %d B without", known, unknown)
	if known > 2<<10 || unknown < chunkSize {
		t.Errorf("1 KiB body: %d B per Read with its size (want < 2 KiB), %d B without (want >= a chunk)", known, unknown)
	}
}

// TestSpoolLeavesNoFile: the temporary file is unlinked as soon as it is
// made, so nothing is left in the temporary folder, whatever happens.
func TestSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s, err := Read(context.Background(), bytes.NewReader(body(1<<20)), io.Discard, 64<<10, -1, false)
	if err != nil || s.InMemory() {
		t.Fatalf("%v, in memory %v", err, s.InMemory())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("left in the temporary folder: %v", left)
	}
	if got, _ := io.ReadAll(s.Reader()); len(got) != 1<<20 {
		t.Errorf("read back %d bytes from the unlinked file", len(got))
	}
}

// TestSpoolStopsOnErrors: a read error or a done context ends Read with
// that error.
func TestSpoolStopsOnErrors(t *testing.T) {
	boom := errors.New("producer failed")
	if _, err := Read(context.Background(), io.MultiReader(bytes.NewReader(body(100<<10)), iotest.ErrReader(boom)), io.Discard, 1<<20, -1, false); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, bytes.NewReader(body(100)), io.Discard, 1<<20, -1, false); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "absent"))
	if _, err := Read(context.Background(), bytes.NewReader(body(200<<10)), io.Discard, 64<<10, -1, false); !errors.Is(err, errWrite) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no temporary folder: %v", err)
	}
}

// spoolOf reads a body of n random bytes into a spool held in memory.
func spoolOf(t *testing.T, n int) (*Spool, []byte) {
	t.Helper()
	want := body(n)
	s, err := Read(context.Background(), onlyReader{bytes.NewReader(want)}, io.Discard, DefaultMemory, -1, false)
	if err != nil {
		t.Fatal(err)
	}
	return s, want
}

func TestReleasedSpoolGivesNoReader(t *testing.T) {
	s, want := spoolOf(t, 3*chunkSize+5)
	before := s.Reader()
	s.Release()
	s.Release() // twice: nothing more
	if _, err := io.ReadAll(s.Reader()); !errors.Is(err, ErrReleased) {
		t.Fatalf("a reader made after Release read with %v, want ErrReleased", err)
	}
	// A reader made before Release still reads the whole body.
	got, err := io.ReadAll(before)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the reader made before Release read %d bytes, %v", len(got), err)
	}
	if s.pooled == nil {
		t.Fatal("the chunks were given back while a reader was open")
	}
	before.Close()
	if s.pooled != nil {
		t.Fatal("the chunks were not given back after Release and the last Close")
	}
	if _, err := before.Read(make([]byte, 1)); err == nil {
		t.Fatal("a closed reader read on")
	}
}

// blockingWriter blocks in Write until release is closed.
type blockingWriter struct {
	started chan struct{}
	release chan struct{}
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	select {
	case w.started <- struct{}{}:
	default:
	}
	<-w.release
	return len(p), nil
}

func TestCloseDuringWriteToWaitsForIt(t *testing.T) {
	s, _ := spoolOf(t, 2*chunkSize)
	r := s.Reader()
	s.Release()
	w := &blockingWriter{started: make(chan struct{}, 1), release: make(chan struct{})}
	done := make(chan struct{})
	go func() { r.(io.WriterTo).WriteTo(w); close(done) }()
	<-w.started
	r.Close() // as http.Transport may, while its write loop still sends
	if s.pooled == nil {
		t.Fatal("the chunks were given back while WriteTo was still writing them")
	}
	close(w.release)
	<-done
	if s.pooled != nil {
		t.Fatal("the chunks were not given back when WriteTo returned")
	}
}

// TestPooledChunksNeverCrossBodies spools many different bodies at once,
// each read by a few readers closed in varying order, released at varying
// points, so that chunks go back to the pool and into the next spools all
// the time; every reader must read exactly its own body.
func TestPooledChunksNeverCrossBodies(t *testing.T) {
	for _, memory := range []int64{DefaultMemory, 2 * chunkSize} {
		// The second: bodies move to a file part way, as the budget or
		// their own bound sends them, while others take chunks.
		t.Run(fmt.Sprintf("memory %d KiB", memory>>10), func(t *testing.T) { pooledNeverCross(t, memory) })
	}
}

func pooledNeverCross(t *testing.T, memory int64) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				want := body(chunkSize*(1+(g+i)%4) + (g*i)%100)
				s, err := Read(context.Background(), onlyReader{bytes.NewReader(want)}, io.Discard, memory, int64(len(want)), false)
				if err != nil {
					errs <- err
					return
				}
				readers := []io.ReadCloser{s.Reader(), s.Reader(), s.Reader()}
				if i%3 == 0 {
					s.Release() // before anything is read
				}
				for k, r := range readers {
					var got bytes.Buffer
					if k%2 == 0 {
						io.Copy(&got, r) // WriteTo
					} else {
						io.Copy(&got, onlyReader{r}) // Read
					}
					if !bytes.Equal(got.Bytes(), want) {
						errs <- errors.New("a reader read bytes that are not its body's")
						return
					}
					if (i+k)%2 == 0 {
						r.Close()
					} else {
						defer r.Close()
					}
				}
				s.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// budgeted reads a body of n random bytes into a spool counted against
// Budget.
func budgeted(t *testing.T, n int) (*Spool, []byte) {
	t.Helper()
	want := body(n)
	s, err := Read(context.Background(), onlyReader{bytes.NewReader(want)}, io.Discard, DefaultMemory, -1, true)
	if err != nil {
		t.Fatal(err)
	}
	return s, want
}

// withBudget sets Budget for one test, which must not run in parallel
// with others that spool, once the spools of earlier tests are collected
// and have given their share back.
func withBudget(t *testing.T, b int64) {
	t.Helper()
	for i := 0; i < 100 && budgetUsed.Load() != 0; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := budgetUsed.Load(); n != 0 {
		t.Fatalf("%d bytes of the budget still held by earlier tests' spools", n)
	}
	old := Budget
	Budget = b
	t.Cleanup(func() { Budget = old })
}

func TestBudgetSendsTheRestToAFile(t *testing.T) {
	withBudget(t, 4*chunkSize)
	a, wantA := budgeted(t, 3*chunkSize)
	b, wantB := budgeted(t, 3*chunkSize) // one chunk fits beside a's three
	c, wantC := spoolOf(t, 3*chunkSize)  // not budgeted: in memory whatever the budget
	if !a.InMemory() || b.InMemory() || !c.InMemory() {
		t.Fatalf("in memory: %v %v %v; want the second in a file", a.InMemory(), b.InMemory(), c.InMemory())
	}
	if n := budgetUsed.Load(); n != 3*chunkSize {
		t.Fatalf("%d bytes of the budget in use, want the first spool's %d", n, 3*chunkSize)
	}
	for _, x := range []struct {
		s    *Spool
		want []byte
	}{{a, wantA}, {b, wantB}, {c, wantC}} {
		got, err := io.ReadAll(x.s.Reader())
		if err != nil || !bytes.Equal(got, x.want) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
	}
	open := a.Reader()
	a.Release()
	if n := budgetUsed.Load(); n != 3*chunkSize {
		t.Fatalf("%d bytes in use after Release with readers open, want %d", n, 3*chunkSize)
	}
	runtime.KeepAlive(open)
	b.Release()
	c.Release()
}

func TestBudgetGivenBackOnReleaseAndOnCollection(t *testing.T) {
	withBudget(t, 64*chunkSize)
	s, _ := budgeted(t, 2*chunkSize)
	r := s.Reader()
	s.Release()
	if n := budgetUsed.Load(); n != 2*chunkSize {
		t.Fatalf("%d bytes in use with a reader open, want %d", n, 2*chunkSize)
	}
	r.Close()
	if n := budgetUsed.Load(); n != 0 {
		t.Fatalf("%d bytes in use after Release and the last Close, want 0", n)
	}
	func() {
		s, _ := budgeted(t, 5*chunkSize) // never released
		if n := budgetUsed.Load(); n != 5*chunkSize {
			t.Fatalf("the spool holds %d bytes of the budget, want %d", n, 5*chunkSize)
		}
		runtime.KeepAlive(s)
	}()
	for i := 0; i < 100 && budgetUsed.Load() != 0; i++ {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := budgetUsed.Load(); n != 0 {
		t.Fatalf("%d bytes of the budget still held after the spool was collected", n)
	}
}

// TestBudgetTakenWholeForAKnownLength: two bodies of known length arrive
// interleaved, five chunks of the first, five of the second, then the
// rest, with room for twelve chunks. Taking the budget chunk by chunk, the
// first would run out at its eleventh chunk in all and spill although it
// came first; taken whole, the first keeps its eight chunks in memory and
// the second goes to a file from its first byte.
func TestBudgetTakenWholeForAKnownLength(t *testing.T) {
	withBudget(t, 12*chunkSize)
	type read struct {
		s   *Spool
		err error
	}
	start := func(want []byte) (*io.PipeWriter, chan read) {
		pr, pw := io.Pipe()
		done := make(chan read, 1)
		go func() {
			s, err := Read(context.Background(), pr, io.Discard, DefaultMemory, int64(len(want)), true)
			done <- read{s, err}
		}()
		return pw, done
	}
	// settle waits until the budget in use stops moving, so that each step
	// is kept before the next begins.
	settle := func() {
		for last, i := int64(-1), 0; i < 50; i++ {
			time.Sleep(2 * time.Millisecond)
			if n := budgetUsed.Load(); n == last {
				return
			} else {
				last = n
			}
		}
	}
	a, b := body(8*chunkSize), body(8*chunkSize)
	pa, da := start(a)
	settle()
	pb, db := start(b)
	pa.Write(a[:5*chunkSize])
	settle()
	pb.Write(b[:5*chunkSize])
	settle()
	pa.Write(a[5*chunkSize:])
	pa.Close()
	ra := <-da
	pb.Write(b[5*chunkSize:])
	pb.Close()
	rb := <-db
	if ra.err != nil || rb.err != nil {
		t.Fatal(ra.err, rb.err)
	}
	for _, c := range []struct {
		s    *Spool
		want []byte
	}{{ra.s, a}, {rb.s, b}} {
		r := c.s.Reader()
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, c.want) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
	}
	if !ra.s.InMemory() || rb.s.InMemory() {
		t.Errorf("in memory: first %v, second %v; want the first, which came first", ra.s.InMemory(), rb.s.InMemory())
	}
	if n := budgetUsed.Load(); n != 8*chunkSize {
		t.Errorf("%d bytes of the budget in use, want the first body's %d", n, 8*chunkSize)
	}
	ra.s.Release()
	rb.s.Release()
	if n := budgetUsed.Load(); n != 0 {
		t.Errorf("%d bytes in use after both are released", n)
	}
}

// TestBytesOnlyForAPieceOfItsOwn: Bytes gives a small body of known length
// (held in a piece no other spool reuses), still readable after Release
// and after other spools have taken and given back pooled chunks, and
// refuses bodies of unknown length (pooled chunks), in several chunks, in
// a file, and empty ones.
func TestBytesOnlyForAPieceOfItsOwn(t *testing.T) {
	read := func(b []byte, size, memory int64) *Spool {
		t.Helper()
		s, err := Read(context.Background(), onlyReader{bytes.NewReader(b)}, io.Discard, memory, size, false)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := body(1000)
	s := read(want, 1000, DefaultMemory)
	got, ok := s.Bytes()
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("Bytes() = %d bytes, %v; want the 1000-byte body", len(got), ok)
	}
	s.Release()
	for range 4 {
		o, _ := spoolOf(t, 3*chunkSize)
		o.Release()
	}
	if !bytes.Equal(got, want) {
		t.Fatal("the bytes changed after Release")
	}
	for name, s := range map[string]*Spool{
		"unknown length":  read(body(1000), -1, DefaultMemory),
		"several chunks":  read(body(3*chunkSize), 3*chunkSize, DefaultMemory),
		"in a file":       read(body(1000), 1000, 100),
		"empty":           read(nil, 0, DefaultMemory),
		"over its length": read(body(1000), 10, DefaultMemory),
	} {
		if b, ok := s.Bytes(); ok {
			t.Errorf("%s: Bytes() = %d bytes, true; want false", name, len(b))
		}
		s.Release()
	}
}

// TestReaderHoldsTheSpoolUntilClosed pins Reader's contract for both kinds
// of spool: a reader made before Release still reads the whole body after
// it, and the file of a file-backed spool is closed only when the last
// reader is closed, not at Release. The reader's extra interfaces are the
// ones the comment names.
func TestReaderHoldsTheSpoolUntilClosed(t *testing.T) {
	want := body(1 << 20)
	for _, memory := range []int64{2 << 20, 64 << 10} {
		s, err := Read(context.Background(), bytes.NewReader(want), io.Discard, memory, -1, false)
		if err != nil {
			t.Fatal(err)
		}
		r := s.Reader()
		if s.InMemory() {
			if _, ok := r.(io.WriterTo); !ok {
				t.Errorf("in-memory reader %T is not an io.WriterTo", r)
			}
		} else {
			_, at := r.(io.ReaderAt)
			_, seek := r.(io.Seeker)
			if !at || !seek {
				t.Errorf("file reader %T: ReaderAt %v, Seeker %v", r, at, seek)
			}
		}
		s.Release()
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("in memory %v: read after Release: %d bytes, %v", s.InMemory(), len(got), err)
		}
		if !s.InMemory() {
			if _, err := s.file.Stat(); err != nil {
				t.Errorf("the file was closed while a reader was open: %v", err)
			}
		}
		r.Close()
		if !s.InMemory() {
			if _, err := s.file.Stat(); !errors.Is(err, os.ErrClosed) {
				t.Errorf("the file is still open after Release and the last Close: Stat says %v", err)
			}
		}
		if _, err := s.Reader().Read(make([]byte, 1)); !errors.Is(err, ErrReleased) {
			t.Errorf("in memory %v: a reader made after Release: %v, want ErrReleased", s.InMemory(), err)
		}
	}
}
