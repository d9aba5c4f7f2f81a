package signer

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// TestWithSharesKeysAndMemos: a Signer made by With takes the options of
// the one it comes from with the functions applied on top, and finds the
// signing key and memos the other made; a bad option is New's error and
// leaves the original's options as they were.
func TestWithSharesKeysAndMemos(t *testing.T) {
	s, err := New(func(o *Options) { o.SigningHost = "search-d.example.com"; o.SignedHeaders = []string{"X-Extra"} })
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.With(func(o *Options) { o.SpoolBudget = true })
	if err != nil {
		t.Fatal(err)
	}
	if !d.opts.SpoolBudget || s.opts.SpoolBudget || d.host != "search-d.example.com" || !slices.Equal(d.extra, []string{"x-extra"}) {
		t.Fatalf("derived: budget %v (original %v), host %q, extra %q", d.opts.SpoolBudget, s.opts.SpoolBudget, d.host, d.extra)
	}
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-with"}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	req, _ := http.NewRequest("GET", "https://search-d.example.com/i/_search", nil)
	if err := s.Sign(req, creds, "us-east-1", "es", at); err != nil {
		t.Fatal(err)
	}
	made := s.keys.last.Load()
	if made == nil {
		t.Fatal("signing cached no key")
	}
	if got := d.keys.get(creds.SecretAccessKey, [8]byte([]byte("20261201")), "us-east-1", "es"); got != made.key {
		t.Error("the derived Signer derived the key again instead of finding the original's")
	}
	if dm := d.memos.date.Load(); dm == nil || dm.unix != at.Unix() {
		t.Error("the derived Signer does not see the original's date memo")
	}

	_, err = s.With(func(o *Options) { o.SignedHeaders = append(o.SignedHeaders, "Authorization") })
	var e *Error
	if !errors.As(err, &e) || e.Kind != ErrOption {
		t.Errorf("With a bad header: %v, want an ErrOption", err)
	}
	if !slices.Equal(s.opts.SignedHeaders, []string{"X-Extra"}) {
		t.Errorf("With changed the original's options: %q", s.opts.SignedHeaders)
	}
}
