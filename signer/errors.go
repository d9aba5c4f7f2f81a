package signer

import (
	"errors"
	"strconv"
)

// Kinds of signing failure. Every error returned by [Signer.Sign] is an
// [*Error] whose kind is one of these, so callers can test for a kind with
// errors.Is and read the details with errors.As.
var (
	// ErrRequest: the request itself cannot be signed (nil request or URL,
	// no host, a path that is not a path).
	ErrRequest = errors.New("request cannot be signed")
	// ErrCredentials: the credentials are missing a part or have expired.
	ErrCredentials = errors.New("credentials cannot be used")
	// ErrScope: the region or service cannot appear in a credential scope.
	ErrScope = errors.New("invalid credential scope")
	// ErrHeader: a header that would be signed has a value that cannot be
	// sent (CR or LF), or an X-Amz-Content-Sha256 that is not a hash.
	ErrHeader = errors.New("invalid header")
	// ErrBody: the request body could not be read to hash it.
	ErrBody = errors.New("request body cannot be hashed")
	// ErrOption: an option given to [New] is invalid.
	ErrOption = errors.New("invalid signer option")
)

// Error is the error type returned by this package. Its message names the
// problem and how to fix it; it never contains the secret access key, the
// session token or a signature.
type Error struct {
	// Kind is one of the Err* values of this package.
	Kind error
	// Option, for an error of kind ErrOption, is the Options field at
	// fault ("SignedHeaders", "SigningHost"), and Value what it was given;
	// Problem then follows them in the message and names no option, so
	// that a program offering the options under other names (a command's
	// flags) can name them itself. Both are empty for other kinds.
	Option, Value string
	// Problem says what is wrong and what to do about it.
	Problem string
	// Err is the underlying cause, such as the error a body read returned;
	// nil when there is none.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := "sigv4/signer: " + e.Kind.Error() + ": "
	if e.Option != "" {
		msg += e.Option + " " + strconv.Quote(e.Value) + " "
	}
	msg += e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and, when there is one, the cause, so that both
// errors.Is(err, ErrBody) and errors.Is(err, io.ErrUnexpectedEOF) hold.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func newError(kind error, problem string, cause error) *Error {
	return &Error{Kind: kind, Problem: problem, Err: cause}
}

// optionError is an error of kind ErrOption about option, given value.
func optionError(option, value, problem string) *Error {
	return &Error{Kind: ErrOption, Option: option, Value: value, Problem: problem}
}
