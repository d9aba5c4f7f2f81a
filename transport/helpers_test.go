package transport_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/transport"
)

// seekableBody returns an open file holding s: a body that can be sought
// but has no GetBody.
func seekableBody(t *testing.T, s string) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// refusedGET sends a GET for url through a transport with creds (and
// region, when not empty) whose every send is answered 403 with a body
// from body, and returns the response RoundTrip hands back and the
// diagnosis OnForbidden was given.
func refusedGET(t *testing.T, url string, creds aws.CredentialsProvider, region string, body func() io.ReadCloser) (*http.Response, *transport.Diagnosis) {
	t.Helper()
	var d *transport.Diagnosis
	tr, err := transport.New(func(o *transport.Options) {
		o.Region, o.Credentials = region, creds
		o.Base = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 403, Header: http.Header{}, Body: body(), Request: r}, nil
		})
		o.OnForbidden = func(x *transport.Diagnosis) { d = x }
	})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", url, nil)
	res, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, d
}
