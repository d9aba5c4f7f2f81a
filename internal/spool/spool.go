// Package spool keeps a request body that cannot be read twice (no
// GetBody, not seekable), so that it can be hashed, sent and sent again on
// a retry: in memory up to a bound, in a temporary file beyond it, read
// once in fixed 32 KiB chunks that are written to the hash as they arrive.
// Memory stays bounded whatever the body's size (DESIGN.md rule 5).
package spool

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
)

// chunkSize is the size of each in-memory piece. Fixed chunks allocate
// exactly the body (rounded up); chunks that double in size were measured
// worse in both time and memory.
const chunkSize = 32 << 10

// DefaultMemory is how much of a body is kept in memory before the rest
// goes to a temporary file: a _bulk request is usually a few MiB
// (opensearch-go's bulk indexer flushes at 5 MiB, AWS accepts 10 to 100
// MiB by instance type), and a file costs a write and a read of every byte.
const DefaultMemory = 16 << 20

// Spool is a body read once and kept for reading again. It is safe for
// concurrent readers. A temporary file, if one was needed, is unlinked at
// once and closed when the Spool is no longer reachable.
type Spool struct {
	chunks [][]byte // the body, while it fits in memory
	file   *os.File // the body, once it did not
	size   int64
}

// Read reads r to its end into a spool, writing every byte to w (a hash)
// as it is read, in memory up to memory bytes and in a temporary file
// (in os.TempDir) beyond. size is the body's length if known (a request's
// ContentLength) or -1: it only sizes the in-memory chunks, so that a
// 1 KiB body costs about 1 KiB rather than a whole chunk; a wrong size
// costs memory, never bytes. It stops with ctx's error once ctx is done.
// It does not close r.
func Read(ctx context.Context, r io.Reader, w io.Writer, memory, size int64) (*Spool, error) {
	s := &Spool{}
	var buf []byte // the read buffer once the body goes to a file, which keeps the bytes
	for {
		if err := ctx.Err(); err != nil {
			s.release()
			return nil, err
		}
		var chunk []byte
		switch {
		case s.file == nil:
			chunk = make([]byte, s.chunkLen(size))
		case buf == nil:
			buf = make([]byte, chunkSize)
			chunk = buf
		default:
			chunk = buf
		}
		n, err := io.ReadFull(r, chunk)
		if n > 0 {
			chunk = chunk[:n]
			w.Write(chunk)
			if werr := s.keep(chunk, memory); werr != nil {
				s.release()
				return nil, werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			s.release()
			return nil, err
		}
	}
	if s.file != nil {
		f := s.file
		runtime.AddCleanup(s, func(f *os.File) { f.Close() }, f)
	}
	return s, nil
}

// chunkLen is the length of the next in-memory chunk: a whole chunk, or
// when the body's size is known and the rest of it is shorter, the rest
// and one byte, so that a single read also finds the end.
func (s *Spool) chunkLen(size int64) int {
	if rest := size - s.size; size >= 0 && rest >= 0 && rest < chunkSize {
		return int(rest) + 1
	}
	return chunkSize
}

var errWrite = errors.New("spool: writing the body to a temporary file failed")

// keep adds chunk to the spool, moving to a file past memory bytes.
func (s *Spool) keep(chunk []byte, memory int64) error {
	if s.file == nil && s.size+int64(len(chunk)) > memory {
		f, err := os.CreateTemp("", "sigv4-body-*")
		if err != nil {
			return errors.Join(errWrite, err)
		}
		os.Remove(f.Name()) // unlinked at once: it goes away with the last descriptor
		s.file = f
		for _, c := range s.chunks {
			if _, err := f.Write(c); err != nil {
				return errors.Join(errWrite, err)
			}
		}
		s.chunks = nil
	}
	if s.file != nil {
		if _, err := s.file.Write(chunk); err != nil {
			return errors.Join(errWrite, err)
		}
	} else {
		s.chunks = append(s.chunks, chunk)
	}
	s.size += int64(len(chunk))
	return nil
}

// release drops what a failed Read kept.
func (s *Spool) release() {
	if s.file != nil {
		s.file.Close()
	}
	s.chunks = nil
}

// Len returns the body's size.
func (s *Spool) Len() int64 { return s.size }

// InMemory reports whether the body is held in memory.
func (s *Spool) InMemory() bool { return s.file == nil }

// Reader returns a new reader of the whole body, from its first byte.
// Closing it does not release the spool.
func (s *Spool) Reader() io.ReadCloser {
	if s.file != nil {
		return readCloser{io.NewSectionReader(s.file, 0, s.size), s}
	}
	return &chunkReader{chunks: s.chunks}
}

type readCloser struct {
	io.Reader
	s *Spool // keeps the spool, and so its file, alive while read
}

func (readCloser) Close() error { return nil }

// chunkReader reads the in-memory chunks in order.
type chunkReader struct {
	chunks [][]byte
	off    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && c.off == len(c.chunks[0]) {
		c.chunks, c.off = c.chunks[1:], 0
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0][c.off:])
	c.off += n
	return n, nil
}

// WriteTo writes the remaining chunks to w without copying them.
func (c *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for len(c.chunks) > 0 {
		n, err := w.Write(c.chunks[0][c.off:])
		total += int64(n)
		if err != nil {
			c.off += n
			return total, err
		}
		c.chunks, c.off = c.chunks[1:], 0
	}
	return total, nil
}

func (c *chunkReader) Close() error { return nil }
