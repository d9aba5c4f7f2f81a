package standin

import (
	"encoding/json"
	"strings"
)

// phraseNode is a match_phrase query with no slop: the text's tokens, in
// order and next to each other, in one of the field's values (the values
// of an array are apart, as OpenSearch's position gap keeps them).
type phraseNode struct {
	field   string
	query   any
	lenient bool
}

func parseMatchPhrase(body json.RawMessage) (node, *apiError) {
	f, raw, opts, err := fieldQuery("match_phrase", body, "query", "slop", "zero_terms_query")
	if err != nil {
		return nil, err
	}
	if s, ok := opts["slop"]; ok && strings.TrimSpace(string(s)) != "0" {
		return nil, unsupported("[slop] other than 0 in the [match_phrase] query")
	}
	v, err := scalar("match_phrase", raw)
	if err != nil {
		return nil, err
	}
	return phraseNode{field: f, query: v}, nil
}

func (n phraseNode) compile(c *compiler) (matcher, *apiError) {
	f := c.m[n.field]
	if f == nil || f.kind == kindObject {
		return never, nil
	}
	if f.kind != kindText {
		return matchNode{field: n.field, query: n.query, lenient: n.lenient}.compile(c)
	}
	want := analyze(asString(n.query))
	if len(want) == 0 {
		return never, nil
	}
	return func(d *doc) bool {
		for _, v := range c.m.values(n.field, d.parsed) {
			toks := analyze(v.(string))
			for i := 0; i+len(want) <= len(toks); i++ {
				if equalTokens(toks[i:i+len(want)], want) {
					return true
				}
			}
		}
		return false
	}, nil
}

func equalTokens(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// multiMatchNode is a multi_match query of type best_fields (the
// default), most_fields or phrase: the match (or match_phrase) query on
// each field, a document matching when one field does. Scores are not
// computed, so best_fields and most_fields match the same documents.
type multiMatchNode struct {
	fields  []string
	query   any
	and     bool
	phrase  bool
	lenient bool
}

func parseMultiMatch(body json.RawMessage) (node, *apiError) {
	o, err := options("multi_match", body, "query", "fields", "type", "operator", "lenient")
	if err != nil {
		return nil, err
	}
	var n multiMatchNode
	q, err := scalar("multi_match", o["query"])
	if err != nil {
		return nil, parsingError("[multi_match] requires a [query]")
	}
	n.query = q
	if f, ok := o["fields"]; ok {
		var one string
		if json.Unmarshal(f, &n.fields) != nil {
			if json.Unmarshal(f, &one) != nil {
				return nil, parsingError("[multi_match] fields must be an array of strings")
			}
			n.fields = []string{one}
		}
	}
	var typ, op string
	json.Unmarshal(o["type"], &typ)
	switch typ {
	case "", "best_fields", "most_fields":
	case "phrase":
		n.phrase = true
	default:
		return nil, unsupported("the [" + typ + "] type of the [multi_match] query")
	}
	json.Unmarshal(o["operator"], &op)
	switch strings.ToLower(op) {
	case "", "or":
	case "and":
		n.and = true
	default:
		return nil, parsingError("[multi_match] operator must be [and] or [or], not [" + op + "]")
	}
	json.Unmarshal(o["lenient"], &n.lenient)
	return n, nil
}

func (n multiMatchNode) compile(c *compiler) (matcher, *apiError) {
	lenient := n.lenient
	if len(n.fields) == 0 || (len(n.fields) == 1 && n.fields[0] == "*") {
		lenient = true // as OpenSearch is when the fields are all (*)
	}
	var ms []matcher
	for _, f := range c.expandFields(n.fields) {
		var m matcher
		var err *apiError
		if n.phrase {
			m, err = phraseNode{field: f, query: n.query, lenient: lenient}.compile(c)
		} else {
			m, err = matchNode{field: f, query: n.query, and: n.and, lenient: lenient}.compile(c)
		}
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return func(d *doc) bool {
		for _, m := range ms {
			if m(d) {
				return true
			}
		}
		return false
	}, nil
}
