package credentials

import (
	"strings"
	"testing"

	"github.com/opensearch-sigv4/sigv4/internal/fakeaws"
)

const (
	sentinelSecret = fakeaws.SentinelSecret
	sentinelToken  = fakeaws.SentinelToken
)

var (
	newFakeIMDS      = fakeaws.NewIMDS
	newFakeContainer = fakeaws.NewContainer
)

type (
	fakeIMDS      = fakeaws.IMDS
	fakeContainer = fakeaws.Container
)

// noSecrets fails if s holds the sentinel secret or token.
func noSecrets(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, sentinelSecret) || strings.Contains(s, sentinelToken) {
		t.Errorf("%s contains a secret: %s", what, s)
	}
}
