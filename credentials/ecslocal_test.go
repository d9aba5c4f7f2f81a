package credentials

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// AWS's ECS local container endpoints
// (github.com/awslabs/amazon-ecs-local-container-endpoints): what ECS
// developers run on a workstation in place of the ECS agent's credentials
// endpoint. The module proxy serves v1.4.2 but not its version list, so
// "go install ...@v1.4.2" fails; .ci/run builds it from the downloaded
// module instead.
const ecsLocalInstall = "d=$(GOFLAGS= go mod download -json github.com/awslabs/amazon-ecs-local-container-endpoints@v1.4.2 | sed -n 's/^[[:space:]]*\"Dir\": \"\\(.*\\)\",$/\\1/p') && " +
	"cp -r \"$d\" /tmp/ecs-local && chmod -R u+w /tmp/ecs-local && (cd /tmp/ecs-local && GOFLAGS= go build -o \"$(go env GOPATH)/bin/amazon-ecs-local-container-endpoints\" .)"

// TestContainerAgainstECSLocalEndpoints: the container provider, alone,
// behind a Cache and through the SDK default chain, against AWS's local
// ECS credentials endpoint serving the session credentials it was started
// with (its /creds path, which needs no call to AWS for temporary
// credentials).
func TestContainerAgainstECSLocalEndpoints(t *testing.T) {
	bin := testenv.Tool(t, "amazon-ecs-local-container-endpoints", ecsLocalInstall)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "ECS_LOCAL_METADATA_PORT=" + port,
		"AWS_ACCESS_KEY_ID=ASIAECSLOCALTEST0001", "AWS_SECRET_ACCESS_KEY=ecs-local-secret", "AWS_SESSION_TOKEN=ecs-local-token",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
	}
	var logs testenv.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://127.0.0.1:" + port + "/creds"
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ECS local endpoints did not answer at %s: %v\n%s", url, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url)
	ctx := context.Background()
	c, err := NewContainer().Retrieve(ctx)
	if err != nil || c.AccessKeyID != "ASIAECSLOCALTEST0001" || c.SecretAccessKey != "ecs-local-secret" || c.SessionToken != "ecs-local-token" ||
		c.Source != SourceContainer || !c.CanExpire || !c.Expires.After(time.Now()) {
		t.Fatalf("container provider: %s %s %v %v, %v\n%s", c.AccessKeyID, c.Source, c.CanExpire, c.Expires, err, logs.String())
	}
	if c, err := NewCache(NewContainer()).Retrieve(ctx); err != nil || c.AccessKeyID != "ASIAECSLOCALTEST0001" {
		t.Fatalf("cached container provider: %s, %v", c.AccessKeyID, err)
	}
	if c, err := NewDefaultChain().Retrieve(ctx); err != nil || c.AccessKeyID != "ASIAECSLOCALTEST0001" || c.Source != SourceContainer {
		t.Fatalf("SDK default chain: %s %s, %v", c.AccessKeyID, c.Source, err)
	}
	// The endpoint gone: the provider's error names it.
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := NewContainer().Retrieve(ctx); err == nil {
		t.Fatal("no error with the endpoint gone")
	} else if pe := (*ProviderError)(nil); !errors.As(err, &pe) || pe.Source != SourceContainer {
		t.Errorf("error %v, want a *ProviderError from %s", err, SourceContainer)
	}
}
