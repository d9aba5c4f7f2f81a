package transport

import (
	"errors"
	"strconv"
	"strings"
)

// ErrAuthorizationSet is the cause of the error for a request that already
// carries an Authorization header, such as basic auth configured in the
// client: SigV4 replaces that header, so the two cannot be combined on one
// request. Remove the username and password from the client configuration.
var ErrAuthorizationSet = errors.New("the request already has an Authorization header (basic auth?); SigV4 and basic auth cannot be combined on one request: remove the username and password from the client configuration")

// Error is returned for a request that was not sent because it could not be
// signed. Its message names the step that failed and the cause; it never
// contains a secret key, a session token or a signature.
type Error struct {
	// Op is the step that failed, such as "retrieve credentials".
	Op string
	// Err is the cause: a credentials, signer or region error, or
	// ErrAuthorizationSet.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string { return "sigv4/transport: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HostError is the cause of the error for a request that the transport
// refused to sign: to a host that Options.AllowedHosts (or the Endpoint)
// does not name, or a redirect that leaves the scheme and host of the
// request that was redirected (or goes from https to http). Nothing was
// signed or sent, and no credentials were retrieved for it.
type HostError struct {
	// Host is the request's host.
	Host string
	// Redirect is true when the request was made to follow a redirect.
	Redirect bool
}

// Error implements the error interface.
func (e *HostError) Error() string {
	if e.Redirect {
		return "a redirect to " + e.Host + " leaves the scheme or host of the request that was redirected; nothing was signed or sent for it. " +
			"If that host is yours, add it to AllowedHosts (an https request is never followed to http)"
	}
	return "the request is for host " + e.Host + ", which AllowedHosts (or the Endpoint) does not name; nothing was signed or sent. " +
		"If it is yours, add it to AllowedHosts"
}

// ScopeError is the cause of the error for a Region or Service option that
// contradicts the AWS host name of the endpoint or request: AWS refuses a
// signature scoped to any region or service but the host's, so nothing is
// signed. New returns it for Options.Endpoint; RoundTrip for a request.
type ScopeError struct {
	// Option is "Region" or "Service"; Value is what it says.
	Option, Value string
	// Host is the host name, and HostSays the region or service it names.
	Host, HostSays string
}

// Error implements the error interface.
func (e *ScopeError) Error() string {
	return "the " + e.Option + " option says " + e.Value + ", but the host name " + e.Host + " says " + e.HostSays +
		": AWS refuses a signature for any " + strings.ToLower(e.Option) + " but the domain's. Remove the " + e.Option +
		" option (the host name decides), or use the endpoint of the domain you mean"
}

// ConfigError is the cause of New's error for an option it cannot work
// with: an AllowedHosts entry that can never match, an Endpoint that is not
// a URL, or no Region for an Endpoint whose host name names none. A caller
// that offers the options under other names (a command's flags) can name
// them from Option and Value and say Problem after them.
type ConfigError struct {
	// Option is the Options field at fault, such as "AllowedHosts".
	Option string
	// Value is what it was given (one entry of a list); empty when the
	// option was not set.
	Value string
	// Problem says what is wrong and what to do, in words that follow the
	// option (and its value, when set) and name no option.
	Problem string
}

// Error implements the error interface: the option, its value quoted when
// set, and the problem.
func (e *ConfigError) Error() string {
	if e.Value == "" {
		return "the " + e.Option + " option " + e.Problem
	}
	return e.Option + " " + strconv.Quote(e.Value) + " " + e.Problem
}
