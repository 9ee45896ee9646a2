package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// matchTerms reports how well the lower-cased fields match the search
// terms: the number of terms found (0 when keywordMode all is not met).
func matchTerms(terms []string, all bool, fields ...string) int {
	n := 0
	for _, t := range terms {
		found := false
		for _, f := range fields {
			if strings.Contains(f, t) {
				found = true
				break
			}
		}
		if found {
			n++
		} else if all {
			return 0
		}
	}
	return n
}

// lowerTerms lower-cases and trims search terms, dropping empty ones.
func lowerTerms(ts ...string) []string {
	var out []string
	for _, t := range ts {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// sortRows sorts rows by key (descending unless asc), ties by id.
func sortRows[T any, K cmp.Ordered](rows []T, asc bool, key func(T) K, id func(T) string) {
	slices.SortStableFunc(rows, func(a, b T) int {
		c := cmp.Compare(key(a), key(b))
		if !asc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(id(a), id(b))
	})
}

// scored pairs a row with its search score.
type scored[T any] struct {
	row   T
	score int
}
