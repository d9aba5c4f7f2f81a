package transport_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	opensearch "github.com/opensearch-project/opensearch-go/v2"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// An opensearch-go client whose every request is signed. Here the domain
// is a local verifying endpoint in front of an in-memory stand-in; for a
// real domain, give its URL and call transport.New() with no options.
func Example_opensearch() {
	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}}
		o.Region = "ap-northeast-1"
		o.Handler = standin.New()
	})
	defer srv.Close()

	tr, err := transport.New(func(o *transport.Options) {
		o.Region = "ap-northeast-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "token")
	})
	if err != nil {
		panic(err)
	}
	client, _ := opensearch.NewClient(opensearch.Config{Addresses: []string{srv.URL}, Transport: tr})

	res, _ := client.Index("tokyo", strings.NewReader(`{"name":"東京タワー"}`), client.Index.WithDocumentID("1"))
	fmt.Println(res.StatusCode)
	res, _ = client.Search(client.Search.WithIndex("tokyo"), client.Search.WithQuery("name:東京"))
	b, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, strings.Contains(string(b), "東京タワー"))
	// Output:
	// 201
	// 200 true
}

// A plain http.Client: the call people otherwise make with
// curl --aws-sigv4.
func ExampleNew() {
	srv, _ := sigv4test.NewServer(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}}
		o.Handler = standin.New()
	})
	defer srv.Close()

	tr, _ := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "")
	})
	client := &http.Client{Transport: tr}
	res, err := client.Get(srv.URL + "/_cat/indices?v")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	fmt.Print(res.Status, "\n", string(b))
	// Output:
	// 200 OK
	// health status index uuid pri rep docs.count docs.deleted store.size pri.store.size
}
