package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

// rieInstall installs the Lambda Runtime Interface Emulator, as .ci/run does: the
// Go module proxy serves it as a pseudo-version.
const rieInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestUnderLambdaRuntimeEmulator builds the function as Lambda runs it
// (bootstrap, -tags lambda.norpc), runs it under AWS's Runtime Interface
// Emulator with the environment Lambda sets (the role's temporary keys
// with their session token, AWS_REGION), invokes it over loopback as curl
// would, and checks that the verifying endpoint accepted its signed
// request, session token included, and that the document arrived.
func TestUnderLambdaRuntimeEmulator(t *testing.T) {
	rie := testenv.Tool(t, "aws-lambda-rie", rieInstall)
	dir := t.TempDir()
	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bootstrap, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e, err := demo.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	invokeAddr, runtimeAddr := freePort(t), freePort(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", invokeAddr, "--runtime-api-address", runtimeAddr, bootstrap)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_ACCESS_KEY_ID=" + demo.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + demo.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + demo.SessionToken, "AWS_REGION=" + demo.Region,
		"AWS_LAMBDA_FUNCTION_NAME=index-events", "AWS_LAMBDA_FUNCTION_TIMEOUT=30",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"),
		"OPENSEARCH_ENDPOINT=" + e.URL, "OPENSEARCH_INDEX=orders",
	}
	var logs testenv.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()

	event := `{"order":"A-7","item":"抹茶","qty":3}`
	url := "http://" + invokeAddr + "/2015-03-31/functions/function/invocations"
	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Post(url, "application/json", bytes.NewReader([]byte(event)))
		if err == nil {
			body, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("invoke: %s %s\n%s", res.Status, body, logs.String())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not answer at %s: %v\n%s", url, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	var got Result
	if err := json.Unmarshal(body, &got); err != nil || got.Index != "orders" || got.Result != "created" || got.ID == "" {
		t.Fatalf("the function returned %s (%v)\n%s", body, err, logs.String())
	}
	if doc, ok := e.Store.Doc("orders", got.ID); !ok || string(doc) != event {
		t.Errorf("stored %q, want the event", doc)
	}
	if e.Verifier.Accepted() != 1 || e.Verifier.Rejected() != 0 {
		t.Errorf("the endpoint accepted %d and rejected %d requests, want 1 and 0", e.Verifier.Accepted(), e.Verifier.Rejected())
	}
	t.Logf("invoked %s with %s: %s", url, event, bytes.TrimSpace(body))
}
