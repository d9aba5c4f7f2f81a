package spool

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/iotest"
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
		t.Run(c.name, func(t *testing.T) {
			want := body(c.size)
			h := sha256.New()
			r := onlyReader{iotest.HalfReader(io.LimitReader(bytes.NewReader(want), int64(len(want))))}
			s, err := Read(context.Background(), r, h, c.memory)
			if err != nil {
				t.Fatal(err)
			}
			if s.Len() != int64(c.size) || s.InMemory() != c.inMemory {
				t.Fatalf("Len %d, InMemory %v; want %d, %v", s.Len(), s.InMemory(), c.size, c.inMemory)
			}
			if sum := sha256.Sum256(want); !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Fatal("the hash written while reading is not the body's")
			}
			// Read back twice, concurrently, each from the first byte.
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
			if n, err := io.Copy(&copied, s.Reader()); err != nil || n != int64(c.size) || !bytes.Equal(copied.Bytes(), want) {
				t.Errorf("io.Copy of a reader: %d, %v", n, err)
			}
		})
	}
}

// TestSpoolLeavesNoFile: the temporary file is unlinked as soon as it is
// made, so nothing is left in the temporary folder, whatever happens.
func TestSpoolLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	s, err := Read(context.Background(), bytes.NewReader(body(1<<20)), io.Discard, 64<<10)
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
	if _, err := Read(context.Background(), io.MultiReader(bytes.NewReader(body(100<<10)), iotest.ErrReader(boom)), io.Discard, 1<<20); !errors.Is(err, boom) {
		t.Errorf("read error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, bytes.NewReader(body(100)), io.Discard, 1<<20); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "absent"))
	if _, err := Read(context.Background(), bytes.NewReader(body(200<<10)), io.Discard, 64<<10); !errors.Is(err, errWrite) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no temporary folder: %v", err)
	}
}
