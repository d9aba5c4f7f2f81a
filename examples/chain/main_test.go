package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSettings(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"explicit keys given to the program\n  chain: credentials.Chain(StaticCredentials > EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)\n  won: StaticCredentials (key AKIAEXPL..., expires: false)",
		"AWS Lambda (the runtime sets the environment)\n  chain: credentials.Chain(EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)\n  won: EnvConfigCredentials (key ASIALAMB..., expires: false)",
		"ECS or Fargate task (container endpoint)\n  chain: credentials.Chain(EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)\n  won: CredentialsEndpointProvider (key ASIATASK..., expires: true)",
		"EC2 instance (instance metadata, IMDSv2)\n  chain: credentials.Chain(EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)\n  won: EC2RoleProvider (key ASIAINST..., expires: true)",
		"nothing configured\n  chain: credentials.Chain(EnvConfigCredentials > CredentialsEndpointProvider > EC2RoleProvider)\n  no credentials:\n    EnvConfigCredentials: not used\n    CredentialsEndpointProvider: not used\n    EC2RoleProvider: not used",
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks\n%s\n--- got:\n%s", w, out.String())
		}
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") != "" || os.Getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" {
		t.Error("the environment was not restored")
	}
}

func TestHere(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-here"}, &out); err != nil || !strings.Contains(out.String(), "this machine\n") {
		t.Errorf("%v\n%s", err, out.String())
	}
}
