package credentials

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// AWS's own IMDS simulator, github.com/aws/amazon-ec2-metadata-mock: the
// IMDS provider, the SDK default chain and the region lookup run end to
// end against it. .ci/run installs it; the tests never install anything
// (they fail under CI=true without it, and skip elsewhere, naming the
// command).
const aemmInstall = "go install github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@v1.13.0"

func aemmBinary(t *testing.T) string {
	t.Helper()
	return testenv.Tool(t, "ec2-metadata-mock", aemmInstall)
}

// startAEMM runs the simulator on a free loopback port, requiring IMDSv2
// tokens, with config (JSON overriding its defaults; "" for none), and
// points AWS_EC2_METADATA_SERVICE_ENDPOINT at it.
func startAEMM(t *testing.T, config string) string {
	t.Helper()
	bin := aemmBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	args := []string{"-n", "127.0.0.1", "-p", port, "--imdsv2"}
	if config != "" {
		f := filepath.Join(t.TempDir(), "aemm.json")
		os.WriteFile(f, []byte(config), 0o600)
		args = append(args, "--config-file", f)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		req, _ := http.NewRequest("PUT", url+"/latest/api/token", nil)
		req.Header.Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "60")
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the IMDS simulator did not answer at %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "")
	return url
}

// aemmConfig gives the simulator's instance role credentials that expire
// in an hour.
func aemmConfig(expires time.Time) string {
	return `{"metadata":{"values":{"iam-security-credentials":{"Code":"Success","LastUpdated":"2026-11-22T00:00:00Z","Type":"AWS-HMAC",` +
		`"AccessKeyId":"ASIAAEMMSIMULATOR001","SecretAccessKey":"aemm-secret","Token":"aemm-session-token","Expiration":"` +
		expires.UTC().Format(time.RFC3339) + `"}}}}`
}

// TestIMDSAgainstAWSSimulator: the IMDS provider (IMDSv2, the simulator
// requiring tokens), the SDK default chain and the region lookup, against
// AWS's simulator.
func TestIMDSAgainstAWSSimulator(t *testing.T) {
	expires := time.Now().Add(time.Hour).Truncate(time.Second)
	startAEMM(t, aemmConfig(expires))
	ctx := context.Background()

	c, err := NewIMDS().Retrieve(ctx)
	if err != nil || c.AccessKeyID != "ASIAAEMMSIMULATOR001" || c.SessionToken != "aemm-session-token" || c.Source != SourceIMDS || !c.CanExpire || !c.Expires.Equal(expires) {
		t.Fatalf("IMDS provider: %s %v %v %v, %v", c.AccessKeyID, c.Source, c.CanExpire, c.Expires, err)
	}
	c, err = NewCache(NewIMDS()).Retrieve(ctx)
	if err != nil || c.AccessKeyID != "ASIAAEMMSIMULATOR001" {
		t.Fatalf("cached IMDS provider: %s, %v", c.AccessKeyID, err)
	}
	c, err = NewDefaultChain().Retrieve(ctx)
	if err != nil || c.AccessKeyID != "ASIAAEMMSIMULATOR001" || c.Source != SourceIMDS {
		t.Fatalf("SDK default chain: %s %s, %v", c.AccessKeyID, c.Source, err)
	}
	r, err := ResolveRegion(ctx)
	if err != nil || r.Name != "us-east-1" || r.Source != "EC2 instance metadata" {
		t.Fatalf("region: %+v, %v", r, err)
	}
}

// TestCacheRefusesSimulatorDefaults: the simulator's own default role
// credentials expired in 2020. The provider returns them as they are; the
// cache refuses them, naming the expiry and the clock to check, instead
// of signing requests AWS would refuse.
func TestCacheRefusesSimulatorDefaults(t *testing.T) {
	startAEMM(t, "")
	ctx := context.Background()
	c, err := NewIMDS().Retrieve(ctx)
	if err != nil || !c.CanExpire || c.Expires.Year() != 2020 {
		t.Fatalf("IMDS provider: %v %v, %v", c.CanExpire, c.Expires, err)
	}
	_, err = NewCache(NewIMDS()).Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), "returned credentials that expired at 2020-04-02T00:49:51Z") {
		t.Fatalf("cache: %v", err)
	}
}
