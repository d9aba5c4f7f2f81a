package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// TestProxyStartsWithOneMinuteContainerCredentials: `sigv4 proxy` whose
// only credentials come from a container endpoint (EKS Pod Identity, an
// ECS test setup) that hands out credentials living 60 seconds starts,
// and signs with them. Before, aws-sdk-go-v2's five-minute expiry window
// made them look expired on arrival, and the proxy refused to start with
// "no AWS credentials found ... expired at" a time five minutes before the
// endpoint's own Expiration.
func TestProxyStartsWithOneMinuteContainerCredentials(t *testing.T) {
	e := start(t)
	creds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{
			"AccessKeyId": testKeyID, "SecretAccessKey": testSecret, "Token": testToken,
			"Expiration": time.Now().Add(time.Minute).UTC().Format(time.RFC3339),
		})
	}))
	t.Cleanup(creds.Close)

	addr := freeAddr(t)
	cmd := exec.Command(bin, "proxy", "--listen", addr, "--region", testRegion, e.URL)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + creds.URL + "/v2/credentials/pod-role",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
	}
	logs := &testenv.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
		if strings.Contains(logs.String(), testSecret) || strings.Contains(logs.String(), testToken) {
			t.Error("the proxy's log shows a secret")
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the proxy exited (%v):\n%s", err, logs)
		default:
		}
		if res, err := http.Get(url + "/_sigv4/health"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy did not start:\n%s", logs)
		}
	}
	res, err := http.Get(url + "/_cat/indices")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET through the proxy: %v %v\n%s", res, err, logs)
	}
	res.Body.Close()
	if e.Verifier.Accepted() != 1 || e.Verifier.Rejected() != 0 {
		t.Errorf("accepted %d, rejected %d", e.Verifier.Accepted(), e.Verifier.Rejected())
	}
}
