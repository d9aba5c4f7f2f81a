// Package transport provides an http.RoundTripper that signs every request
// with AWS Signature Version 4, for Amazon OpenSearch Service (service "es"),
// OpenSearch Serverless ("aoss") and any other AWS HTTP API.
//
// It plugs into opensearch-go, go-elasticsearch or any http.Client:
//
//	tr, err := transport.New() // region and credentials from the environment
//	if err != nil { ... }
//	client, err := opensearch.NewClient(opensearch.Config{
//		Addresses: []string{"https://search-mydomain-abc.ap-northeast-1.es.amazonaws.com"},
//		Transport: tr,
//	})
//
// or, as a plain http.Client:
//
//	client := &http.Client{Transport: tr}
//
// Each request is cloned, its payload hashed without copying the body where
// it can be replayed, and the clone signed with a fresh time and sent; the
// caller's request is never modified, so every retry by the client is
// signed anew. Credentials come from an aws.CredentialsProvider (by
// default aws-sdk-go-v2's default chain behind a credentials.Cache) and are
// retrieved under the request's context.
//
// Users of opensearch-go's signer/awsv2 can pass a Transport as the Signer
// instead (opensearch.Config{Signer: tr}); see [Transport.SignRequest].
package transport
