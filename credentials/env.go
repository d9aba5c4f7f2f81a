package credentials

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// EnvProvider reads credentials from the environment at each Retrieve:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when set, AWS_SESSION_TOKEN
// (what AWS Lambda sets). The older AWS_ACCESS_KEY and AWS_SECRET_KEY are
// read when the first two are absent. Create one with [NewEnv].
type EnvProvider struct{}

// NewEnv returns a provider of the credentials in the environment.
func NewEnv() *EnvProvider { return &EnvProvider{} }

func firstEnv(names ...string) (name, value string) {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return n, v
		}
	}
	return names[0], ""
}

// Retrieve returns the credentials from the environment. With neither key
// set, the error wraps [ErrNotConfigured]; with one key but not the other,
// the error names the missing variable.
func (EnvProvider) Retrieve(context.Context) (aws.Credentials, error) {
	idVar, id := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY")
	secretVar, secret := firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	switch {
	case id == "" && secret == "":
		return aws.Credentials{}, notConfigured(SourceEnv, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	case secret == "":
		return aws.Credentials{}, &ProviderError{Source: SourceEnv, Problem: idVar + " is set but AWS_SECRET_ACCESS_KEY is not; set both, or neither"}
	case id == "":
		return aws.Credentials{}, &ProviderError{Source: SourceEnv, Problem: secretVar + " is set but AWS_ACCESS_KEY_ID is not; set both, or neither"}
	}
	return aws.Credentials{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          SourceEnv,
	}, nil
}

// Name returns [SourceEnv].
func (EnvProvider) Name() string { return SourceEnv }
