package percent

import (
	"net/url"
	"strings"
	"testing"
)

func TestUnhex(t *testing.T) {
	for c := 0; c < 256; c++ {
		v, ok := Unhex(byte(c))
		want := strings.IndexByte("0123456789abcdef", byte(c))
		if want < 0 {
			want = strings.IndexByte("0123456789ABCDEF", byte(c))
		}
		if ok != (want >= 0) || (ok && int(v) != want) {
			t.Errorf("Unhex(%q) = %d, %v; want %d", byte(c), v, ok, want)
		}
	}
}

func TestAppendDecoded(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"plain":         "plain",
		"a%2Fb%2fc":     "a/b/c",
		"%E6%9D%B1":     "東",
		"100%":          "100%",
		"%4":            "%4",
		"%zz%41":        "%zzA",
		"a+b":           "a+b",
		"%2541":         "%41",
		"%%41":          "%A",
		"end%4":         "end%4",
		"%41%42%43%44%": "ABCD%",
	} {
		if got := string(AppendDecoded([]byte("x:"), in)); got != "x:"+want {
			t.Errorf("AppendDecoded(%q) = %q, want %q", in, got, "x:"+want)
		}
	}
}

// FuzzAppendDecoded: where url.PathUnescape accepts s (every '%' starts an
// escape), the two agree.
func FuzzAppendDecoded(f *testing.F) {
	for _, s := range []string{"a%2Fb", "%E6%9D%B1", "100%", "a+b%20c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := string(AppendDecoded(nil, s))
		if want, err := url.PathUnescape(s); err == nil && got != want {
			t.Errorf("AppendDecoded(%q) = %q, url.PathUnescape = %q", s, got, want)
		}
	})
}
