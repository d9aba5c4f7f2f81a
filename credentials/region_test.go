package credentials

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseEndpoint(t *testing.T) {
	cases := []struct {
		in      string
		region  string
		service string
	}{
		{"https://search-my-domain-abc123xyz.ap-northeast-1.es.amazonaws.com", "ap-northeast-1", "es"},
		{"https://vpc-logs-abc123.us-east-1.es.amazonaws.com:443/_search", "us-east-1", "es"},
		{"search-d-x.cn-north-1.es.amazonaws.com.cn", "cn-north-1", "es"},
		{"https://abc123def.eu-west-1.aoss.amazonaws.com", "eu-west-1", "aoss"},
		{"ABC123.US-WEST-2.AOSS.AMAZONAWS.COM", "us-west-2", "aoss"},
		{"xyz.cn-northwest-1.aoss.amazonaws.com.cn", "cn-northwest-1", "aoss"},
		{"search-gov-x.us-gov-west-1.es.amazonaws.com.", "us-gov-west-1", "es"},
		{"http://localhost:9200", "", ""},
		{"es.amazonaws.com", "", ""},
		{"us-east-1.es.amazonaws.com", "", ""},
		{"search-x.not-a-region.es.amazonaws.com", "", ""},
		{"search-x.us-east-1.es.amazonaws.com.evil.example", "", ""},
		{"s3.us-east-1.amazonaws.com", "", ""},
		{"://bad", "", ""},
	}
	for _, c := range cases {
		e, ok := ParseEndpoint(c.in)
		if ok != (c.region != "") || e.Region != c.region || e.Service != c.service {
			t.Errorf("ParseEndpoint(%q) = %+v, %v; want %q %q", c.in, e, ok, c.region, c.service)
		}
	}
}

func TestResolveRegionOrder(t *testing.T) {
	ctx := context.Background()
	f := newFakeIMDS(t) // placement region ap-northeast-1
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[default]\nregion = eu-central-1\n[profile other]\nregion = sa-east-1\n"), 0o600)

	endpoint := "https://search-d-x.us-west-2.es.amazonaws.com"
	opts := func(region string) func(*RegionOptions) {
		return func(o *RegionOptions) { o.Region, o.Endpoint = region, endpoint }
	}
	check := func(want, source string, fn func(*RegionOptions)) {
		t.Helper()
		r, err := ResolveRegion(ctx, fn)
		if err != nil || r.Name != want || r.Source != source {
			t.Errorf("got %+v, %v; want %s from %s", r, err, want, source)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "us-east-2")
	check("ca-central-1", "option", opts("ca-central-1"))
	// The AWS host name beats the environment: on Lambda, AWS_REGION is
	// the function's region, not necessarily the domain's.
	check("us-west-2", "endpoint", opts(""))
	check("us-east-1", "AWS_REGION", func(o *RegionOptions) { o.Endpoint = "http://localhost:9200" })
	t.Setenv("AWS_REGION", "")
	check("us-east-2", "AWS_DEFAULT_REGION", func(o *RegionOptions) {})
	t.Setenv("AWS_DEFAULT_REGION", "")
	check("eu-central-1", "shared config", func(o *RegionOptions) {})
	check("sa-east-1", "shared config", func(o *RegionOptions) { o.Profile = "other" })
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "absent"))
	if f.Tokens.Load() != 0 {
		t.Fatal("IMDS was asked although an earlier source had the region")
	}
	check("ap-northeast-1", "EC2 instance metadata", func(o *RegionOptions) {})
}

func TestResolveRegionNoneFound(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", closedEndpoint)
	_, err := ResolveRegion(context.Background(), func(o *RegionOptions) { o.Endpoint = "http://localhost:9200" })
	var re *RegionError
	if !errors.As(err, &re) || len(re.Tried) != 5 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"set the Region option or AWS_REGION", "AWS_REGION: not set", "AWS_DEFAULT_REGION: not set", "endpoint http://localhost:9200: not an Amazon OpenSearch Service host name", "shared config profile default: not found", "EC2 instance metadata: the instance metadata service is not reachable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	_, err = ResolveRegion(context.Background(), func(o *RegionOptions) { o.DisableIMDS = true })
	if err == nil || !strings.Contains(err.Error(), "EC2 instance metadata: disabled") {
		t.Errorf("DisableIMDS: %v", err)
	}
}

// TestRegionLookupCancelled: a lookup whose context is cancelled says so in
// a way errors.Is can see.
func TestRegionLookupCancelled(t *testing.T) {
	newFakeIMDS(t).Set(func(f *fakeIMDS) { f.Hang = 2 * time.Second })
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := ResolveRegion(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want errors.Is(err, context.Canceled)", err)
	}
}
