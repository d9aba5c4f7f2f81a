package standin

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// matchNode is a match query: the text analyzed as the field is (a text
// field's tokens; any other type compares the whole value), any token
// (operator or) or all of them (and), or minimum_should_match of them.
type matchNode struct {
	field   string
	query   any
	and     bool
	msm     string
	lenient bool
	zeroAll bool
}

func parseMatch(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("match", body, "query", "operator", "minimum_should_match", "lenient", "zero_terms_query", "auto_generate_synonyms_phrase_query")
	if err != nil {
		return nil, err
	}
	v, err := scalar("match", raw)
	if err != nil {
		return nil, err
	}
	n := matchNode{field: f, query: v}
	if op, ok := opts["operator"]; ok {
		var s string
		json.Unmarshal(op, &s)
		switch strings.ToLower(s) {
		case "and":
			n.and = true
		case "or":
		default:
			return nil, parsingError("[match] query: operator must be [and] or [or], not [" + s + "]")
		}
	}
	if m, ok := opts["minimum_should_match"]; ok {
		var x any
		json.Unmarshal(m, &x)
		n.msm = asString(x)
	}
	if l, ok := opts["lenient"]; ok {
		json.Unmarshal(l, &n.lenient)
	}
	if z, ok := opts["zero_terms_query"]; ok {
		var s string
		json.Unmarshal(z, &s)
		n.zeroAll = strings.EqualFold(s, "all")
	}
	return n, nil
}

func (n matchNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil || f.kind == kindObject {
		return never, nil
	}
	if f.kind != kindText {
		test, ok, err := c.termValue(n.field, n.query, false, n.lenient)
		if err != nil || !ok {
			return never, err
		}
		return c.anyValue(n.field, test), nil
	}
	toks := analyze(asString(n.query))
	if len(toks) == 0 {
		return func(*doc) bool { return n.zeroAll }, nil
	}
	need := 1
	if n.and {
		need = len(toks)
	} else if n.msm != "" {
		k, err := minimumShouldMatch(n.msm, len(toks))
		if err != nil {
			return nil, err
		}
		need = k
	}
	return func(d *doc) bool {
		have := map[string]bool{}
		for _, v := range c.fieldValues(n.field, d) {
			have[v.(string)] = true
		}
		hit := 0
		for _, t := range toks {
			if have[t] {
				hit++
			}
		}
		return hit >= need && hit > 0
	}, nil
}

var msmPattern = regexp.MustCompile(`^(-?)(\d+)(%?)$`)

// minimumShouldMatch reads an integer or percentage (negative: how many may
// be missing) of n optional clauses, as OpenSearch does; the combinations
// ("3<90%") are refused.
func minimumShouldMatch(spec string, n int) (int, *apiError) {
	m := msmPattern.FindStringSubmatch(strings.TrimSpace(spec))
	if m == nil {
		return 0, unsupported("minimum_should_match [" + spec + "] (only N, -N, N% and -N% are implemented)")
	}
	x, _ := strconv.Atoi(m[2])
	if m[3] == "%" {
		x = x * n / 100
	}
	if m[1] == "-" {
		x = n - x
	}
	return max(0, min(x, n)), nil
}
