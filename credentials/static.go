package credentials

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Credential source names, set as aws.Credentials.Source by the providers of
// this package and used by [Chain] errors. They are the names
// aws-sdk-go-v2's own providers set, so that the same source reports the
// same name through [NewDefaultChain] and through this package's providers.
const (
	SourceStatic    = "StaticCredentials"           // credentials.StaticCredentialsName
	SourceEnv       = "EnvConfigCredentials"        // what config's environment provider sets
	SourceContainer = "CredentialsEndpointProvider" // endpointcreds.ProviderName
	SourceIMDS      = "EC2RoleProvider"             // ec2rolecreds.ProviderName
	SourceDefault   = "SDKDefaultChain"
)

// StaticProvider returns fixed credentials. Create one with [NewStatic].
type StaticProvider struct {
	creds aws.Credentials
}

// NewStatic returns a provider of fixed keys; sessionToken may be empty. The
// keys are checked when credentials are retrieved, so that a missing key is
// reported where it is used.
func NewStatic(accessKeyID, secretAccessKey, sessionToken string) *StaticProvider {
	return &StaticProvider{creds: aws.Credentials{
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secretAccessKey,
		SessionToken:    sessionToken,
		Source:          SourceStatic,
	}}
}

// Retrieve returns the keys, or an error naming the part that is empty.
func (p *StaticProvider) Retrieve(context.Context) (aws.Credentials, error) {
	switch {
	case p.creds.AccessKeyID == "" && p.creds.SecretAccessKey == "":
		return aws.Credentials{}, notConfigured(SourceStatic, "no access key id and no secret access key were given")
	case p.creds.AccessKeyID == "":
		return aws.Credentials{}, &ProviderError{Source: SourceStatic, Problem: "the access key id is empty; pass both keys"}
	case p.creds.SecretAccessKey == "":
		return aws.Credentials{}, &ProviderError{Source: SourceStatic, Problem: "the secret access key is empty; pass both keys"}
	}
	return p.creds, nil
}

// Name returns [SourceStatic].
func (p *StaticProvider) Name() string { return SourceStatic }

// String describes the provider without its keys.
func (p *StaticProvider) String() string {
	return "credentials.StaticProvider(" + redact.AccessKeyID(p.creds.AccessKeyID) + ")"
}

// Format writes String for every verb, so that no verb prints the fields.
func (p *StaticProvider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }
