// Package redact masks credentials for messages and traces.
package redact

import "strings"

// AccessKeyID returns id with all but its last four characters replaced by
// '*'.
func AccessKeyID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}
