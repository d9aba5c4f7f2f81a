package redact

import "testing"

func TestAccessKeyID(t *testing.T) {
	for in, want := range map[string]string{"AKIAIOSFODNN7EXAMPLE": "****************MPLE", "ABCDE": "*BCDE", "ABCD": "****", "AB": "**", "": ""} {
		if got := AccessKeyID(in); got != want {
			t.Errorf("AccessKeyID(%q) = %q, want %q", in, got, want)
		}
	}
}
