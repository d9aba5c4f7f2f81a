package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	want := "1. authinfo: user arn:aws:iam::123456789012:role/sigv4-demo-role, backend roles [arn:aws:iam::123456789012:role/sigv4-demo-role], roles []\n" +
		"2. mapping of all_access: users [admin], backend roles []\n" +
		"3. mapped arn:aws:iam::123456789012:role/sigv4-demo-role to all_access (kept users [admin]): OK 'all_access' updated.\n" +
		"4. authinfo: user arn:aws:iam::123456789012:role/sigv4-demo-role, roles [all_access]\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestOfflineOtherARN(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-arn", "arn:aws:iam::123456789012:role/ingest", "-role", "all_access"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "3. mapped arn:aws:iam::123456789012:role/ingest to all_access") || !strings.Contains(out.String(), "4. authinfo: user arn:aws:iam::123456789012:role/sigv4-demo-role, roles []") {
		t.Errorf("%s", out.String())
	}
}
