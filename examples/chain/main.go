// Command chain shows the order in which credentials are looked for:
// explicit keys > environment (AWS Lambda) > container endpoint (ECS,
// Fargate, EKS Pod Identity) > EC2 instance metadata, and which source wins
// in each setting. Local servers stand in for the container endpoint and
// the metadata service.
//
//	go run ./examples/chain          # the settings, simulated
//	go run ./examples/chain -here    # the chain on this machine
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/opensearch-sigv4/sigv4/credentials"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chain:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("chain", flag.ContinueOnError)
	here := fs.Bool("here", false, "run the chain on this machine instead of the simulated settings")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *here {
		report(ctx, out, "this machine", credentials.NewChain(credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS()))
		return nil
	}

	creds := func(key string) string {
		return fmt.Sprintf(`{"Code":"Success","AccessKeyId":%q,"SecretAccessKey":"s","Token":"t","Expiration":%q}`,
			key, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	}
	container := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, creds("ASIATASKROLE00000001"))
	}))
	defer container.Close()
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/latest/api/token":
			io.WriteString(w, "imds-token")
		case "/latest/meta-data/iam/security-credentials/":
			io.WriteString(w, "instance-role")
		case "/latest/meta-data/iam/security-credentials/instance-role":
			io.WriteString(w, creds("ASIAINSTANCEROLE0001"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer imds.Close()

	settings := []struct {
		name   string
		static [2]string
		env    map[string]string
	}{
		{"explicit keys given to the program", [2]string{"AKIAEXPLICIT00000001", "secret"}, map[string]string{"AWS_ACCESS_KEY_ID": "AKIALAMBDA0000000001", "AWS_SECRET_ACCESS_KEY": "s"}},
		{"AWS Lambda (the runtime sets the environment)", [2]string{}, map[string]string{"AWS_ACCESS_KEY_ID": "ASIALAMBDA0000000001", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t",
			"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.URL}},
		{"ECS or Fargate task (container endpoint)", [2]string{}, map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": container.URL + "/v2/credentials/task",
			"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}},
		{"EC2 instance (instance metadata, IMDSv2)", [2]string{}, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}},
		{"nothing configured", [2]string{}, map[string]string{"AWS_EC2_METADATA_DISABLED": "true"}},
	}
	vars := []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED"}
	saved := map[string]*string{}
	for _, v := range vars {
		if val, ok := os.LookupEnv(v); ok {
			saved[v] = &val
		} else {
			saved[v] = nil
		}
	}
	defer func() {
		for v, val := range saved {
			if val == nil {
				os.Unsetenv(v)
			} else {
				os.Setenv(v, *val)
			}
		}
	}()
	for _, s := range settings {
		for _, v := range vars {
			os.Unsetenv(v)
		}
		for k, v := range s.env {
			os.Setenv(k, v)
		}
		report(ctx, out, s.name, staticFirst(s.static[0], s.static[1]))
	}
	return nil
}

func report(ctx context.Context, out io.Writer, setting string, chain *credentials.Chain) {
	fmt.Fprintf(out, "%s\n  chain: %v\n", setting, chain)
	c, err := chain.Retrieve(ctx)
	var ce *credentials.ChainError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintln(out, "  no credentials:")
		for _, a := range ce.Attempts {
			fmt.Fprintf(out, "    %s: not used\n", a.Source)
		}
	case err != nil:
		fmt.Fprintln(out, "  error:", err)
	default:
		fmt.Fprintf(out, "  won: %s (key %s..., expires: %v)\n", c.Source, c.AccessKeyID[:8], c.CanExpire)
	}
}

// staticFirst is the chain static keys (when given) > environment >
// container endpoint > EC2 instance metadata.
func staticFirst(accessKeyID, secretAccessKey string) *credentials.Chain {
	var ps []aws.CredentialsProvider
	if accessKeyID != "" || secretAccessKey != "" {
		ps = append(ps, credentials.NewStatic(accessKeyID, secretAccessKey, ""))
	}
	return credentials.NewChain(append(ps, credentials.NewEnv(), credentials.NewContainer(), credentials.NewIMDS())...)
}
