package credcheck

import (
	"strings"
	"testing"
)

func TestProblem(t *testing.T) {
	const key, secret, token = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH"
	for _, c := range []struct {
		name               string
		key, secret, token string
		want               string // a part of the problem; "" for usable
	}{
		{"usable", key, secret, token, ""},
		{"usable without a token", key, secret, "", ""},
		{"empty key", "", secret, token, "access key id is empty"},
		{"empty secret", key, "", token, "secret access key is empty"},
		{"key with a slash", "AKID/2026", secret, token, "access key id holds"},
		{"key with a comma", "AKID,x", secret, token, "access key id holds"},
		{"key with '='", "AKID=x", secret, token, "access key id holds"},
		{"key with a space", "AKID x", secret, token, "access key id holds"},
		{"key with CR LF", "AKID\r\nX-Injected: 1", secret, token, "access key id holds"},
		{"secret with a line break", key, secret + "\n", token, "secret access key holds a control character"},
		{"token with CR LF", key, secret, token + "\r\nX-Injected: 1", "session token holds a control character"},
		{"token with a NUL", key, secret, token + "\x00", "session token holds a control character"},
		{"token with DEL", key, secret, token + "\x7f", "session token holds a control character"},
	} {
		got := Problem(c.key, c.secret, c.token)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: Problem = %q, want %q", c.name, got, c.want)
		}
		for _, v := range []string{secret, token} {
			if got != "" && strings.Contains(got, v) {
				t.Errorf("%s: the problem quotes a credential", c.name)
			}
		}
	}
}
