package main

import (
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// expiryCheck wraps the credential chain so that credentials a source
// hands out already expired are told apart from no credentials at all: it
// returns an *expiredError for them. The transport keeps it behind its own
// cache, which asks it again only when credentials are due.
type expiryCheck struct{ p aws.CredentialsProvider }

// expiredError is credentials that a source gave but that had expired.
type expiredError struct {
	source  string
	expires time.Time
	now     time.Time
}

func (e *expiredError) Error() string {
	return "the credentials from " + e.source + " expired at " + e.expires.UTC().Format(time.RFC3339)
}

// expiryMargin is how close to expiry credentials count as expired: a
// request signed with them must still reach AWS in time (the transport's
// cache uses the same margin).
const expiryMargin = 10 * time.Second

// Retrieve returns the chain's credentials, or a *sourceError (around an
// *expiredError for expired ones).
func (e expiryCheck) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := e.p.Retrieve(ctx)
	if err != nil {
		return creds, &sourceError{err}
	}
	if now := time.Now(); creds.CanExpire && !now.Add(expiryMargin).Before(creds.Expires) {
		return aws.Credentials{}, &sourceError{&expiredError{source: creds.Source, expires: creds.Expires, now: now}}
	}
	return creds, nil
}

// Name names the wrapped chain, for traces and messages.
func (e expiryCheck) Name() string { return credentials.SourceDefault }

// sourceError marks the error of the credential source the command gave
// the transport, so that a request not sent for want of credentials is told
// by type: the transport's error for that step has no type of its own
// (only its Op text).
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// markSource wraps a credential source so that its errors are
// *sourceError.
type markSource struct{ p aws.CredentialsProvider }

// Retrieve returns p's credentials, or its error as a *sourceError.
func (m markSource) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := m.p.Retrieve(ctx)
	if err != nil {
		return creds, &sourceError{err}
	}
	return creds, nil
}

// Name names the wrapped chain, for traces and messages.
func (m markSource) Name() string { return credentials.SourceDefault }

// isNoCredentials reports whether err is a request that was not sent
// because no credentials could be had.
func isNoCredentials(err error) bool {
	var se *sourceError
	return errors.As(err, &se)
}

// credentialFailure says, for an error of a request that was not sent
// because no credentials could be had, which source failed and what to
// check. ok is false for any other error. It reads the library's and the
// SDK's error types, never their text, and never names the request's URL
// as what failed.
func credentialFailure(err error) (msg string, ok bool) {
	var se *sourceError
	if !errors.As(err, &se) {
		return "", false
	}
	// From here on only the credential source's error is read: the
	// client's own *url.Error around it names the request's URL.
	err = se.err
	const lead = "could not get AWS credentials, so nothing was sent: "
	var (
		expired   *expiredError
		noProfile config.SharedConfigProfileNotExistError
		op        *smithy.OperationError
		chain     *credentials.ChainError
	)
	switch {
	case errors.As(err, &expired):
		return "the AWS credentials found are expired: " + describeSource(expired.source) + " gave credentials that expired at " +
			expired.expires.UTC().Format(time.RFC3339) + " (this machine's clock says " + expired.now.UTC().Format(time.RFC3339) +
			"). Check that source (" + checkSource(expired.source) + ") and this machine's clock; nothing was sent", true
	case errors.As(err, &noProfile):
		files := strings.Join(noProfile.Filename, " and ")
		if files == "" {
			files = sharedFiles()
		}
		return lead + "the profile " + strconv.Quote(noProfile.Profile) + " (--profile or AWS_PROFILE) is in neither " + strings.Replace(files, " or ", " nor ", 1) +
			". Check the profile's name, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE", true
	case containerFailed(err):
		endpoint, variable := containerEndpoint()
		return lead + "the container credentials endpoint " + endpoint + " (" + variable + ") " + failure(err) +
			". Check that what serves it is running (the ECS agent, the EKS Pod Identity agent, or amazon-ecs-local-container-endpoints on a workstation) " +
			"and that " + variable + " is right; unset it to use other credentials", true
	case errors.As(err, &op) && op.ServiceID == imds.ServiceID && strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true"):
		return "no AWS credentials found, so nothing was sent: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), " +
			"or AWS_PROFILE or --profile with a profile in " + sharedFiles() + ". No container endpoint is configured, and EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED=true)", true
	case errors.As(err, &op) && op.ServiceID == imds.ServiceID:
		var ne net.Error
		endpoint := imdsEndpoint()
		if errors.As(op.Err, &ne) {
			return "no AWS credentials found, so nothing was sent: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), " +
				"or AWS_PROFILE or --profile with a profile in " + sharedFiles() + ". No container endpoint is configured, and the EC2 instance metadata service " +
				endpoint + " " + failure(op.Err) + " (not on EC2? AWS_EC2_METADATA_DISABLED=true skips it; in a container on EC2, check the instance's hop limit)", true
		}
		return lead + "the EC2 instance metadata service " + endpoint + " gave no role credentials (" + failure(op.Err) +
			"). Check that the instance has an IAM role (an instance profile)", true
	case errors.As(err, &op) && (op.ServiceID == "STS" || op.ServiceID == "SSO" || op.ServiceID == "SSO OIDC"):
		return lead + op.ServiceID + " refused the " + op.OperationName + " call that the profile or web identity settings make (" + failure(op.Err) +
			"). Check the role ARN and its trust policy, the web identity token file, or run aws sso login", true
	case errors.As(err, &chain):
		return lead + oneLine(describe(chain)), true
	}
	return lead + oneLine(describe(err)), true
}

// containerFailed reports whether err is the SDK chain's failure to get
// credentials from the container endpoint: the chain uses it when neither
// keys, web identity nor a profile are set in the environment and one of
// its variables is, and the error is the request to its URL (a *url.Error
// for that URL) or its HTTP answer (an error with a status and no SDK
// operation around it, as the endpoint client returns).
func containerFailed(err error) bool {
	endpoint, _ := containerEndpoint()
	if endpoint == "" || os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != "" || os.Getenv("AWS_PROFILE") != "" {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		e, _ := url.Parse(endpoint)
		return perr == nil && e != nil && u.Host == e.Host
	}
	var op *smithy.OperationError
	var status interface{ HTTPStatusCode() int }
	return !errors.As(err, &op) && errors.As(err, &status)
}

// sharedFiles names the shared config and credentials files the SDK reads.
func sharedFiles() string {
	cfg, creds := os.Getenv("AWS_CONFIG_FILE"), os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if cfg == "" {
		cfg = "~/.aws/config"
	}
	if creds == "" {
		creds = "~/.aws/credentials"
	}
	return cfg + " or " + creds
}

// failure says how a request to a credential source failed, from its
// error's type.
func failure(err error) string {
	var ne net.Error
	var status interface{ HTTPStatusCode() int }
	var opErr *net.OpError
	switch {
	case errors.As(err, &status):
		return "answered HTTP " + strconv.Itoa(status.HTTPStatusCode())
	case errors.As(err, &ne) && ne.Timeout():
		return "did not answer in time"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "did not answer (" + rootCause(opErr) + ")"
	}
	return "failed (" + oneLine(rootCause(err)) + ")"
}

// describeSource names a credential source by the name its credentials
// carry.
func describeSource(source string) string {
	switch source {
	case credentials.SourceIMDS:
		return "the EC2 instance metadata service " + imdsEndpoint()
	case credentials.SourceContainer:
		endpoint, variable := containerEndpoint()
		return "the container credentials endpoint " + endpoint + " (" + variable + ")"
	case credentials.SourceEnv:
		return "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)"
	case "":
		return "the credential chain"
	}
	return "the credential source " + source
}

// checkSource says what to check for a source that gave expired
// credentials.
func checkSource(source string) string {
	switch source {
	case credentials.SourceIMDS:
		return "the instance metadata service should hand out fresh role credentials well before they expire"
	case credentials.SourceContainer:
		return "the agent serving the endpoint should hand out fresh credentials"
	case credentials.SourceEnv:
		return "export new keys"
	}
	return "refresh the profile's credentials, for example with aws sso login or a new session token"
}

// containerEndpoint is the container credentials URL the SDK uses, without
// query or user information, and the variable it comes from.
func containerEndpoint() (endpoint, variable string) {
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		return "http://169.254.170.2" + redact.URL("/"+strings.TrimPrefix(rel, "/")), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
	}
	return redact.URL(os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")), "AWS_CONTAINER_CREDENTIALS_FULL_URI"
}

// imdsEndpoint is the instance metadata address the SDK uses.
func imdsEndpoint() string {
	if e := os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"); e != "" {
		return redact.URL(e) + " (AWS_EC2_METADATA_SERVICE_ENDPOINT)"
	}
	return "http://169.254.169.254"
}
