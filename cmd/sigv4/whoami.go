package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opensearch-sigv4/sigv4/internal/redact"
)

type authinfo struct {
	UserName     *string  `json:"user_name"`
	BackendRoles []string `json:"backend_roles"`
	Roles        []string `json:"roles"`
}

// whoami prints who the cluster thinks the caller is and, when the IAM
// principal is mapped to no OpenSearch role, how to map it.
func (c *cli) whoami(ctx context.Context, target *url.URL) int {
	base := &url.URL{Scheme: target.Scheme, Host: target.Host}
	const path = "/_plugins/_security/authinfo"
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base.String()+path, nil)
	req.Header.Set("User-Agent", "sigv4/"+version())
	res, err := c.client.Do(req)
	c.flushTrace()
	if err != nil {
		return c.failed(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return c.failed(err)
	}
	tok := sentToken(res)
	switch {
	case res.StatusCode == http.StatusNotFound || (res.StatusCode == http.StatusBadRequest && bytes.Contains(b, []byte("no handler found"))):
		fmt.Fprintf(c.stdout, "This domain has no fine-grained access control (%s answers %s): its access policy and the IAM policy of the principal that signs alone decide what it may do.\n", path, res.Status)
		return exitOK
	case res.StatusCode >= 400:
		if d := c.tr.DiagnosisFor(res.Header); d != nil {
			fmt.Fprintln(c.stderr, cliMessage(d))
		} else {
			c.errorf("GET %s: the server answered %s: %s", path, res.Status, redact.Secret(string(bytes.TrimSpace(b)), tok))
		}
		return exitHTTPError
	}
	var who authinfo
	if json.Unmarshal(b, &who) != nil || who.UserName == nil {
		c.errorf("the answer to GET %s is not OpenSearch's authinfo (is %s an OpenSearch endpoint?)", path, base)
		return exitFailure
	}
	fmt.Fprintf(c.stdout, "user:          %s\n", *who.UserName)
	fmt.Fprintf(c.stdout, "backend roles: %s\n", listOrNone(who.BackendRoles))
	fmt.Fprintf(c.stdout, "roles:         %s\n", listOrNone(who.Roles))

	principal, field := "", "backend_roles"
	if len(who.BackendRoles) > 0 {
		principal = who.BackendRoles[0]
	} else if strings.HasPrefix(*who.UserName, "arn:") {
		principal = *who.UserName
		if strings.Contains(principal, ":user/") {
			field = "users" // an IAM user is mapped by name, not as a backend role
		}
	}
	mapped := slices.ContainsFunc(who.Roles, func(r string) bool { return r != "own_index" && r != "default_role" })
	if mapped || principal == "" {
		return exitOK
	}
	patch, _ := json.Marshal([]map[string]string{{"op": "add", "path": "/" + field + "/-", "value": principal}})
	role := c.o.mapRole
	if role == "" {
		fmt.Fprintf(c.stdout, "\nThis IAM principal is mapped to no OpenSearch role. Choose a role that allows what it needs, and map it as the master user:\n\n")
		fmt.Fprintf(c.stdout, "sigv4 whoami --map ROLE %s\n", base)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "\nThis IAM principal is mapped to no OpenSearch role. As the master user, add it to %s (PATCH adds to the mapping, keeping what is there):\n\n", role)
	fmt.Fprintf(c.stdout, "sigv4 -X PATCH --json '%s' %s/_plugins/_security/api/rolesmapping/%s\n", patch, base, url.PathEscape(role))
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "(none)"
	}
	return strings.Join(l, ", ")
}
