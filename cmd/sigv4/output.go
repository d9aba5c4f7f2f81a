package main

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// output is where the response goes: standard output, or -o's file,
// written as a temporary file in the same folder and renamed into place
// only when the transfer succeeded, so that a failed transfer leaves an
// existing file as it was (curl truncates it first).
type output struct {
	w       io.Writer
	tmp     *os.File // nil for standard output and for a file that is not a regular one
	path    string   // the file the temporary one replaces
	mode    fs.FileMode
	settled bool
}

// Write writes p, marking a failure as a writeError.
func (o *output) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// openOutput opens standard output, or a temporary file beside -o's file.
// A FILE that exists but is not a regular file (/dev/null, a pipe) is
// written directly, as there is nothing to keep; a symbolic link is
// followed, so that its target is what gets replaced.
func (c *cli) openOutput() (*output, error) {
	name := c.o.output
	if name == "" || name == "-" {
		return &output{w: c.stdout, settled: true}, nil
	}
	mode := fs.FileMode(0o644)
	if resolved, err := filepath.EvalSymlinks(name); err == nil {
		name = resolved
		fi, err := os.Stat(name)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			f, err := os.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				return nil, err
			}
			return &output{w: f, tmp: nil, path: name, settled: false}, nil
		}
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".sigv4-*")
	if err != nil {
		return nil, err
	}
	return &output{w: tmp, tmp: tmp, path: name, mode: mode}, nil
}

// commit puts the file in place: the temporary file renamed over FILE.
func (o *output) commit() error {
	if o.settled {
		return nil
	}
	o.settled = true
	if o.tmp == nil {
		return o.w.(io.Closer).Close()
	}
	err := o.tmp.Chmod(o.mode)
	if cerr := o.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp.Name(), o.path)
	}
	if err != nil {
		os.Remove(o.tmp.Name())
	}
	return err
}

// abort drops the temporary file, leaving FILE as it was; after commit it
// does nothing.
func (o *output) abort() {
	if o.settled {
		return
	}
	o.settled = true
	if o.tmp == nil {
		o.w.(io.Closer).Close()
		return
	}
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
