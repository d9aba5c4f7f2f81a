package credentials

import (
	"errors"
	"strings"
)

// ErrNotConfigured is wrapped by the error of a provider whose source is
// absent (no environment variables, no container endpoint, IMDS disabled). A
// [Chain] moves on to its next provider only after such an error.
var ErrNotConfigured = errors.New("credential source not configured")

// ProviderError is returned by the providers of this package. Its message
// names the source, the problem and the fix; it never contains a secret
// access key or a session token.
type ProviderError struct {
	// Source names the provider, as in [SourceEnv].
	Source string
	// Problem says what went wrong and what to do about it.
	Problem string
	// Err is the cause: [ErrNotConfigured], or the error of the SDK provider
	// or of the read that failed.
	Err error
}

// Error implements the error interface.
func (e *ProviderError) Error() string {
	msg := "sigv4/credentials: " + e.Source + ": " + e.Problem
	if e.Err != nil && e.Err != ErrNotConfigured {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *ProviderError) Unwrap() error { return e.Err }

func notConfigured(source, problem string) error {
	return &ProviderError{Source: source, Problem: problem, Err: ErrNotConfigured}
}

// ChainError is returned by a [Chain] when no provider gave credentials. It
// lists every source tried, in order, and why each gave none.
type ChainError struct {
	// Attempts holds one entry per provider tried, in order.
	Attempts []Attempt
}

// Attempt is one provider's part in a [ChainError].
type Attempt struct {
	// Source names the provider.
	Source string
	// Err is why it gave no credentials.
	Err error
}

// Error implements the error interface. The message has one line per
// source.
func (e *ChainError) Error() string {
	var b strings.Builder
	b.WriteString("sigv4/credentials: no credentials found; tried, in order:")
	for _, a := range e.Attempts {
		b.WriteString("\n  - ")
		b.WriteString(a.Source)
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(a.Err.Error(), "sigv4/credentials: "+a.Source+": "))
	}
	return b.String()
}

// Unwrap returns the error of each attempt, so errors.Is and errors.As see
// through the chain.
func (e *ChainError) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a.Err
	}
	return errs
}
