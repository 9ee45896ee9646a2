// Package suggest finds the names a mistyped name most likely meant, for
// "did you mean" hints: the CLI's flags and the batch runner's tool
// names use it.
package suggest

import (
	"sort"
	"strings"
)

// Nearest returns the candidates closest to name, best first: those
// within a small edit distance (1 for names of up to four letters, else
// about one typo per four letters, at least 2), and those that name
// starts or is a prefix of. It returns at
// most three, and none when name is itself a candidate.
func Nearest(name string, candidates []string) []string {
	n := strings.ToLower(name)
	if n == "" {
		return nil
	}
	limit := max(2, len(n)/4)
	if len(n) <= 4 {
		limit = 1
	}
	type hit struct {
		s string
		d int
	}
	var hits []hit
	seen := map[string]bool{}
	for _, c := range candidates {
		if c == name {
			return nil
		}
		if seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := distance(n, lc)
		if d > limit && !(len(n) >= 3 && (strings.HasPrefix(lc, n) || strings.HasPrefix(n, lc))) {
			continue
		}
		hits = append(hits, hit{c, d})
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].s < hits[j].s
	})
	var out []string
	for i, h := range hits {
		if i == 3 {
			break
		}
		out = append(out, h.s)
	}
	return out
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance
// between a and b, counting a swap of two neighbours as one edit.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
