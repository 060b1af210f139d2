package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
)

// suggest returns the candidate that name most likely misspells, or "".
// Beyond the near misses hcl itself suggests (an edit distance under 3),
// it matches names that differ in case and separators ("AppKey",
// "app-key" for "app_key") and names that hold one another ("secret" for
// "app_secret"), as operators write them from other tools' docs.
func suggest(name string, candidates []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(s))
	}
	n := norm(name)
	best, bestScore := "", 0
	for _, c := range candidates {
		cn := norm(c)
		var score int // higher is better; 0 is no match
		switch d := levenshtein.Distance(n, cn, nil); {
		case cn == n:
			score = 100
		case d <= max(2, len(n)/4):
			score = 50 - d
		case len(n) >= 3 && (strings.Contains(cn, n) || strings.Contains(n, cn)):
			score = 10
		}
		if score > bestScore || (score == bestScore && score > 0 && c < best) {
			best, bestScore = c, score
		}
	}
	return best
}

// unsupported finds the name in hcl's "An argument named "X" is not
// expected here." and "Blocks of type "X" are not expected here."
var unsupported = regexp.MustCompile(`^(?:An argument named|Blocks of type) ("(?:[^"\\]|\\.)*") (?:is|are) not expected here\.`)

// suggestNames adds a "Did you mean" to each of hcl's diagnostics about an
// unexpected argument or block that has none, when suggest finds a
// candidate among the names the body takes; otherwise, when given, it
// adds hint, which may list them.
func suggestNames(diags hcl.Diagnostics, candidates []string, hint string) {
	for _, d := range diags {
		m := unsupported.FindStringSubmatch(d.Detail)
		if m == nil || strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		var name string
		if _, err := fmt.Sscanf(m[1], "%q", &name); err != nil {
			continue
		}
		if s := suggest(name, candidates); s != "" {
			d.Detail = strings.TrimSpace(d.Detail) + fmt.Sprintf(" Did you mean %q?", s)
		} else if hint != "" {
			d.Detail = strings.TrimSpace(d.Detail) + " " + hint
		}
	}
}
