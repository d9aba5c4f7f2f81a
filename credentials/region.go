package credentials

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/internal/region"
)

// Endpoint is what a host name of Amazon OpenSearch Service tells.
type Endpoint struct {
	// Region, as in "ap-northeast-1".
	Region string
	// Service is "es" for a managed domain, "aoss" for a Serverless
	// collection.
	Service string
}

// endpointSuffixes maps the host-name suffixes of OpenSearch endpoints to
// their service; the label before the suffix is the region.
var endpointSuffixes = []struct{ suffix, service string }{
	{".es.amazonaws.com", "es"},
	{".es.amazonaws.com.cn", "es"},
	{".aoss.amazonaws.com", "aoss"},
	{".aoss.amazonaws.com.cn", "aoss"},
}

// ParseEndpoint reads the region and service from the host name of an
// Amazon OpenSearch Service domain (search-*.{region}.es.amazonaws.com,
// vpc-*.{region}.es.amazonaws.com) or Serverless collection
// (*.{region}.aoss.amazonaws.com), including the .amazonaws.com.cn forms.
// endpoint may be a URL or a bare host, with or without a port. ok is false
// for any other host.
func ParseEndpoint(endpoint string) (e Endpoint, ok bool) {
	host := endpoint
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return Endpoint{}, false
		}
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, s := range endpointSuffixes {
		rest, found := strings.CutSuffix(host, s.suffix)
		if !found {
			continue
		}
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 { // a name is needed before the region
			return Endpoint{}, false
		}
		if region := rest[i+1:]; looksLikeRegion(region) {
			return Endpoint{Region: region, Service: s.service}, true
		}
		return Endpoint{}, false
	}
	return Endpoint{}, false
}

// looksLikeRegion accepts names such as us-east-1, ap-northeast-1,
// us-gov-west-1, cn-north-1: lower-case words joined by '-', ending in a
// number.
func looksLikeRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			digit := '0' <= c && c <= '9'
			if i == len(parts)-1 && !digit || i < len(parts)-1 && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

// RegionOptions configure [ResolveRegion].
type RegionOptions struct {
	// Region, when not empty, is used as is.
	Region string
	// Endpoint is the URL or host of the domain or collection. An Amazon
	// OpenSearch Service host name is authoritative: AWS rejects a signature
	// for any other region, so it wins over the environment.
	Endpoint string
	// Profile names the shared-config profile to read; empty means
	// AWS_PROFILE, else "default".
	Profile string
	// DisableIMDS skips the instance metadata service.
	DisableIMDS bool
}

// Region is a resolved region and where it was found.
type Region struct {
	// Name, as in "us-east-1".
	Name string
	// Source says where it was found: "option", "AWS_REGION",
	// "AWS_DEFAULT_REGION", "endpoint", "shared config" or "EC2 instance
	// metadata".
	Source string
}

// RegionError is returned when no region can be found. It lists every
// place looked at.
type RegionError struct {
	// Tried has one line per place looked at, with why it gave no region.
	Tried []string
	// Err is the context's error when the lookup was cancelled or ran out
	// of time, so that errors.Is(err, context.Canceled) holds; else nil.
	Err error
}

// Unwrap returns Err.
func (e *RegionError) Unwrap() error { return e.Err }

// Error implements the error interface.
func (e *RegionError) Error() string {
	return "sigv4/credentials: no AWS region found; set the Region option or AWS_REGION. Looked at:\n  - " + strings.Join(e.Tried, "\n  - ")
}

// ResolveRegion finds the region, in this order: the Region option, the
// endpoint's host name (*.{region}.es.amazonaws.com and the like, which AWS
// holds a signature to), AWS_REGION, AWS_DEFAULT_REGION, the shared config
// profile, and the EC2 instance's placement (IMDS, tried once with short
// timeouts). It does network I/O only for the last, and only when all the
// others gave nothing. On Lambda, AWS_REGION is the function's own region,
// which need not be the domain's: the host name comes first.
func ResolveRegion(ctx context.Context, optFns ...func(*RegionOptions)) (Region, error) {
	var o RegionOptions
	for _, fn := range optFns {
		fn(&o)
	}
	name, _, from, err := region.Resolve(ctx, region.Places{
		Explicit: o.Region,
		Endpoint: o.Endpoint,
		ParseHost: func(endpoint string) (string, bool) {
			e, ok := ParseEndpoint(endpoint)
			return e.Region, ok
		},
		ShowEndpoint: redact.URL,
		Getenv:       os.Getenv,
		Lookup: func(ctx context.Context, tried []string) (string, string, error) {
			r, err := lookupRegion(ctx, o, tried)
			return r.Name, r.Source, err
		},
	})
	if err != nil {
		return Region{}, err
	}
	return Region{name, from}, nil
}

// lookupRegion is ResolveRegion's last places: the shared config profile,
// then the EC2 instance's placement. tried lists the places looked at
// before.
func lookupRegion(ctx context.Context, o RegionOptions, tried []string) (Region, error) {
	profile := o.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	if sc, err := config.LoadSharedConfigProfile(ctx, profile, sharedFiles); err == nil && sc.Region != "" {
		return Region{sc.Region, "shared config"}, nil
	} else if err != nil {
		tried = append(tried, "shared config profile "+profile+": not found")
	} else {
		tried = append(tried, "shared config profile "+profile+": has no region")
	}
	if o.DisableIMDS || strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		tried = append(tried, "EC2 instance metadata: disabled")
		return Region{}, &RegionError{Tried: tried}
	}
	ictx, cancel := context.WithTimeout(ctx, imdsTimeout)
	defer cancel()
	out, err := newIMDSClient().GetRegion(ictx, &imds.GetRegionInput{})
	if err == nil && out.Region != "" {
		return Region{out.Region, "EC2 instance metadata"}, nil
	}
	if err != nil && httpStatus(err) == 404 {
		tried = append(tried, "EC2 instance metadata: no placement region")
	} else if err != nil {
		tried = append(tried, "EC2 instance metadata: "+imdsProblem(ctx, err))
	} else {
		tried = append(tried, "EC2 instance metadata: empty placement region")
	}
	return Region{}, &RegionError{Tried: tried, Err: ctx.Err()}
}

// sharedFiles points the shared-config loader at AWS_CONFIG_FILE and
// AWS_SHARED_CREDENTIALS_FILE when they are set, as the SDK's default chain
// does (LoadSharedConfigProfile alone reads only the default locations).
func sharedFiles(o *config.LoadSharedConfigOptions) {
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		o.ConfigFiles = []string{f}
	}
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		o.CredentialsFiles = []string{f}
	}
}
