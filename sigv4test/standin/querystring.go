package standin

import (
	"encoding/json"
	"path"
	"sort"
	"strings"
)

// queryStringNode is the part of the query_string syntax the stand-in
// implements: terms and field:term clauses separated by spaces, joined by
// AND (&&) or OR (||) or else by default_operator. A term is analyzed as a
// match query on each field (a text field's tokens, joined by the default
// operator), a quoted phrase as a match_phrase; "*" alone matches every
// document, and field:* every document with the field. Everything else of
// the syntax (parentheses, NOT,
// + and -, wildcards, fuzziness, boosts, ranges, regular expressions,
// escapes, mixing AND and OR) is refused by name.
type queryStringNode struct {
	clauses  []qsClause
	all      bool // the clauses are joined by AND
	fields   []string
	lenient  bool
	andTerm  bool // default_operator AND: every token of a term
	matchAll bool
}

type qsClause struct {
	field, text string
	phrase      bool // the text was quoted: a match_phrase
}

// splitQueryString splits a query on spaces, keeping a quoted phrase
// (after an optional field:) one word.
func splitQueryString(q string) ([]string, *apiError) {
	var words []string
	var cur strings.Builder
	quoted := false
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r'):
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if quoted {
		return nil, parsingError("Failed to parse query [" + q + "]: a quote is not closed")
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words, nil
}

func parseQueryString(body json.RawMessage) (node, *apiError) {
	o, err := options("query_string", body, "query", "default_field", "fields", "default_operator", "lenient")
	if err != nil {
		return nil, err
	}
	var q, df, op string
	if json.Unmarshal(o["query"], &q) != nil {
		return nil, parsingError("[query_string] must be provided with a [query]")
	}
	json.Unmarshal(o["default_field"], &df)
	json.Unmarshal(o["default_operator"], &op)
	var fields []string
	if f, ok := o["fields"]; ok {
		if json.Unmarshal(f, &fields) != nil {
			return nil, parsingError("[query_string] fields must be an array of strings")
		}
	}
	if df != "" {
		fields = append(fields, df)
	}
	lenient := false
	json.Unmarshal(o["lenient"], &lenient)
	return newQueryString(q, fields, op, lenient)
}

// newQueryString parses the query of a query_string query or of q=.
func newQueryString(q string, fields []string, op string, lenient bool) (node, *apiError) {
	n := &queryStringNode{fields: fields, lenient: lenient}
	switch strings.ToUpper(op) {
	case "", "OR":
	case "AND":
		n.andTerm = true
	default:
		return nil, parsingError("[query_string] default_operator must be AND or OR, not [" + op + "]")
	}
	if strings.TrimSpace(q) == "*" || strings.TrimSpace(q) == "*:*" {
		n.matchAll = true
		return n, nil
	}
	sawAnd, sawOr := false, false
	expectClause := true
	words, err := splitQueryString(q)
	if err != nil {
		return nil, err
	}
	for _, w := range words {
		switch w {
		case "AND", "&&":
			if expectClause {
				return nil, parsingError("Failed to parse query [" + q + "]: [" + w + "] without a clause before it")
			}
			sawAnd, expectClause = true, true
			continue
		case "OR", "||":
			if expectClause {
				return nil, parsingError("Failed to parse query [" + q + "]: [" + w + "] without a clause before it")
			}
			sawOr, expectClause = true, true
			continue
		case "NOT":
			return nil, unsupported("[NOT] in a query_string query")
		}
		c, err := parseClause(w)
		if err != nil {
			return nil, err
		}
		n.clauses = append(n.clauses, c)
		expectClause = false
	}
	if expectClause && len(n.clauses) > 0 {
		return nil, parsingError("Failed to parse query [" + q + "]: it ends with an operator")
	}
	if sawAnd && sawOr {
		return nil, unsupported("mixing AND and OR in a query_string query (use a bool query)")
	}
	n.all = sawAnd || (!sawOr && n.andTerm)
	return n, nil
}

func parseClause(w string) (qsClause, *apiError) {
	if f, v, ok := strings.Cut(w, `"`); ok {
		// field:"a phrase" or "a phrase": nothing but the phrase may follow.
		if !strings.HasSuffix(v, `"`) || strings.Count(v, `"`) != 1 || (f != "" && !strings.HasSuffix(f, ":")) {
			return qsClause{}, unsupported("the clause [" + w + "] in a query_string query (a phrase stands alone, as \"words\" or field:\"words\")")
		}
		c := qsClause{field: strings.TrimSuffix(f, ":"), text: strings.TrimSuffix(v, `"`), phrase: true}
		if strings.ContainsAny(c.field, `*?:()[]{}~^/\+-!`) || (c.field == "" && f != "") {
			return qsClause{}, unsupported("the field of [" + w + "] in a query_string query")
		}
		return c, nil
	}
	for _, feature := range []struct{ chars, name string }{
		{"()", "grouping (parentheses)"}, {"[]{}", "ranges"},
		{"~", "fuzzy and proximity (~)"}, {"^", "boosts (^)"}, {"/", "regular expressions (/)"},
		{`\`, "escapes (\\)"},
	} {
		if strings.ContainsAny(w, feature.chars) {
			return qsClause{}, unsupported(feature.name + " in a query_string query ([" + w + "])")
		}
	}
	switch w[0] {
	case '+', '-', '!':
		return qsClause{}, unsupported("the [" + w[:1] + "] operator in a query_string query ([" + w + "])")
	}
	c := qsClause{text: w}
	if f, v, ok := strings.Cut(w, ":"); ok {
		if f == "" || v == "" || strings.Contains(v, ":") {
			return qsClause{}, unsupported("the clause [" + w + "] in a query_string query (field:term only)")
		}
		c.field, c.text = f, v
	}
	if c.text != "*" && strings.ContainsAny(c.text, "*?") {
		return qsClause{}, unsupported("wildcards in a query_string query ([" + w + "])")
	}
	if strings.ContainsAny(c.field, "*?") {
		return qsClause{}, unsupported("wildcard field names in a query_string query ([" + w + "])")
	}
	if c.field == "_exists_" {
		return qsClause{}, unsupported("[_exists_] in a query_string query")
	}
	return c, nil
}

// expandFields returns the mapped fields that names (with * wildcards and
// ^boosts) designate; "*" or nothing means every field.
func (c *compiler) expandFields(names []string) []string {
	if len(names) == 0 {
		names = []string{"*"}
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		n, _, _ = strings.Cut(n, "^")
		for p, f := range c.m {
			if f.kind == kindObject || seen[p] {
				continue
			}
			if ok, _ := path.Match(n, p); ok {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (n *queryStringNode) compile(c *compiler) (matcher, *apiError) {
	if n.matchAll {
		return func(*doc) bool { return true }, nil
	}
	var clauses []matcher
	for _, cl := range n.clauses {
		names := n.fields
		lenient := n.lenient
		if cl.field != "" {
			names = []string{cl.field}
		} else if len(names) == 0 || (len(names) == 1 && names[0] == "*") {
			lenient = true // as OpenSearch is when the default field is *
		}
		var ms []matcher
		for _, f := range c.expandFields(names) {
			var m matcher
			var err *apiError
			if cl.phrase {
				m, err = phraseNode{field: f, query: cl.text, lenient: lenient}.compile(c)
			} else if cl.text == "*" {
				m, err = existsNode{f}.compile(c)
			} else {
				m, err = matchNode{field: f, query: cl.text, and: n.andTerm, lenient: lenient}.compile(c)
			}
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		clauses = append(clauses, func(d *doc) bool {
			for _, m := range ms {
				if m(d) {
					return true
				}
			}
			return false
		})
	}
	all := n.all
	return func(d *doc) bool {
		if len(clauses) == 0 {
			return false
		}
		for _, m := range clauses {
			if m(d) != all {
				return !all
			}
		}
		return all
	}, nil
}
