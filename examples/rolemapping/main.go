// Command rolemapping does the fine-grained access control steps through
// the signing transport: it reads who the cluster thinks the caller is,
// reads a role mapping, maps an IAM role ARN to that OpenSearch role as a
// backend role (keeping the users and backend roles already mapped, since
// the PUT replaces the mapping), and reads who the caller is again.
//
//	go run ./examples/rolemapping -endpoint https://search-mydomain-abc.eu-west-1.es.amazonaws.com \
//	    -role all_access -arn arn:aws:iam::123456789012:role/my-lambda-role
//
// Run it with the master user's credentials. Without -arn it maps the
// caller's own role. Without -endpoint it runs offline.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/opensearch-sigv4/sigv4/examples/internal/demo"
	"github.com/opensearch-sigv4/sigv4/transport"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rolemapping:", err)
		os.Exit(1)
	}
}

// mapping is a role mapping of the security plugin.
type mapping struct {
	BackendRoles    []string `json:"backend_roles"`
	Hosts           []string `json:"hosts"`
	Users           []string `json:"users"`
	AndBackendRoles []string `json:"and_backend_roles,omitempty"`
	Description     string   `json:"description,omitempty"`
}

type authinfo struct {
	UserName     string   `json:"user_name"`
	BackendRoles []string `json:"backend_roles"`
	Roles        []string `json:"roles"`
}

type api struct {
	client   *http.Client
	endpoint string
}

func (a api) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.endpoint+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusForbidden {
		return transport.Diagnose(res)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", method, path, res.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rolemapping", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "domain URL; empty runs offline")
	role := fs.String("role", "all_access", "the OpenSearch role to map to")
	arn := fs.String("arn", "", "the IAM role ARN to map; empty means the caller's")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Without -endpoint: a local verifying endpoint and demo keys.
	opts, stop, err := demo.Target(endpoint)
	if err != nil {
		return err
	}
	defer stop()
	tr, err := transport.New(opts...)
	if err != nil {
		return err
	}
	a := api{client: &http.Client{Transport: tr}, endpoint: *endpoint}

	var who authinfo
	if err := a.do(ctx, "GET", "/_plugins/_security/authinfo", nil, &who); err != nil {
		return err
	}
	fmt.Fprintf(out, "1. authinfo: user %s, backend roles %v, roles %v\n", who.UserName, who.BackendRoles, who.Roles)
	if *arn == "" {
		if len(who.BackendRoles) == 0 {
			return fmt.Errorf("the cluster reports no backend role for the caller; pass -arn")
		}
		*arn = who.BackendRoles[0]
	}

	path := "/_plugins/_security/api/rolesmapping/" + url.PathEscape(*role)
	var current map[string]mapping
	if err := a.do(ctx, "GET", path, nil, &current); err != nil {
		return err
	}
	m := current[*role]
	fmt.Fprintf(out, "2. mapping of %s: users %v, backend roles %v\n", *role, m.Users, m.BackendRoles)

	if slices.Contains(m.BackendRoles, *arn) {
		fmt.Fprintf(out, "3. %s is already mapped to %s\n", *arn, *role)
	} else {
		m.BackendRoles = append(m.BackendRoles, *arn) // keep what is there: PUT replaces the mapping
		if m.Hosts == nil {
			m.Hosts = []string{}
		}
		if m.Users == nil {
			m.Users = []string{}
		}
		var st struct{ Status, Message string }
		if err := a.do(ctx, "PUT", path, m, &st); err != nil {
			return err
		}
		fmt.Fprintf(out, "3. mapped %s to %s (kept users %v): %s %s\n", *arn, *role, m.Users, st.Status, strings.TrimSpace(st.Message))
	}

	if err := a.do(ctx, "GET", "/_plugins/_security/authinfo", nil, &who); err != nil {
		return err
	}
	fmt.Fprintf(out, "4. authinfo: user %s, roles %v\n", who.UserName, who.Roles)
	return nil
}
