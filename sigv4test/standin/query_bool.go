package standin

import (
	"encoding/json"
	"strings"
)

// boolNode: every must and filter clause, no must_not clause, and at least
// minimum_should_match should clauses: by default 1 when there are should
// clauses and no must or filter clause, else 0.
type boolNode struct {
	must, filter, should, mustNot []node
	msm                           string
}

func parseBool(body json.RawMessage) (node, *apiError) {
	o, err := options("bool", body, "must", "filter", "should", "must_not", "minimum_should_match", "adjust_pure_negative")
	if err != nil {
		return nil, err
	}
	var n boolNode
	for key, dst := range map[string]*[]node{"must": &n.must, "filter": &n.filter, "should": &n.should, "must_not": &n.mustNot} {
		raw, ok := o[key]
		if !ok {
			continue
		}
		var list []json.RawMessage
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, parsingError("[bool] query malformed " + key + ": " + err.Error())
			}
		} else {
			list = []json.RawMessage{raw}
		}
		for _, q := range list {
			c, err := parseQuery(q)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, c)
		}
	}
	if m, ok := o["minimum_should_match"]; ok {
		var x any
		json.Unmarshal(m, &x)
		n.msm = asString(x)
	}
	return n, nil
}

func compileAll(c *compiler, nodes []node) ([]matcher, *apiError) {
	out := make([]matcher, 0, len(nodes))
	for _, n := range nodes {
		m, err := n.compile(c)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (n boolNode) compile(c *compiler) (matcher, *apiError) {
	must, err := compileAll(c, append(append([]node{}, n.must...), n.filter...))
	if err != nil {
		return nil, err
	}
	should, err := compileAll(c, n.should)
	if err != nil {
		return nil, err
	}
	not, err := compileAll(c, n.mustNot)
	if err != nil {
		return nil, err
	}
	need := 0
	if len(should) > 0 && len(must) == 0 {
		need = 1
	}
	if n.msm != "" {
		if need, err = minimumShouldMatch(n.msm, len(should)); err != nil {
			return nil, err
		}
	}
	return func(d *doc) bool {
		for _, m := range must {
			if !m(d) {
				return false
			}
		}
		for _, m := range not {
			if m(d) {
				return false
			}
		}
		hit := 0
		for _, m := range should {
			if hit >= need {
				break
			}
			if m(d) {
				hit++
			}
		}
		return hit >= need
	}, nil
}
