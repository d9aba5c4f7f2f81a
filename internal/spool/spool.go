// Package spool keeps a request body that cannot be read twice (no
// GetBody, not seekable), so that it can be hashed, sent and sent again on
// a retry: in memory up to a bound, in a temporary file beyond it, read
// once in fixed 32 KiB chunks that are written to the hash as they arrive.
// Memory stays bounded whatever the body's size (DESIGN.md, "Payload"), and,
// for the budgeted reads, whatever the number of bodies at once.
package spool

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
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

// Budget bounds the bytes that the spools of budgeted reads (see Read)
// hold in memory at once, across the process: a body whose
// next chunk would pass it goes on in a temporary file, as one past its
// own bound does. Without it, many large bodies at once (a proxy in front
// of several bulk indexers) would each keep up to their own bound, and
// memory would grow with their size times their number.
var Budget int64 = 128 << 20

// budgetUsed is what budgeted spools hold in memory now.
var budgetUsed atomic.Int64

// BudgetInUse returns the bytes that budgeted spools hold in memory now.
func BudgetInUse() int64 { return budgetUsed.Load() }

// account is what one spool holds of the budget. It is apart from the
// Spool so that a cleanup can give it back when a spool that was never
// released is collected.
type account struct{ n atomic.Int64 }

// refund gives back all that the account holds.
func (a *account) refund() { budgetUsed.Add(-a.n.Swap(0)) }

// reserve takes n bytes of the budget for the account, if they are free.
func (a *account) reserve(n int64) bool {
	if budgetUsed.Add(n) > Budget {
		budgetUsed.Add(-n)
		return false
	}
	a.n.Add(n)
	return true
}

// Spool is a body read once and kept for reading again. It is safe for
// concurrent readers. A temporary file, if one was needed, is unlinked at
// once and closed when the owner has called Release and every reader is
// closed (or, for a spool never released, when it is no longer reachable).
//
// Whole in-memory chunks come from a pool and go back to it when the
// owner has called Release and every reader has been closed (and is not
// in a Read or WriteTo): until then no byte of the body is reused, and a
// reader asked for after Release fails instead of reading. A spool never
// released, or a reader never closed, leaves its chunks to the garbage
// collector.
type Spool struct {
	chunks [][]byte           // the body, while it fits in memory
	pooled []*[chunkSize]byte // the chunks that came from chunkPool
	file   *os.File           // the body, once it did not
	size   int64

	refs     atomic.Int32 // the owner's, until Release, and one per open reader
	released atomic.Bool
	acct     *account // its share of Budget; nil when not budgeted
}

// chunkPool holds whole in-memory chunks between spools. Reusing them
// spares the allocation, the zeroing and, for memory the runtime had given
// back to the system, the page faults that a new chunk costs.
var chunkPool = sync.Pool{New: func() any { return new([chunkSize]byte) }}

// Read reads r to its end into a spool, writing every byte to w (a hash)
// as it is read, in memory up to memory bytes and in a temporary file
// (in os.TempDir) beyond. size is the body's length if known (a request's
// ContentLength) or -1: it only sizes the in-memory chunks, so that a
// 1 KiB body costs about 1 KiB rather than a whole chunk; a wrong size
// costs memory, never bytes. It stops with ctx's error once ctx is done.
// It does not close r. When budgeted, the spool's memory counts against
// Budget: whoever asks for a budgeted read should Release its spool, since
// the share comes back when the spool is released and its readers closed,
// or else only when the spool is garbage collected.
func Read(ctx context.Context, r io.Reader, w io.Writer, memory, size int64, budgeted bool) (*Spool, error) {
	s := &Spool{}
	if budgeted {
		s.acct = new(account)
	}
	s.refs.Store(1)
	if s.acct != nil && size > 0 && size <= memory && !s.acct.reserve(size) {
		// A body of known length takes its whole share of the budget at
		// once or goes to a file from its first byte, so that bodies that
		// arrive together do not each take part of it and then all spill.
		if err := s.toFile(); err != nil {
			return nil, err
		}
	}
	var buf []byte // the read buffer once the body goes to a file, which keeps the bytes
	for {
		if err := ctx.Err(); err != nil {
			s.release()
			return nil, err
		}
		var chunk []byte
		switch {
		case s.file == nil && s.chunkLen(size) == chunkSize:
			a := chunkPool.Get().(*[chunkSize]byte)
			s.pooled = append(s.pooled, a)
			chunk = a[:]
		case s.file == nil:
			chunk = make([]byte, s.chunkLen(size))
		case buf == nil:
			buf = make([]byte, chunkSize)
			chunk = buf
		default:
			chunk = buf
		}
		n, err := fill(r, chunk)
		if n > 0 {
			chunk = chunk[:n]
			w.Write(chunk)
			if werr := s.keep(chunk, memory); werr != nil {
				s.release()
				return nil, werr
			}
		}
		if err == io.EOF {
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
	} else if s.acct != nil && s.acct.n.Load() > 0 {
		// Given back by recycle, or when a spool never released is collected.
		runtime.AddCleanup(s, (*account).refund, s.acct)
	}
	return s, nil
}

// fill reads from r until buf is full, r ends (io.EOF) or r fails. Unlike
// io.ReadFull it hands back r's own error as it is: an io.ErrUnexpectedEOF
// from r (a request body whose client went away before its declared
// length) is a failure, never the end of the body.
func fill(r io.Reader, buf []byte) (n int, err error) {
	for n < len(buf) && err == nil {
		var m int
		m, err = r.Read(buf[n:])
		n += m
	}
	return n, err
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

// keep adds chunk to the spool, moving to a file past memory bytes or,
// for a budgeted spool, when Budget has no room for it.
func (s *Spool) keep(chunk []byte, memory int64) error {
	if s.file == nil && (s.size+int64(len(chunk)) > memory || !s.fits(int64(len(chunk)))) {
		if err := s.toFile(); err != nil {
			return err
		}
		// The chunk in hand goes to the file with the others before they
		// all go back to the pool: its memory may be a pooled chunk too,
		// which another spool can take the moment it is back.
		for _, c := range append(s.chunks, chunk) {
			if _, err := s.file.Write(c); err != nil {
				return errors.Join(errWrite, err)
			}
		}
		s.chunks = nil
		s.recycle() // written to the file; no reader has seen them
		s.size += int64(len(chunk))
		return nil
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

// fits reports whether n more bytes in memory are within the spool's share
// of the budget, taking more of the budget when they are not yet.
func (s *Spool) fits(n int64) bool {
	if s.acct == nil {
		return true
	}
	over := s.size + n - s.acct.n.Load()
	return over <= 0 || s.acct.reserve(over)
}

// toFile makes the spool's temporary file, unlinked at once: it goes away
// with its last descriptor.
func (s *Spool) toFile() error {
	f, err := os.CreateTemp("", "sigv4-body-*")
	if err != nil {
		return errors.Join(errWrite, err)
	}
	os.Remove(f.Name())
	s.file = f
	return nil
}

// release drops what a failed Read kept; no reader has seen it.
func (s *Spool) release() {
	if s.file != nil {
		s.file.Close()
	}
	s.chunks = nil
	s.recycle()
}

// recycle puts the pooled chunks back and gives back the spool's share of
// the budget; nothing may read the chunks any more.
func (s *Spool) recycle() {
	for _, a := range s.pooled {
		chunkPool.Put(a)
	}
	s.pooled = nil
	if s.acct != nil {
		s.acct.refund()
	}
}

// Release gives up the owner's hold on the spool: Reader fails from now
// on, and once every reader made before is closed the in-memory chunks are
// reused. Only the owner (whoever called Read) may call it; later calls do
// nothing.
func (s *Spool) Release() {
	if s.released.CompareAndSwap(false, true) {
		s.unref()
	}
}

// unref drops one hold; the last recycles the chunks.
func (s *Spool) unref() {
	if s.refs.Add(-1) == 0 {
		s.recycle()
		if s.file != nil {
			s.file.Close() // no reader is left, and Reader makes no more
		}
	}
}

// ErrReleased is what a reader asked for after Release returns.
var ErrReleased = errors.New("spool: the body was released after its request ended; it cannot be read again")

// Len returns the body's size.
func (s *Spool) Len() int64 { return s.size }

// InMemory reports whether the body is held in memory.
func (s *Spool) InMemory() bool { return s.file == nil }

// Bytes returns the body when it is held in memory in one piece of its
// own, which no other spool will ever reuse: a body shorter than a chunk
// whose length was known. Its bytes must not be changed, and may be read
// after Release. ok is false for any other body (empty, in pooled chunks,
// in a file).
func (s *Spool) Bytes() (b []byte, ok bool) {
	if s.file != nil || len(s.chunks) != 1 || len(s.pooled) != 0 {
		return nil, false
	}
	return s.chunks[0], true
}

// Reader returns a new reader of the whole body, from its first byte, or
// after Release one whose Read returns ErrReleased. Each reader holds the
// spool until it is closed: the chunks of an in-memory spool go back to
// the pool, and the temporary file of a file-backed one is closed (its
// disk space freed), only once the spool is released and every reader
// it made is closed. A file-backed reader is also an io.ReaderAt and an
// io.Seeker (an io.SectionReader over the file); an in-memory one is an
// io.WriterTo.
func (s *Spool) Reader() io.ReadCloser {
	for {
		n := s.refs.Load()
		if n <= 0 || s.released.Load() {
			return readCloser{releasedReader{}, s}
		}
		if s.refs.CompareAndSwap(n, n+1) {
			if s.file != nil {
				return &fileReader{SectionReader: io.NewSectionReader(s.file, 0, s.size), s: s}
			}
			return &chunkReader{s: s, chunks: s.chunks}
		}
	}
}

// Of returns the spool behind a reader that Reader made, or nil.
func Of(r io.Reader) *Spool {
	switch c := r.(type) {
	case *chunkReader:
		return c.s
	case *fileReader:
		return c.s
	}
	return nil
}

// fileReader reads a spool's temporary file. It holds one of the spool's
// references until it is closed, so that the file is closed, not only
// unlinked, once the owner has released the spool and every reader is
// closed: an unlinked file holds its disk space until its last descriptor
// is closed, and a proxy's request must not leave that to the garbage
// collector. A read in progress when the file is closed fails; the
// descriptor itself is closed only when that read has returned.
type fileReader struct {
	*io.SectionReader
	s      *Spool
	closed atomic.Bool
}

// Close drops the reader's reference. Closing twice does nothing.
func (f *fileReader) Close() error {
	if f.closed.CompareAndSwap(false, true) {
		f.s.unref()
	}
	return nil
}

type releasedReader struct{}

func (releasedReader) Read([]byte) (int, error) { return 0, ErrReleased }

type readCloser struct {
	io.Reader
	s *Spool // keeps the spool, and so its file, alive while read
}

func (readCloser) Close() error { return nil }

// chunkReader reads the in-memory chunks in order. It holds one of the
// spool's references from its making until it is closed and out of Read
// and WriteTo, whichever comes last.
type chunkReader struct {
	s      *Spool
	mu     sync.Mutex
	busy   bool // in Read or WriteTo
	closed bool
	chunks [][]byte
	off    int
}

// errClosed is what a closed reader's Read returns.
var errClosed = errors.New("spool: read of a closed body")

// begin marks the reader busy, unless it is closed.
func (c *chunkReader) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.busy = true
	return true
}

// end marks the reader idle, dropping its reference if it was closed
// meanwhile.
func (c *chunkReader) end() {
	c.mu.Lock()
	c.busy = false
	drop := c.closed
	if drop {
		c.chunks = nil
	}
	c.mu.Unlock()
	if drop {
		c.s.unref()
	}
}

// Close drops the reader's reference, at once or when a Read or WriteTo in
// progress returns. Closing twice does nothing.
func (c *chunkReader) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	drop := !c.busy
	if drop {
		c.chunks = nil
	}
	c.mu.Unlock()
	if drop {
		c.s.unref()
	}
	return nil
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if !c.begin() {
		return 0, errClosed
	}
	defer c.end()
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
	if !c.begin() {
		return 0, errClosed
	}
	defer c.end()
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
