package importer

import (
	"fmt"
	"strings"
)

// tOneOf is true when the value is one of the words of arg (separated by
// commas, any case), false when it is another word, absent when empty:
// Okta's Status SUSPENDED or DEPROVISIONED → disabled (issue 18 item 8).
func tOneOf(v any, arg string, _ *applyCtx) (any, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("is %s, not a word one_of compares", withArticle(jsonType(v)))
	}
	s = strings.TrimSpace(s)
	for _, w := range strings.Split(arg, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.EqualFold(w, s) {
			return true, nil
		}
	}
	return false, nil
}
