package transport_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/transport"
)

// Requests signed with SignRequest and sent by an http.Client of your
// own: CheckRedirect follows a redirect within the domain, signed for its
// new path, and refuses one to another host, which would otherwise receive
// the session token.
func ExampleTransport_CheckRedirect() {
	verifier, _ := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret", SessionToken: "token"}}
	})
	elsewhere := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		fmt.Println("never reached")
	}))
	defer elsewhere.Close()
	domain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/new", http.StatusMovedPermanently)
		case "/leave":
			http.Redirect(w, r, elsewhere.URL+"/", http.StatusFound)
		default:
			verifier.ServeHTTP(w, r)
		}
	}))
	defer domain.Close()

	tr, _ := transport.New(func(o *transport.Options) {
		o.Region = "us-east-1"
		o.Credentials = credentials.NewStatic("AKIDEXAMPLE", "secret", "token")
	})
	client := &http.Client{CheckRedirect: tr.CheckRedirect}

	req, _ := http.NewRequest("GET", domain.URL+"/old", nil)
	tr.SignRequest(req)
	res, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.Request.URL.Path, res.StatusCode)

	req, _ = http.NewRequest("GET", domain.URL+"/leave", nil)
	tr.SignRequest(req)
	_, err = client.Do(req)
	var he *transport.HostError
	fmt.Println("refused:", errors.As(err, &he))
	// Output:
	// /new 200
	// refused: true
}
