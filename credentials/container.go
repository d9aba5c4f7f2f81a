package credentials

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

// Container-endpoint addresses that are accepted over plain http, besides
// loopback: the ECS task metadata address and the EKS Pod Identity agent.
const (
	ecsEndpointHost = "169.254.170.2"
	eksEndpointV4   = "169.254.170.23"
	eksEndpointV6   = "fd00:ec2::23"
)

// containerTimeout bounds one request to the container endpoint. The agent
// runs on the same host, so a healthy one answers in milliseconds.
const containerTimeout = 5 * time.Second

// newContainerRetryer retries a failed request once, after at most a
// second: enough for an agent that is restarting, and short, since a Cache
// retries again in the background. Each retrieval gets its own, without a
// retry quota: the SDK's standard quota, shared, stayed empty after an
// outage and hid its real cause behind "retry quota exceeded".
func newContainerRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.MaxBackoff = time.Second
		o.RateLimiter = ratelimit.None
	})
}

// ContainerProvider retrieves credentials from the ECS, Fargate or EKS Pod
// Identity container endpoint, through aws-sdk-go-v2's endpointcreds. It
// reads its settings from the environment at each Retrieve:
//
//   - AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: a path on 169.254.170.2 (ECS,
//     Fargate);
//   - else AWS_CONTAINER_CREDENTIALS_FULL_URI: a URL, accepted only for a
//     loopback address, 169.254.170.2, 169.254.170.23, fd00:ec2::23, or
//     https (EKS Pod Identity);
//   - AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, re-read at every retrieval,
//     or else AWS_CONTAINER_AUTHORIZATION_TOKEN: the Authorization header.
//
// The endpoint answers with JSON:
//
//	{"AccessKeyId": "ASIA...", "SecretAccessKey": "...", "Token": "...", "Expiration": "2026-11-22T12:00:00Z"}
//
// Create one with [NewContainer].
type ContainerProvider struct {
	client endpointcreds.HTTPClient
}

// NewContainer returns a provider for the container credential endpoint. It
// does no I/O until credentials are retrieved.
func NewContainer() *ContainerProvider {
	return &ContainerProvider{client: limitedClient{awshttp.NewBuildableClient().WithTimeout(containerTimeout)}}
}

// Name returns [SourceContainer].
func (p *ContainerProvider) Name() string { return SourceContainer }

// Retrieve fetches credentials from the container endpoint. Without either
// URI variable the error wraps [ErrNotConfigured].
func (p *ContainerProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	endpoint, err := containerEndpoint()
	if err != nil {
		return aws.Credentials{}, err
	}
	prov := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		o.HTTPClient = p.client
		o.Retryer = newContainerRetryer()
		o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(containerToken)
	})
	creds, err := prov.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &ProviderError{Source: SourceContainer, Problem: "the container endpoint " + redact.URL(endpoint) + " gave no credentials", Err: err}
	}
	creds.Source = SourceContainer
	return creds, nil
}

func containerEndpoint() (string, error) {
	if rel := os.Getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
		if !strings.HasPrefix(rel, "/") {
			rel = "/" + rel
		}
		return "http://" + ecsEndpointHost + rel, nil
	}
	full := os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
	if full == "" {
		return "", notConfigured(SourceContainer, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set")
	}
	u, err := url.Parse(full)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", &ProviderError{Source: SourceContainer, Problem: "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http or https URL"}
	}
	if u.Scheme == "https" || allowedContainerHost(u.Hostname()) {
		return full, nil
	}
	return "", &ProviderError{Source: SourceContainer, Problem: "AWS_CONTAINER_CREDENTIALS_FULL_URI names host " + u.Hostname() +
		" over http; only loopback, " + ecsEndpointHost + ", " + eksEndpointV4 + " and " + eksEndpointV6 + " are allowed without https"}
}

func allowedContainerHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	return ip.IsLoopback() || ip.Equal(net.ParseIP(ecsEndpointHost)) || ip.Equal(net.ParseIP(eksEndpointV4)) || ip.Equal(net.ParseIP(eksEndpointV6))
}

// containerToken returns the authorization token, re-reading the token file
// each time (EKS Pod Identity rotates it).
func containerToken() (string, error) {
	if file := os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", &ProviderError{Source: SourceContainer, Problem: "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", Err: err}
		}
		return checkToken(strings.TrimSpace(string(b)))
	}
	return checkToken(os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
}

func checkToken(tok string) (string, error) {
	if strings.ContainsAny(tok, "\r\n") {
		return "", &ProviderError{Source: SourceContainer, Problem: "the container authorization token holds a line break"}
	}
	return tok, nil
}
