package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Chain tries its providers in order and returns the first credentials
// found. It moves past a provider only when that provider's source is not
// configured (its error wraps [ErrNotConfigured]); a source that is
// configured but fails stops the chain, so that, say, a broken ECS endpoint
// never silently falls through to the instance role. A Chain caches
// nothing: wrap it in a [Cache].
type Chain struct {
	providers []aws.CredentialsProvider
}

// NewChain returns a chain of the given providers.
func NewChain(providers ...aws.CredentialsProvider) *Chain {
	return &Chain{providers: append([]aws.CredentialsProvider(nil), providers...)}
}

// Name returns "Chain".
func (c *Chain) Name() string { return "Chain" }

// Retrieve returns the credentials of the first configured provider. When
// none gave any, the error is a [*ChainError] naming every source tried.
func (c *Chain) Retrieve(ctx context.Context) (aws.Credentials, error) {
	var attempts []Attempt
	for _, p := range c.providers {
		creds, err := p.Retrieve(ctx)
		if err == nil {
			if creds.Source == "" {
				creds.Source = sourceName(p)
			}
			return creds, nil
		}
		attempts = append(attempts, Attempt{Source: sourceName(p), Err: err})
		if !errors.Is(err, ErrNotConfigured) || ctx.Err() != nil {
			break
		}
	}
	if len(attempts) == 0 {
		return aws.Credentials{}, &ChainError{Attempts: []Attempt{{Source: "Chain", Err: notConfigured("Chain", "the chain has no providers")}}}
	}
	return aws.Credentials{}, &ChainError{Attempts: attempts}
}

// sourceName names a provider: its Name method, else its type.
func sourceName(p aws.CredentialsProvider) string {
	if n, ok := p.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", p)
}

// String lists the chain's sources.
func (c *Chain) String() string {
	names := make([]string, len(c.providers))
	for i, p := range c.providers {
		names[i] = sourceName(p)
	}
	return "credentials.Chain(" + strings.Join(names, " > ") + ")"
}

// Format writes String for every verb, so that no verb prints the fields.
func (c *Chain) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String()) }
