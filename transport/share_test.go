package transport_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// sentTo is a base RoundTripper that keeps the last request it was given
// and answers 200.
type sentTo struct{ last *http.Request }

func (s *sentTo) RoundTrip(r *http.Request) (*http.Response, error) {
	s.last = r
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

// TestSignRequestAndRoundTripShareMemos: SignRequest and RoundTrip sign
// with one set of memos and keys, so that a program mixing them derives
// each key once. Seen from outside through the date memo, which hands
// every request signed in the same second the same X-Amz-Date string: a
// request signed by SignRequest and one sent by RoundTrip in the same
// second carry one string, where two Signers (before) each made their own.
func TestSignRequestAndRoundTripShareMemos(t *testing.T) {
	base := &sentTo{}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Service = "us-east-1", "es"
		o.Credentials = credentials.NewStatic(goodCreds.AccessKeyID, goodCreds.SecretAccessKey, goodCreds.SessionToken)
		o.Base = base
		o.Clock = func() time.Time { return at }
	})
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://search-d.us-east-1.es.amazonaws.com/i/_search"
	signed, _ := http.NewRequest("GET", url, nil)
	if err := tr.SignRequest(signed); err != nil {
		t.Fatal(err)
	}
	sent, _ := http.NewRequest("GET", url, nil)
	res, err := tr.RoundTrip(sent)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	a, b := signed.Header.Get("X-Amz-Date"), base.last.Header.Get("X-Amz-Date")
	if a != "20261201T100000Z" || b != a {
		t.Fatalf("X-Amz-Date %q by SignRequest, %q by RoundTrip; want 20261201T100000Z both", a, b)
	}
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("SignRequest and RoundTrip made X-Amz-Date each for itself: their signers do not share memos")
	}
}
