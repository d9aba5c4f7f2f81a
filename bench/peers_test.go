package bench_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net/http"
	"testing"

	smithycreds "github.com/aws/smithy-go/aws-http-auth/credentials"
	smithysigv4 "github.com/aws/smithy-go/aws-http-auth/sigv4"
	osgov4 "github.com/opensearch-project/opensearch-go/v4/signer/awsv2"
	promconfig "github.com/prometheus/common/config"
	promsigv4 "github.com/prometheus/sigv4"
)

// The peers a user would pick instead, each set up as its documentation
// says, with the same static credentials (prometheus/sigv4 takes no
// session token in a static configuration, so it signs one header less).

// smithySign signs r with smithy-go's aws-http-auth SigV4 signer, the
// payload hash computed by the caller as that signer asks.
func smithySigner() func(r *http.Request, body []byte) error {
	s := smithysigv4.New()
	c := smithycreds.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	return func(r *http.Request, body []byte) error {
		sum := sha256.Sum256(body)
		return s.SignRequest(&smithysigv4.SignRequestInput{Request: r, PayloadHash: sum[:], Credentials: c, Service: service, Region: region})
	}
}

// osgoV4Signer is opensearch-go v4's signer/awsv2.
func osgoV4Signer(b *testing.B) interface{ SignRequest(*http.Request) error } {
	s, err := osgov4.NewSignerWithService(sdkConfig(), service)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// stubBase answers every request at once, reading its body: a
// RoundTripper below the signer that costs next to nothing.
type stubBase struct{}

var stubResponse = []byte(`{}`)

func (stubBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(stubResponse)), Request: r}, nil
}

// promRoundTripper is prometheus/sigv4's signing RoundTripper over base
// (stubBase when nil).
func promRoundTripper(b *testing.B, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = stubBase{}
	}
	rt, err := promsigv4.NewSigV4RoundTripper(&promsigv4.SigV4Config{
		Region: region, AccessKey: creds.AccessKeyID, SecretKey: promconfig.Secret(creds.SecretAccessKey), ServiceName: service,
	}, base)
	if err != nil {
		b.Fatal(err)
	}
	return rt
}
