package transport_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearch "github.com/opensearch-project/opensearch-go/v2"
	opensearchv4 "github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// refusingEndpoint verifies SigV4 as AWS does, for a key whose secret the
// examples' client does not have.
func refusingEndpoint() (url string, closeFn func()) {
	srv, err := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "the-right-secret"}}
		o.Region = "us-east-1"
	})
	if err != nil {
		panic(err)
	}
	return srv.URL, srv.Close
}

// With opensearch-go v2, the transport finds the diagnosis of a refused
// call from the response the client returns.
func ExampleTransport_DiagnosisFor_opensearchGoV2() {
	url, closeFn := refusingEndpoint()
	defer closeFn()
	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region = url, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "a-wrong-secret", "")
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{url}, Transport: tr})

	res, err := client.Info()
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	if d := tr.DiagnosisFor(res.Header); d != nil {
		fmt.Println(res.StatusCode, d.Cause)
		fmt.Println(d.Fix)
	}
	// Output:
	// 403 signature mismatch
	// AWS computed the same canonical request, so the key is wrong: the secret access key does not match the access key id, or the region or service in the credential scope is not the domain's.
}

// With opensearch-go v4, a refused call returns an error and a response
// whose Inspect() gives the HTTP response the transport diagnosed.
func ExampleTransport_DiagnosisFor_opensearchGoV4() {
	url, closeFn := refusingEndpoint()
	defer closeFn()
	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region = url, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "a-wrong-secret", "")
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearchapi.NewClient(opensearchapi.Config{Client: opensearchv4.Config{Addresses: []string{url}, Transport: tr}})

	resp, err := client.Info(context.Background(), nil)
	if err != nil && resp != nil && resp.Inspect().Response != nil {
		if d := tr.DiagnosisFor(resp.Inspect().Response.Header); d != nil {
			fmt.Println(resp.Inspect().Response.StatusCode, d.Cause)
			fmt.Println(d.Fix)
		}
	}
	// Output:
	// 403 signature mismatch
	// AWS computed the same canonical request, so the key is wrong: the secret access key does not match the access key id, or the region or service in the credential scope is not the domain's.
}

// OnForbidden receives every diagnosis, for logging, whatever the client.
func ExampleOptions_onForbidden() {
	url, closeFn := refusingEndpoint()
	defer closeFn()
	tr, err := transport.New(func(o *transport.Options) {
		o.Endpoint, o.Region = url, "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "a-wrong-secret", "")
		o.OnForbidden = func(d *transport.Diagnosis) {
			fmt.Println("refused:", d.Cause, "signed for", d.SignedRegion+"/"+d.SignedService)
		}
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{url}, Transport: tr})
	res, err := client.Info()
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	// Output:
	// refused: signature mismatch signed for us-east-1/es
}
