// Package authheader reads the Authorization header of AWS Signature
// Version 4:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261122/us-east-1/es/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123…
//
// It is the one reader of that header in the module: the verifying endpoint
// (sigv4test) refuses what Parse calls malformed, in AWS's words; the
// transport's diagnosis reads what Parse found even then, from a header of
// any signer.
package authheader

import (
	"fmt"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Algorithm is the signing algorithm of AWS Signature Version 4.
const Algorithm = "AWS4-HMAC-SHA256"

// Terminator ends every SigV4 credential scope.
const Terminator = "aws4_request"

// Authorization is what Parse read from a header value. A field that the
// value does not hold is empty.
type Authorization struct {
	// Algorithm is the word before the parameters ("AWS4-HMAC-SHA256"),
	// empty when the value starts with a parameter.
	Algorithm string
	// Credential is the Credential parameter as written.
	Credential string
	// AccessKeyID is Credential up to its first '/', or all of it.
	AccessKeyID string
	// Date, Region, Service and Terminator are the credential scope: set
	// only when Credential has exactly five '/'-separated parts.
	Date, Region, Service, Terminator string
	// SignedHeaders is the SignedHeaders parameter as written: names
	// separated by ';'.
	SignedHeaders string
	// Signature is the Signature parameter.
	Signature string
}

// Parse reads an Authorization header value. The value is the algorithm,
// a space and parameters separated by ',' (white space around each is
// ignored), each a name, '=' and a value; of a parameter written twice the
// last counts, and parameters other than Credential, SignedHeaders and
// Signature are ignored. What Parse reads, it reads leniently: white space
// around the value, a tab after the algorithm or no algorithm at all (the
// value starts with a parameter) still give the parameters.
//
// Parse fills in every field it can read, and returns an *Error for the
// first problem, in the order a SigV4 verifier checks them: the value does
// not start with "AWS4-HMAC-SHA256 "; Credential, Signature or SignedHeaders
// is missing or empty; Credential is not
// access-key-id/date/region/service/aws4_request.
func Parse(v string) (Authorization, error) {
	var a Authorization
	params := strings.TrimSpace(v)
	alg, rest := params, ""
	if i := strings.IndexAny(params, " \t"); i >= 0 {
		alg, rest = params[:i], params[i+1:]
	}
	if !strings.ContainsAny(alg, "=,") {
		a.Algorithm, params = alg, rest
	}
	for _, p := range strings.Split(params, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "Credential":
			a.Credential = val
		case "SignedHeaders":
			a.SignedHeaders = val
		case "Signature":
			a.Signature = val
		}
	}
	a.AccessKeyID, _, _ = strings.Cut(a.Credential, "/")
	scope := strings.Split(a.Credential, "/")
	if len(scope) == 5 {
		a.Date, a.Region, a.Service, a.Terminator = scope[1], scope[2], scope[3], scope[4]
	}

	if !strings.HasPrefix(v, Algorithm+" ") {
		return a, &Error{Problem: NotSigV4}
	}
	var missing []string
	for _, p := range [...]struct{ name, val string }{{"Credential", a.Credential}, {"Signature", a.Signature}, {"SignedHeaders", a.SignedHeaders}} {
		if p.val == "" {
			missing = append(missing, p.name)
		}
	}
	if missing != nil {
		return a, &Error{Problem: MissingParameter, Missing: missing}
	}
	if len(scope) != 5 || a.Terminator != Terminator {
		_, rest, _ := strings.Cut(a.Credential, "/")
		return a, &Error{Problem: BadScope, Scope: rest}
	}
	return a, nil
}

// Scope returns the credential scope, date/region/service/aws4_request,
// or "" when Credential does not have exactly five parts.
func (a *Authorization) Scope() string {
	if a.Service == "" {
		return ""
	}
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + a.Terminator
}

// Headers returns the signed header names; none when SignedHeaders is
// empty.
func (a *Authorization) Headers() []string {
	if a.SignedHeaders == "" {
		return nil
	}
	return strings.Split(a.SignedHeaders, ";")
}

// Signs reports whether name (lower case, as SigV4 lists it) is one of the
// signed headers.
func (a *Authorization) Signs(name string) bool {
	for h := range strings.SplitSeq(a.SignedHeaders, ";") {
		if h == name && h != "" {
			return true
		}
	}
	return false
}

// String describes a with its access key id masked and without its
// signature.
func (a Authorization) String() string {
	sig := ""
	if a.Signature != "" {
		sig = redact.Placeholder
	}
	cred := a.Credential
	if a.AccessKeyID != "" {
		cred = redact.AccessKeyID(a.AccessKeyID) + cred[len(a.AccessKeyID):]
	}
	return a.Algorithm + " Credential=" + cred + ", SignedHeaders=" + a.SignedHeaders + ", Signature=" + sig
}

// Format writes String for every verb, so that no verb prints the
// signature.
func (a Authorization) Format(f fmt.State, verb rune) { redact.Format(f, verb, a.String()) }

// Problem is what makes an Authorization value malformed.
type Problem uint8

const (
	// NotSigV4: the value does not start with "AWS4-HMAC-SHA256 ".
	NotSigV4 Problem = iota + 1
	// MissingParameter: Credential, Signature or SignedHeaders is
	// missing or empty.
	MissingParameter
	// BadScope: Credential is not
	// access-key-id/date/region/service/aws4_request.
	BadScope
)

// Error is what Parse found malformed. Its text never quotes the value.
type Error struct {
	Problem Problem
	// Missing names the parameters missing or empty (MissingParameter),
	// in the order AWS names them: Credential, Signature, SignedHeaders.
	Missing []string
	// Scope is the Credential after its access key id (BadScope): the
	// part AWS quotes when it refuses the scope.
	Scope string
}

func (e *Error) Error() string {
	switch e.Problem {
	case NotSigV4:
		return "the Authorization header is not AWS Signature Version 4: it does not start with \"" + Algorithm + " \""
	case MissingParameter:
		return "the Authorization header lacks " + strings.Join(e.Missing, ", ")
	case BadScope:
		return "the Authorization header's Credential is not access-key-id/date/region/service/" + Terminator
	}
	return "the Authorization header is malformed"
}
