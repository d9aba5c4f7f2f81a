package credentials

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestDefaultChainKeepsTheStatedExpiry: credentials from the container
// endpoint that expire in a minute are served by the default chain with
// the expiry the endpoint stated, and a Cache uses them. Before,
// aws-sdk-go-v2's five-minute expiry window, which config applies to the
// container provider, moved the expiry four minutes into the past, and the
// Cache refused them as expired.
func TestDefaultChainKeepsTheStatedExpiry(t *testing.T) {
	f := newFakeContainer(t, "")
	stated := time.Now().Add(time.Minute).Truncate(time.Second)
	f.Set(func(f *fakeContainer) { f.Expires = stated })

	got, err := NewDefaultChain().Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !got.Expires.Equal(stated) {
		t.Errorf("expiry %v, want the endpoint's %v", got.Expires, stated)
	}
	if _, err := NewCache(NewDefaultChain()).Retrieve(context.Background()); err != nil {
		t.Errorf("a Cache refused one-minute credentials: %v", err)
	}
}

// TestExpiredMessageNamesTheStatedExpiry: credentials from the container
// endpoint that are inside the cache's margin are refused with the expiry
// the endpoint stated, not one five minutes earlier.
func TestExpiredMessageNamesTheStatedExpiry(t *testing.T) {
	f := newFakeContainer(t, "")
	stated := time.Now().Add(5 * time.Second).Truncate(time.Second)
	f.Set(func(f *fakeContainer) { f.Expires = stated })
	_, err := NewCache(NewDefaultChain()).Retrieve(context.Background())
	want := "returned credentials that expired at " + stated.UTC().Format(time.RFC3339)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v; want it to say %q", err, want)
	}
}
