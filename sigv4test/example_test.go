package sigv4test_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Test code that signs requests against an endpoint that checks signatures
// the way Amazon OpenSearch Service does.
func ExampleNewServer() {
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}
	srv, err := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{creds}
		o.Region, o.Service = "eu-west-1", "es"
		o.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "accepted %s %s", r.Method, r.URL.Path)
		})
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	for _, secret := range []string{"secret", "wrong"} {
		tr, _ := transport.New(func(o *transport.Options) {
			o.Region, o.Credentials = "eu-west-1", credentials.NewStatic("AKIDEXAMPLE", secret, "")
		})
		res, err := (&http.Client{Transport: tr}).Get(srv.URL + "/_cluster/health")
		if err != nil {
			panic(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, string(b)[:min(len(b), 60)])
	}
	// Output:
	// 200 accepted GET /_cluster/health
	// 403 {"message":"The request signature we calculated does not mat
}
