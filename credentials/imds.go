package credentials

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// IMDSProvider retrieves the instance role's credentials from the EC2
// instance metadata service, through aws-sdk-go-v2's ec2rolecreds and imds
// client: IMDSv2 (a session token first), falling back to IMDSv1 only when
// the token request is refused and AWS_EC2_METADATA_V1_DISABLED is not true.
// It honours AWS_EC2_METADATA_DISABLED and AWS_EC2_METADATA_SERVICE_ENDPOINT.
// Each request is tried once with the SDK's short timeouts (250 ms to
// connect, 500 ms for the response), so that outside EC2 it fails fast;
// retries belong to the [Cache]. Create one with [NewIMDS].
type IMDSProvider struct {
	newClient func() *imds.Client
}

// NewIMDS returns a provider for the EC2 instance role. It does no I/O until
// credentials are retrieved.
func NewIMDS() *IMDSProvider {
	return &IMDSProvider{newClient: newIMDSClient}
}

func newIMDSClient() *imds.Client {
	return imds.New(imds.Options{
		Retryer:        aws.NopRetryer{},
		EnableFallback: imdsV1Fallback(),
		HTTPClient:     limitedClient{imdsHTTPClient},
	})
}

// imdsHTTPClient has the SDK's own fail-fast timeouts for IMDS (which it
// applies only to a client it builds itself): 250 ms to connect, 500 ms
// for the response headers, which a container behind a hop limit of 1
// never gets.
var imdsHTTPClient = awshttp.NewBuildableClient().
	WithDialerOptions(func(d *net.Dialer) { d.Timeout = 250 * time.Millisecond }).
	WithTransportOptions(func(tr *http.Transport) { tr.ResponseHeaderTimeout = 500 * time.Millisecond })

// imdsTimeout bounds one retrieval from IMDS, whatever the caller's
// deadline: the SDK applies its own 5 s bound only to a context without a
// deadline, so a Cache's 30 s fetch deadline would switch it off.
const imdsTimeout = 5 * time.Second

func imdsV1Fallback() aws.Ternary {
	if strings.EqualFold(os.Getenv("AWS_EC2_METADATA_V1_DISABLED"), "true") {
		return aws.FalseTernary
	}
	return aws.TrueTernary
}

// Name returns [SourceIMDS].
func (p *IMDSProvider) Name() string { return SourceIMDS }

// Retrieve fetches the instance role's credentials. With
// AWS_EC2_METADATA_DISABLED=true the error wraps [ErrNotConfigured].
func (p *IMDSProvider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		return aws.Credentials{}, notConfigured(SourceIMDS, "disabled by AWS_EC2_METADATA_DISABLED=true")
	}
	// The SDK client reads the endpoint and fallback settings when it is
	// created, so one is made per retrieval (no I/O; retrievals are rare
	// behind a Cache).
	prov := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = p.newClient() })
	ctx, cancel := context.WithTimeout(ctx, imdsTimeout)
	defer cancel()
	creds, err := prov.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, &ProviderError{Source: SourceIMDS, Problem: imdsProblem(ctx, err), Err: err}
	}
	creds.Source = SourceIMDS
	return creds, nil
}

// imdsProblem says what an IMDS failure most likely means. ctx is the
// retrieval's context, to tell a caller's cancellation from a timeout.
func imdsProblem(ctx context.Context, err error) string {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return "the retrieval was cancelled or ran out of time"
	case errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded):
		return "the instance metadata service did not answer in time. Outside EC2 this is expected " +
			"(set AWS_EC2_METADATA_DISABLED=true to skip it); in a container on EC2 the IMDSv2 " +
			"response may be dropped by the instance's hop limit: raise it to 2 " +
			"(aws ec2 modify-instance-metadata-options --http-put-response-hop-limit 2)"
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return "the instance metadata service is not reachable (not on EC2?)"
	}
	switch httpStatus(err) {
	case 404:
		return "the instance has no IAM role attached; attach an instance profile"
	case 401:
		return "the instance metadata service rejected the IMDSv2 token; the next retrieval gets a new one"
	}
	return "cannot get the instance role's credentials"
}

// httpStatus returns the HTTP status of an SDK error, or 0. The imds
// client's retryableError has no Unwrap, which hides the response error
// from errors.As; then the status is read from the SDK's message, the only
// place it is left.
func httpStatus(err error) int {
	var se interface{ HTTPStatusCode() int }
	if errors.As(err, &se) {
		return se.HTTPStatusCode()
	}
	const marker = "StatusCode: "
	msg := err.Error()
	if i := strings.Index(msg, marker); i >= 0 && len(msg) >= i+len(marker)+3 {
		if n, err := strconv.Atoi(msg[i+len(marker) : i+len(marker)+3]); err == nil {
			return n
		}
	}
	return 0
}
