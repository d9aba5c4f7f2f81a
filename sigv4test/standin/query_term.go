package standin

import (
	"encoding/json"
	"strings"
)

type termNode struct {
	field           string
	value           any
	caseInsensitive bool
}

func parseTerm(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("term", body, "value", "case_insensitive")
	if err != nil {
		return nil, err
	}
	v, err := scalar("term", raw)
	if err != nil {
		return nil, err
	}
	n := termNode{field: f, value: v}
	if ci, ok := opts["case_insensitive"]; ok {
		json.Unmarshal(ci, &n.caseInsensitive)
	}
	return n, nil
}

func (n termNode) compile(c *compiler) (matcher, *apiError) {
	test, ok, err := c.termValue(n.field, n.value, n.caseInsensitive, false)
	if err != nil || !ok {
		return never, err
	}
	return c.anyValue(n.field, test), nil
}

type termsNode struct {
	field  string
	values []any
}

func parseTerms(body json.RawMessage) (node, *apiError) {
	var o map[string]json.RawMessage
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, parsingError("[terms] query malformed: " + err.Error())
	}
	var n termsNode
	for k, v := range o {
		if k == "boost" || k == "_name" {
			continue
		}
		if n.field != "" {
			return nil, parsingError("[terms] query does not support multiple fields")
		}
		n.field = k
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, unsupported("the terms lookup of the [terms] query (field [" + k + "] is not an array)")
		}
		for _, e := range list {
			s, err := scalar("terms", e)
			if err != nil {
				return nil, err
			}
			n.values = append(n.values, s)
		}
	}
	if n.field == "" {
		return nil, parsingError("[terms] query requires a field")
	}
	return n, nil
}

func (n termsNode) compile(c *compiler) (matcher, *apiError) {
	var tests []func(any) bool
	for _, v := range n.values {
		t, ok, err := c.termValue(n.field, v, false, false)
		if err != nil {
			return nil, err
		}
		if ok {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		return never, nil
	}
	return c.anyValue(n.field, func(x any) bool {
		for _, t := range tests {
			if t(x) {
				return true
			}
		}
		return false
	}), nil
}

type idsNode struct{ ids map[string]bool }

func parseIDs(body json.RawMessage) (node, *apiError) {
	o, err := options("ids", body, "values")
	if err != nil {
		return nil, err
	}
	var ids []string
	if e := json.Unmarshal(o["values"], &ids); e != nil && o["values"] != nil {
		return nil, parsingError("[ids] query: values must be an array of strings")
	}
	n := idsNode{ids: map[string]bool{}}
	for _, id := range ids {
		n.ids[id] = true
	}
	return n, nil
}

func (n idsNode) compile(*compiler) (matcher, *apiError) {
	return func(d *doc) bool { return n.ids[d.id] }, nil
}

type existsNode struct{ field string }

func parseExists(body json.RawMessage) (node, *apiError) {
	o, err := options("exists", body, "field")
	if err != nil {
		return nil, err
	}
	var f string
	if json.Unmarshal(o["field"], &f) != nil || f == "" {
		return nil, parsingError("[exists] must be provided with a [field]")
	}
	return existsNode{f}, nil
}

func (n existsNode) compile(c *compiler) (matcher, *apiError) {
	if f := c.m[n.field]; f != nil && f.kind == kindObject {
		prefix := n.field + "."
		var leaves []string
		for p, g := range c.m {
			if strings.HasPrefix(p, prefix) && g.kind != kindObject {
				leaves = append(leaves, p)
			}
		}
		return func(d *doc) bool {
			for _, p := range leaves {
				if len(c.m.values(p, d.parsed)) > 0 {
					return true
				}
			}
			return false
		}, nil
	}
	return func(d *doc) bool { return len(c.m.values(n.field, d.parsed)) > 0 }, nil
}

type prefixNode struct {
	field, value    string
	caseInsensitive bool
}

func parsePrefix(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("prefix", body, "value", "case_insensitive")
	if err != nil {
		return nil, err
	}
	v, err := scalar("prefix", raw)
	if err != nil {
		return nil, err
	}
	n := prefixNode{field: f, value: asString(v)}
	if ci, ok := opts["case_insensitive"]; ok {
		json.Unmarshal(ci, &n.caseInsensitive)
	}
	return n, nil
}

func (n prefixNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil {
		return never, nil
	}
	if f.kind != kindText && f.kind != kindKeyword {
		return nil, c.shardError("Can only use prefix queries on keyword and text fields - not on [" + n.field + "] which is of type [" + f.typ + "]")
	}
	return c.anyValue(n.field, func(x any) bool {
		s := x.(string)
		if n.caseInsensitive {
			return strings.HasPrefix(strings.ToLower(s), strings.ToLower(n.value))
		}
		return strings.HasPrefix(s, n.value)
	}), nil
}
