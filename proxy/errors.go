package proxy

import "strconv"

// UpstreamOption is the Option of a [ConfigError] about New's upstream
// argument, which is not a field of [Options].
const UpstreamOption = "upstream"

// ConfigError is the error [New] returns for an upstream or an option it
// cannot work with; nothing was built. A caller that offers the options
// under other names (a command's flags) can name them from Option and Value
// and say Problem after them. It never holds a password: a URL's user
// information is redacted from Value.
//
// A Transport option that the signing transport refuses is reported by
// New as the transport's own error (a *transport.Error), not as a
// ConfigError.
type ConfigError struct {
	// Option is the Options field at fault, such as "PublicURL", or
	// UpstreamOption for New's upstream argument.
	Option string
	// Value is what the option was given, redacted.
	Value string
	// Problem says what is wrong with Value and what to do, in words that
	// follow the option and its value and name no option.
	Problem string
}

// Error implements the error interface: "sigv4/proxy: ", the option, its
// value quoted, and the problem.
func (e *ConfigError) Error() string {
	return "sigv4/proxy: " + e.Option + " " + strconv.Quote(e.Value) + " " + e.Problem
}
