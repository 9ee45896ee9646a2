package sandbox

import (
	"cmp"
	"slices"
	"strings"
)

// pagePagination is the page-based pagination object.
type pagePagination struct {
	Page       int64 `json:"page"`
	Limit      int64 `json:"limit"`
	Total      int64 `json:"total"`
	TotalPages int64 `json:"totalPages"`
}

// offsetPagination is the offset-based pagination object.
type offsetPagination struct {
	Limit  int64 `json:"limit"`
	Offset int64 `json:"offset"`
	Total  int64 `json:"total"`
}

// byPage returns the page of rows and its pagination. A page past the end
// is empty.
func byPage[T any](rows []T, page, limit int64) ([]T, pagePagination) {
	total := int64(len(rows))
	pg := pagePagination{Page: page, Limit: limit, Total: total, TotalPages: (total + limit - 1) / limit}
	if page-1 >= pg.TotalPages {
		return []T{}, pg
	}
	start := (page - 1) * limit
	return rows[start:min(total, start+limit)], pg
}

// byOffset returns rows[offset:offset+limit] and its pagination.
func byOffset[T any](rows []T, offset, limit int64) ([]T, offsetPagination) {
	total := int64(len(rows))
	pg := offsetPagination{Limit: limit, Offset: offset, Total: total}
	if offset >= total {
		return []T{}, pg
	}
	return rows[offset:min(total, offset+limit)], pg
}

// list is a collection reply: {data, pagination, meta?, requestId}.
func (c *call) list(data any, rows int, pagination, meta any) reply {
	body := map[string]any{"data": data, "pagination": pagination, "requestId": c.reqID}
	if meta != nil {
		body["meta"] = meta
	}
	return reply{body: body, rows: int64(rows)}
}

// item is a detail reply: {data, requestId}.
func (c *call) item(data any) reply {
	return reply{body: map[string]any{"data": data, "requestId": c.reqID}, rows: 1}
}

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
