package credentials

import (
	"errors"
	"io"
	"net/http"
)

// maxCredentialsResponse bounds a response from a credential endpoint
// (IMDS, the container endpoint). A credentials document is well under
// 4 KiB; a larger answer is not one, and reading it without a bound let a
// hostile or broken endpoint grow the heap without limit.
const maxCredentialsResponse = 64 << 10

// errResponseTooLarge is the read error past maxCredentialsResponse.
var errResponseTooLarge = errors.New("the credential endpoint's response is larger than 64 KiB, which no credentials document is")

// httpDoer is the client interface of the SDK's endpointcreds and imds.
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// limitedClient bounds the body of every response its client returns.
type limitedClient struct{ httpDoer }

// Do sends req and returns its response with a bounded body.
func (c limitedClient) Do(req *http.Request) (*http.Response, error) {
	res, err := c.httpDoer.Do(req)
	if err == nil && res.Body != nil {
		res.Body = &limitedBody{ReadCloser: res.Body, left: maxCredentialsResponse}
	}
	return res, err
}

// limitedBody fails a read once more than left bytes were read, instead of
// truncating silently. It is not http.MaxBytesReader because that one is
// for request bodies: its error says "http: request body too large", where
// this one names the credential endpoint's response and why it is refused.
type limitedBody struct {
	io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, errResponseTooLarge
	}
	return n, err
}
