package main

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/sigv4test"
	"github.com/opensearch-sigv4/sigv4/sigv4test/standin"
)

// The test keys and scope: the local endpoint is all that accepts them.
const (
	testKeyID   = "AKIASIGV4CMDTEST0001"
	testSecret  = "cmd-test-secret-not-an-aws-key"
	testToken   = "cmd-test-session-token-not-an-aws-token"
	testRegion  = "ap-northeast-1"
	testService = "es"
	testRoleARN = "arn:aws:iam::123456789012:role/sigv4-cmd-test-role"
)

func testCredentials() aws.Credentials {
	return aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
}

// endpoint is a verifying endpoint in front of the OpenSearch stand-in.
type endpoint struct {
	URL      string
	Verifier *sigv4test.Handler
	Store    *standin.Server
}

func start(t *testing.T) *endpoint {
	t.Helper()
	e := &endpoint{Store: standin.New()}
	e.Store.SetPrincipal(testRoleARN)
	v, err := sigv4test.NewHandler(func(o *sigv4test.Options) {
		o.Credentials = []aws.Credentials{testCredentials()}
		o.Region, o.Service, o.Handler = testRegion, testService, e.Store
	})
	if err != nil {
		t.Fatal(err)
	}
	e.Verifier = v
	srv := httptest.NewServer(v)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}
