package signer

import (
	"net/url"
	"testing"
)

// TestPathNeedsNoEscape agrees with net/url on every byte: when it says a
// path needs no escaping, EscapedPath returns it unchanged.
func TestPathNeedsNoEscape(t *testing.T) {
	for c := 0; c < 256; c++ {
		p := "/a" + string([]byte{byte(c)}) + "b"
		u := &url.URL{Path: p}
		if pathNeedsNoEscape(p) && u.EscapedPath() != p {
			t.Errorf("byte %#x: said kept, but EscapedPath = %q", c, u.EscapedPath())
		}
		if !pathNeedsNoEscape(p) && u.EscapedPath() == p {
			t.Errorf("byte %#x: said escaped, but EscapedPath keeps it", c)
		}
	}
}
