// Package region owns the order in which a region is looked for (DESIGN.md,
// "Region and service"), for credentials.ResolveRegion and the transport
// alike: each supplies its own places, and this package alone decides
// which comes first.
package region

import "context"

// Source is the kind of place a region was found in.
type Source int

// The places, in the order Resolve tries them.
const (
	// Explicit is a region the caller named (an option).
	Explicit Source = iota + 1
	// Host is an AWS host name (*.{region}.es.amazonaws.com and the like),
	// which AWS holds a signature to.
	Host
	// Env is AWS_REGION or, when that is not set, AWS_DEFAULT_REGION.
	Env
	// Lookup is what the caller looks up last: the shared config, then the
	// instance's placement.
	Lookup
)

// EnvVars are the environment variables Resolve reads, in order.
var EnvVars = [...]string{"AWS_REGION", "AWS_DEFAULT_REGION"}

// Places are the places a region may come from.
type Places struct {
	// Explicit, when not empty, is used as is.
	Explicit string
	// Endpoint is the URL or host of the domain or collection, or empty.
	Endpoint string
	// ParseHost returns the region an AWS host name in Endpoint names.
	ParseHost func(endpoint string) (region string, ok bool)
	// ShowEndpoint returns Endpoint as a message may show it.
	ShowEndpoint func(endpoint string) string
	// Getenv reads an environment variable.
	Getenv func(name string) string
	// Lookup looks in the last places (the shared config, the instance's
	// placement). tried lists, one line each, the places looked at before
	// it and why they gave nothing, for its error. It returns the region
	// and where it was found.
	Lookup func(ctx context.Context, tried []string) (name, from string, err error)
}

// Resolve returns the region and where it came from, in this order: the
// explicit region, an AWS host name in the endpoint, AWS_REGION,
// AWS_DEFAULT_REGION, then Lookup. from is "option" for Explicit,
// "endpoint" for Host, the variable's name for Env, and what Lookup says
// for Lookup. The error is Lookup's.
func Resolve(ctx context.Context, p Places) (name string, src Source, from string, err error) {
	if p.Explicit != "" {
		return p.Explicit, Explicit, "option", nil
	}
	var tried []string
	if p.Endpoint != "" {
		if r, ok := p.ParseHost(p.Endpoint); ok {
			return r, Host, "endpoint", nil
		}
		tried = append(tried, "endpoint "+p.ShowEndpoint(p.Endpoint)+": not an Amazon OpenSearch Service host name")
	} else {
		tried = append(tried, "endpoint: none given")
	}
	for _, v := range EnvVars {
		if r := p.Getenv(v); r != "" {
			return r, Env, v, nil
		}
		tried = append(tried, v+": not set")
	}
	name, from, err = p.Lookup(ctx, tried)
	return name, Lookup, from, err
}
