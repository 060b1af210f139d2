package sim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// field is one root field of a document: alias (or name), name, its
// arguments resolved against the variables, its @idempotent key, and the
// text of its selection (for connection sizes).
type field struct {
	alias     string
	name      string
	args      map[string]any
	key       string
	hasKey    bool
	selection string
}

// document is a parsed GraphQL request.
type document struct {
	mutation bool
	fields   []field
}

var argPair = regexp.MustCompile(`(\w+)\s*:\s*(\$\w+|"(?:[^"\\]|\\.)*"|-?\d+|\w+)`)

// parse reads the root fields of a document. It is not a GraphQL parser:
// it knows the shape the plugin writes (operation keyword, optional name
// and variable definitions, then root fields with flat arguments).
func parse(q string, vars map[string]any) (*document, error) {
	q = strings.TrimSpace(q)
	doc := &document{}
	open := strings.IndexByte(q, '{')
	if open < 0 {
		return nil, fmt.Errorf("syntax error: no selection set")
	}
	head := strings.TrimSpace(q[:open])
	switch {
	case strings.HasPrefix(head, "mutation"):
		doc.mutation = true
	case head == "" || strings.HasPrefix(head, "query"):
	default:
		return nil, fmt.Errorf("syntax error: unexpected %q", head)
	}
	body, _, err := block(q, open)
	if err != nil {
		return nil, err
	}
	i := 0
	for {
		i = skipSpace(body, i)
		if i >= len(body) {
			break
		}
		f := field{}
		name, j := ident(body, i)
		if name == "" {
			return nil, fmt.Errorf("syntax error at %q", clip(body[i:]))
		}
		i = skipSpace(body, j)
		if i < len(body) && body[i] == ':' {
			f.alias = name
			name, j = ident(body, skipSpace(body, i+1))
			i = skipSpace(body, j)
		}
		f.name = name
		if f.alias == "" {
			f.alias = name
		}
		if i < len(body) && body[i] == '(' {
			end := strings.IndexByte(body[i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("syntax error: unclosed arguments of %s", name)
			}
			if f.args, err = args(body[i+1:i+end], vars); err != nil {
				return nil, err
			}
			i = skipSpace(body, i+end+1)
		}
		for i < len(body) && body[i] == '@' {
			dname, j := ident(body, i+1)
			i = skipSpace(body, j)
			if i < len(body) && body[i] == '(' {
				end := strings.IndexByte(body[i:], ')')
				if end < 0 {
					return nil, fmt.Errorf("syntax error: unclosed directive")
				}
				dargs, err := args(body[i+1:i+end], vars)
				if err != nil {
					return nil, err
				}
				if dname == "idempotent" {
					k, _ := dargs["key"].(string)
					f.key, f.hasKey = k, true
				}
				i = skipSpace(body, i+end+1)
			}
		}
		if i < len(body) && body[i] == '{' {
			sel, end, err := block(body, i)
			if err != nil {
				return nil, err
			}
			f.selection = sel
			i = end
		}
		doc.fields = append(doc.fields, f)
	}
	if len(doc.fields) == 0 {
		return nil, fmt.Errorf("syntax error: empty selection")
	}
	return doc, nil
}

func args(s string, vars map[string]any) (map[string]any, error) {
	out := map[string]any{}
	for _, m := range argPair.FindAllStringSubmatch(s, -1) {
		v := m[2]
		switch {
		case strings.HasPrefix(v, "$"):
			// A variable left out is null, as for an optional one.
			if val, ok := vars[v[1:]]; ok && val != nil {
				out[m[1]] = val
			}
		case strings.HasPrefix(v, `"`):
			u, err := strconv.Unquote(v)
			if err != nil {
				return nil, err
			}
			out[m[1]] = u
		case v == "true" || v == "false":
			out[m[1]] = v == "true"
		case v == "null":
			out[m[1]] = nil
		default:
			if n, err := strconv.Atoi(v); err == nil {
				out[m[1]] = float64(n)
			} else {
				out[m[1]] = v
			}
		}
	}
	return out, nil
}

// block returns the text inside the braces that open at s[open] and the
// index after the closing one.
func block(s string, open int) (string, int, error) {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[open+1 : i], i + 1, nil
			}
		case '"':
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		}
	}
	return "", 0, fmt.Errorf("syntax error: unbalanced braces")
}

func ident(s string, i int) (string, int) {
	j := i
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	return s[i:j], j
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' || s[i] == ',') {
		i++
	}
	return i
}

func clip(s string) string {
	if len(s) > 30 {
		return s[:30]
	}
	return s
}

var firstArg = regexp.MustCompile(`first\s*:\s*(\d+)`)

// nestedFirst is the largest first: argument inside a selection, the size
// of the connection the document may return per object.
func nestedFirst(sel string) int {
	n := 0
	for _, m := range firstArg.FindAllStringSubmatch(sel, -1) {
		v, _ := strconv.Atoi(m[1])
		n = max(n, v)
	}
	return n
}
