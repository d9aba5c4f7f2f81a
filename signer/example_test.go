package signer_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/signer"
)

// Sign a search request for an Amazon OpenSearch Service domain and look at
// what was signed. The trace never shows the secret, the token or the
// signature.
func ExampleSigner_Sign() {
	s, err := signer.New(func(o *signer.Options) {
		o.Trace = func(t signer.Trace) {
			fmt.Println(t.CanonicalRequest)
			fmt.Println("---")
			fmt.Println(t.StringToSign)
		}
	})
	if err != nil {
		panic(err)
	}
	req, _ := http.NewRequest("GET", "https://search-logs-abc.ap-northeast-1.es.amazonaws.com/logs-*/_search?q=message:東京", nil)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", SessionToken: "token"}
	at := time.Date(2026, 11, 22, 6, 15, 0, 0, time.UTC)
	if err := s.Sign(req, creds, "ap-northeast-1", "es", at); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("---")
	fmt.Println("sent:", req.URL.RequestURI())
	fmt.Println(strings.Split(req.Header.Get("Authorization"), ", Signature=")[0])
	// Output:
	// GET
	// /logs-%2A/_search
	// q=message%3A%E6%9D%B1%E4%BA%AC
	// host:search-logs-abc.ap-northeast-1.es.amazonaws.com
	// x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// x-amz-date:20261122T061500Z
	// x-amz-security-token:<redacted>
	//
	// host;x-amz-content-sha256;x-amz-date;x-amz-security-token
	// e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
	// ---
	// AWS4-HMAC-SHA256
	// 20261122T061500Z
	// 20261122/ap-northeast-1/es/aws4_request
	// ab26807717e70d34e0868b4ca524d339b0aa8eb05576fd8eff61ca31e3a11d6b
	// ---
	// sent: /logs-*/_search?q=message%3A%E6%9D%B1%E4%BA%AC
	// AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/ap-northeast-1/es/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token
}

// Errors are typed: test for a kind with errors.Is, read details with
// errors.As.
func ExampleError() {
	s, _ := signer.New()
	req, _ := http.NewRequest("GET", "https://search-d.us-east-1.es.amazonaws.com/", nil)
	err := s.Sign(req, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}, "us-east-1", "", time.Now())
	fmt.Println(err)
	// Output:
	// sigv4/signer: invalid credential scope: service "" is not a service name (as in "es" or "aoss"); set the service
}
