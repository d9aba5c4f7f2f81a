package credentials

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// DefaultChainProvider is aws-sdk-go-v2's default credential chain, as
// config.LoadDefaultConfig builds it: environment, shared config and
// credentials files (AWS_PROFILE), web identity (EKS IRSA), SSO, process
// credentials, the container endpoint, and EC2 instance metadata (tried
// once, with short timeouts, so that outside AWS it fails in well under a
// second). Create one with [NewDefaultChain].
type DefaultChainProvider struct {
	optFns []func(*config.LoadOptions) error

	mu   sync.Mutex
	prov aws.CredentialsProvider
}

// NewDefaultChain returns the SDK's default chain. The option functions are passed
// to config.LoadDefaultConfig (for example config.WithSharedConfigProfile).
// Nothing is loaded until credentials are first retrieved.
func NewDefaultChain(optFns ...func(*config.LoadOptions) error) *DefaultChainProvider {
	return &DefaultChainProvider{optFns: optFns}
}

// Name returns [SourceDefault].
func (p *DefaultChainProvider) Name() string { return SourceDefault }

// Retrieve loads the SDK configuration on first use and retrieves fresh
// credentials from the chain it resolves, every time: wrap this provider in
// a [Cache], which calls it only when credentials are due for refresh.
func (p *DefaultChainProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	prov, err := p.load(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	// The SDK wraps its chain in an aws.CredentialsCache, which would hand
	// a refresh ahead of expiry the credentials it already has. Retrieve is
	// meant to be called by a Cache when new credentials are wanted, so the
	// SDK's copy is dropped first.
	if sdkCache, ok := prov.(*aws.CredentialsCache); ok {
		sdkCache.Invalidate()
	}
	creds, err := prov.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &ProviderError{Source: SourceDefault,
			Problem: "aws-sdk-go-v2's default chain found no usable credentials (it tries the environment, the shared config and credentials files, web identity, SSO, process credentials, the container endpoint and EC2 instance metadata)",
			Err:     err}
	}
	if creds.Source == "" {
		creds.Source = SourceDefault
	}
	return creds, nil
}

func (p *DefaultChainProvider) load(ctx context.Context) (aws.CredentialsProvider, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.prov != nil {
		return p.prov, nil
	}
	opts := append([]func(*config.LoadOptions) error{
		config.WithEC2RoleCredentialOptions(func(o *ec2rolecreds.Options) {
			o.Client = newIMDSClient()
		}),
	}, p.optFns...)
	opts = append(opts, noExpiryWindow)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &ProviderError{Source: SourceDefault, Problem: "cannot load the AWS configuration (check AWS_PROFILE and the files in ~/.aws)", Err: err}
	}
	if cfg.Credentials == nil {
		return nil, notConfigured(SourceDefault, "the AWS configuration names no credential source")
	}
	p.prov = cfg.Credentials
	return p.prov, nil
}

// noExpiryWindow keeps the expiry that the credential source stated. The
// SDK's config wraps the container provider in an aws.CredentialsCache with
// a five-minute ExpiryWindow, which moves Expires five minutes early: then
// credentials that live five minutes or less (EKS Pod Identity and ECS test
// setups, credentials fetched late in their life) reach a Cache already
// expired, and messages print a time the source never said. A Cache
// refreshes ahead of expiry itself, so the window is set to zero, after
// any CredentialsCacheOptions of the caller's (which it keeps otherwise).
func noExpiryWindow(o *config.LoadOptions) error {
	callers := o.CredentialsCacheOptions
	o.CredentialsCacheOptions = func(co *aws.CredentialsCacheOptions) {
		if callers != nil {
			callers(co)
		}
		co.ExpiryWindow, co.ExpiryWindowJitterFrac = 0, 0
	}
	return nil
}

// String describes the provider without the credentials its chain holds.
func (p *DefaultChainProvider) String() string { return "credentials.DefaultChainProvider" }

// Format writes String for every verb, so that no verb prints the fields.
func (p *DefaultChainProvider) Format(f fmt.State, verb rune) { redact.Format(f, verb, p.String()) }
