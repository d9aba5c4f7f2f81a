// Package redact masks credentials for messages and traces.
package redact

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// AccessKeyID returns id with all but its last four characters replaced by
// '*'.
func AccessKeyID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// Format writes s, the String of a value that holds secrets, for every fmt
// verb: %d, %x or %+v of the value would otherwise print its fields. %q
// quotes s, as it would a string.
func Format(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	io.WriteString(f, s)
}
