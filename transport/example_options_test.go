package transport_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearch "github.com/opensearch-project/opensearch-go/v2"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// AllowedHosts names the hosts the transport signs for; a request to any
// other host (a misconfigured URL, a redirect) is refused before
// credentials are retrieved, so neither a signature nor a token leaves.
func ExampleOptions_allowedHosts() {
	tr, err := transport.New(func(o *transport.Options) {
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "token")
		o.AllowedHosts = []string{"*.eu-west-1.es.amazonaws.com"}
	})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest("GET", "https://search.evil.example/_search", nil)
	_, err = tr.RoundTrip(req)
	var he *transport.HostError
	fmt.Println(errors.As(err, &he), he.Host)
	// Output:
	// true search.evil.example
}

// A VPC domain reached through an SSH tunnel (ssh -L 9200:DOMAIN:443
// bastion): the URL names the local end, SigningHost the domain, whose
// name is signed and sent as Host, and whose region and service it tells.
// Here a local verifying endpoint plays the tunnel's far end.
func ExampleOptions_signingHost() {
	const domain = "vpc-logs-abc.eu-west-1.es.amazonaws.com"
	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
		o.Region, o.Handler = "eu-west-1", standin.New()
	})
	defer srv.Close()

	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint = srv.URL // the tunnel's local end
		o.SigningHost = domain
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "")
	})
	if err != nil {
		panic(err)
	}
	res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.Status, res.Request.Host)
	// Output:
	// 200 OK vpc-logs-abc.eu-west-1.es.amazonaws.com
}

// TLS settings (a private CA, client certificates, InsecureSkipVerify for a
// tunnel's certificate) belong in the base transport: opensearch-go's
// CACert does not reach a transport of your own. Keep Proxy so that
// HTTPS_PROXY is honoured, as http.DefaultTransport does.
func ExampleOptions_base() {
	h, _ := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
		o.Region, o.Handler = "us-east-1", standin.New()
	})
	tlsSrv := httptest.NewTLSServer(h) // a server whose certificate a private CA issued
	defer tlsSrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate()) // in production: pool.AppendCertsFromPEM(caPEM)

	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "")
		o.Base = &http.Transport{
			Proxy:             http.ProxyFromEnvironment,
			TLSClientConfig:   &tls.Config{RootCAs: pool},
			ForceAttemptHTTP2: true,
		}
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{tlsSrv.URL}, Transport: tr})
	res, err := client.Info()
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode)
	// Output:
	// 200
}

// opensearch-go's Signer field takes the transport, as a drop-in for its
// signer/awsv2: opensearch-go keeps its own transport and asks the signer
// to sign each request, every retry included.
func ExampleTransport_SignRequest() {
	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
		o.Region, o.Handler = "us-east-1", standin.New()
	})
	defer srv.Close()
	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "")
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{srv.URL}, Signer: tr})
	res, err := client.Info()
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode)
	// Output:
	// 200
}
