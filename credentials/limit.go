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
		res.Body = limitedBody{http.MaxBytesReader(nil, res.Body, maxCredentialsResponse)}
	}
	return res, err
}

// limitedBody is http.MaxBytesReader's reader with its error renamed:
// past the bound, a read fails with errResponseTooLarge, which names the
// credential endpoint's response, where MaxBytesReader's own error says
// "http: request body too large" (it is made for request bodies).
type limitedBody struct{ io.ReadCloser }

func (b limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
		err = errResponseTooLarge
	}
	return n, err
}
