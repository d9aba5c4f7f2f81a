// The region and service a request is signed for, and where each came from
// (DESIGN.md, "Region and service").

package transport

import (
	"context"
	"net"
	"net/http"
	"net/url"

	"github.com/opensearch-sigv4/sigv4/credentials"
	"github.com/opensearch-sigv4/sigv4/internal/redact"
	"github.com/opensearch-sigv4/sigv4/internal/region"
)

// settleScope fixes the region and service for an endpoint known at
// construction, without network I/O: an explicit region or service that
// contradicts the endpoint's AWS host name is reported here, at once.
func (t *Transport) settleScope(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return &Error{Op: "configure", Err: &ConfigError{Option: "Endpoint", Value: redact.URL(endpoint), Problem: "is not a URL such as https://search-mydomain-abc.us-east-1.es.amazonaws.com"}}
	}
	host := t.host
	if host == "" {
		host = u.Host
	}
	sc, err := t.resolveScope(context.Background(), host, false)
	if err != nil {
		return &Error{Op: "configure", Err: err}
	}
	t.settled = &sc
	return nil
}

// signingHost is the host r is signed for, which decides its scope: the
// SigningHost option, else the request's Host, else its URL's host.
func (t *Transport) signingHost(r *http.Request) string {
	switch {
	case t.host != "":
		return t.host
	case r.Host != "":
		return r.Host
	}
	return r.URL.Host
}

// scopeInfo is the region and service signed for, and where each came
// from, for messages and diagnoses.
type scopeInfo struct {
	region, regionFrom   string
	service, serviceFrom string
}

// hostScope is a memo of the scope of one host.
type hostScope struct {
	host string
	sc   scopeInfo
}

// scope returns the region and service to sign for a request to host.
func (t *Transport) scope(ctx context.Context, host string) (scopeInfo, error) {
	if t.settled != nil {
		return *t.settled, nil
	}
	if m := t.lastScope.Load(); m != nil && m.host == host {
		return m.sc, nil
	}
	sc, err := t.resolveScope(ctx, host, true)
	if err != nil {
		return sc, err
	}
	t.lastScope.Store(&hostScope{host, sc})
	return sc, nil
}

// resolveScope finds the region and service for host. The region comes in
// the order region.Resolve owns (DESIGN.md, "Region and service"): the
// Region option, an AWS host name (which AWS holds the signature to),
// AWS_REGION and AWS_DEFAULT_REGION as New read them, then the shared
// config and, when lookup is set, the instance's placement, looked up once
// (lookupRegion). An option that contradicts an AWS host name is an error:
// AWS would refuse every request.
func (t *Transport) resolveScope(ctx context.Context, host string, lookup bool) (scopeInfo, error) {
	var sc scopeInfo
	ep, fromHost := credentials.ParseEndpoint(host)
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	switch {
	case t.service != "" && fromHost && t.service != ep.Service:
		return sc, &ScopeError{Option: "Service", Value: t.service, Host: name, HostSays: ep.Service}
	case t.service != "":
		sc.service, sc.serviceFrom = t.service, "the Service option (sigv4 --service)"
	case fromHost:
		sc.service, sc.serviceFrom = ep.Service, "the host name "+name
	default:
		sc.service, sc.serviceFrom = "es", "the default"
	}
	if t.region != "" && fromHost && t.region != ep.Region {
		return sc, &ScopeError{Option: "Region", Value: t.region, Host: name, HostSays: ep.Region}
	}
	r, src, from, err := region.Resolve(ctx, region.Places{
		Explicit:     t.region,
		Endpoint:     host,
		ParseHost:    func(string) (string, bool) { return ep.Region, fromHost },
		ShowEndpoint: func(string) string { return name },
		Getenv:       t.getenv,
		Lookup: func(ctx context.Context, _ []string) (string, string, error) {
			r, err := t.lookupRegion(ctx, lookup)
			return r.Name, r.Source, err
		},
	})
	if err != nil {
		if !lookup {
			return sc, &ConfigError{Option: "Region", Problem: "is not set, and " + name + " is not an Amazon OpenSearch Service host name, which would name the region: " +
				"set it (or AWS_REGION), and the service too if it is not \"es\""}
		}
		return sc, err
	}
	sc.region, sc.regionFrom = r, from
	switch src {
	case region.Explicit:
		sc.regionFrom = "the Region option (sigv4 --region)"
	case region.Host:
		sc.regionFrom = "the host name " + name
	}
	return sc, nil
}

// getenv reads the environment as New found it: AWS_REGION, else
// AWS_DEFAULT_REGION, read once.
func (t *Transport) getenv(v string) string {
	if v == t.envRegionFrom {
		return t.envRegion
	}
	return ""
}

// lookupRegion resolves the region from the shared config or, with imds,
// the instance metadata once, and caches it. A failure is not cached.
func (t *Transport) lookupRegion(ctx context.Context, imds bool) (credentials.Region, error) {
	t.regionMu.Lock()
	defer t.regionMu.Unlock()
	if t.resolvedRegion.Name != "" {
		return t.resolvedRegion, nil
	}
	r, err := credentials.ResolveRegion(ctx, func(o *credentials.RegionOptions) { o.DisableIMDS = !imds })
	if err != nil {
		return r, &Error{Op: "resolve the region", Err: err}
	}
	t.resolvedRegion = r
	return r, nil
}
